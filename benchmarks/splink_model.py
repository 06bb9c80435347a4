"""A tuned Splink model (DuckDB backend) linking the generated roster to the police death
records: the same input files the floor reads, for comparison with the engine's speed and
its deaths found.  `benchmarks/stages.py` runs this file as a subprocess when Splink is
installed (`make benchmark-splink` installs the optional `benchmark` extra); it prints one
JSON line of figures — counts, seconds and bytes only, never a name or an ID.

    .venv/bin/python benchmarks/splink_model.py --raw DIR --month 2020-05

"Tuned" here means what a careful Splink user would do for this data, short of writing
the engine again:
  * inputs cleaned with the product's own normalisers (flows/normalize), so the comparison
    is of the linkage, not of the cleaning: an ID's 15 -> 18 digits and an Excel-damaged ID
    as missing, a name's traditional and variant characters in one form and its pinyin,
    dates in their many spellings, township and village out of the police address; death
    records dated after the run month are left out (they say nothing about that month);
  * comparisons: name (exact with term-frequency adjustment, same pinyin, Levenshtein <= 1,
    pinyin Jaro-Winkler >= 0.9), ID (exact, Damerau-Levenshtein <= 1: one digit typed wrong
    or two adjacent swapped), birth date (exact, Damerau-Levenshtein <= 1 on the text,
    within a month, within a year), sex, place (village, township);
  * predictions blocked on birth date, ID, the ID's last nine characters (a typo in its
    first half), name, and name pinyin;
  * the prior from exact-ID pairs (assumed recall 0.6), u by random sampling (2M pairs,
    fixed seed), m by expectation maximisation on two blocking rules (birth date; name);
  * a roster member is flagged dead when any death record links at or above the product's
    own `suspect_min_probability` (configs/default.toml).
Scored as stages.py scores the engine: truth.csv's DECEASED_PAID and DECEASED_SUSPECT
members (household and normalised name) are the dead; every other member flagged is a living
person flagged; AMBIGUOUS_NAMESAKE members (one of two same-named, same-born villagers died)
are counted apart.  The engine also reads the population registry's deaths and cremation
records; this model links police deaths only, so deaths known only to those are out of its
reach.
"""
from __future__ import annotations

import argparse
import codecs
import csv
import datetime as dt
import io
import json
import logging
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stages import PeakRss, csv_encoding, deaths_scored  # noqa: E402

HEADER_ROWS = 30                      # the header row is looked for in the first rows, as the product does
U_SAMPLE_PAIRS = 2e6                  # pairs sampled for u (Splink's default is 1e6)
PRIOR_RECALL = 0.6                    # share of true links an exact-ID rule is assumed to find
EM_BLOCKING_RULES = ("birth_date", "name")   # m by expectation maximisation on each
PLACE = re.compile(r"([^省市区县]+?(?:镇|乡|街道))([^镇乡]+?(?:村|社区|居委会))")
# One digit typed wrong, or two adjacent digits swapped, in IDs of 18 characters (every ID
# here is normalised to 18): Hamming distance 1, or 2 with a Damerau-Levenshtein distance of 1.
# DuckDB's damerau_levenshtein costs ≈ 6 s per million pairs of IDs, hamming next to
# nothing; DuckDB computes the first only for the few pairs two digits apart.
ID_ONE_EDIT = ("hamming(id_number_l, id_number_r) <= 1 or (hamming(id_number_l, id_number_r) = 2 "
               "and damerau_levenshtein(id_number_l, id_number_r) <= 1)")
COLUMNS = ("unique_id", "household_id", "name_as_written", "name", "name_pinyin", "id_number", "id_tail",
           "birth_date", "sex", "township", "village")


def splink_version() -> str | None:
    """Splink's version when it can be imported, else None."""
    try:
        import splink
    except ImportError:
        return None
    return splink.__version__


# --- load: the files into rows of the compared columns -----------------------------------------

def _id_number(cell: object) -> str | None:
    """The ID as the product reads it; one that fails only its check (a typo) is kept as
    written, so the ID comparison can still see it one digit away."""
    from flows.normalize.ids import clean_id_text, normalize_id

    from_number = isinstance(cell, float)
    if from_number and cell.is_integer():
        cell = str(int(cell))
    result = normalize_id(cell, from_number=from_number)
    if result.id_number:
        return result.id_number
    text = clean_id_text(cell)
    return text if not from_number and re.fullmatch(r"\d{17}[\dX]", text) else None


def _record(unique_id: str, fields: dict[str, object], township: str | None, village: str | None,
            household_id: str | None) -> dict:
    from flows.normalize.dates import parse_date
    from flows.normalize.names import name_key, name_pinyin, normalize_name

    written = normalize_name(fields.get("name"))
    name = name_key(written)
    id_number = _id_number(fields.get("id_number"))
    born = parse_date(fields.get("birth_date"))
    sex = str(fields.get("sex") or "").strip()
    return {"unique_id": unique_id, "household_id": household_id, "name_as_written": written, "name": name,
            "name_pinyin": name_pinyin(name) if name else None, "id_number": id_number,
            "id_tail": id_number[9:] if id_number else None, "birth_date": born.isoformat() if born else None,
            "sex": sex if sex in ("男", "女") else None, "township": township or None, "village": village or None}


def _text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _header_at(rows: list[list], wanted: dict[str, str]) -> tuple[int, dict[str, int]] | None:
    """(row index, field -> column) of the first row holding the name and ID headers."""
    for index, row in enumerate(rows[:HEADER_ROWS]):
        cells = [_text(c) for c in row]
        if wanted["name"] in cells and wanted["id_number"] in cells:
            return index, {field: cells.index(header) for field, header in wanted.items() if header in cells}
    return None


def _rows_of(rows: list[list], wanted: dict[str, str]):
    """Each data row as field -> cell, after the header row; none when there is no header."""
    found = _header_at(rows, wanted)
    if found is None:
        return
    index, columns = found
    for row in rows[index + 1:]:
        fields = {field: (row[col] if col < len(row) else None) for field, col in columns.items()}
        if _text(fields.get("name")):
            yield fields


def _csv_rows(path: Path) -> list[list]:
    """A CSV's rows, GB18030 through Python's codec as the floor reads it."""
    data = path.read_bytes()
    encoding = csv_encoding(path)
    text = codecs.decode(data, "gb18030") if encoding == "gb18030" else data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def load_roster(raw: Path, columns: dict[str, str]) -> list[dict]:
    from python_calamine import CalamineWorkbook

    records = []
    for path in sorted((raw / "roster").glob("*.*")):
        if path.suffix.lower() == ".xlsx":
            book = CalamineWorkbook.from_path(str(path))
            sheets = [book.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in book.sheet_names]
        elif path.suffix.lower() == ".csv":
            sheets = [_csv_rows(path)]
        else:
            continue
        for rows in sheets:
            for fields in _rows_of(rows, columns):
                records.append(_record(f"r{len(records)}", fields, _text(fields.get("township")),
                                       _text(fields.get("village")), _text(fields.get("household_id"))))
    return records


def load_deaths(raw: Path, columns: dict[str, str], month_end: dt.date) -> tuple[list[dict], int]:
    """The police death records dated on or before the month's end (an undated one kept), and
    how many were left out as later."""
    from flows.normalize.dates import parse_date

    records, later = [], 0
    for path in sorted((raw / "deaths").glob("*.csv")):
        for fields in _rows_of(_csv_rows(path), columns):
            died = parse_date(fields.get("death_date"))
            if died is not None and died > month_end:
                later += 1
                continue
            place = PLACE.search(_text(fields.get("address")))
            records.append(_record(f"d{len(records)}", fields, place and place.group(1),
                                   place and place.group(2), None))
    return records, later


# --- the model ------------------------------------------------------------------------------

def settings():
    """The tuned model's settings (see the module's docstring)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    name = cl.CustomComparison(output_column_name="name", comparison_levels=[
        cll.NullLevel("name"),
        cll.ExactMatchLevel("name", term_frequency_adjustments=True),
        cll.ExactMatchLevel("name_pinyin"),
        cll.LevenshteinLevel("name", 1),
        cll.JaroWinklerLevel("name_pinyin", 0.9),
        cll.ElseLevel()])
    id_number = cl.CustomComparison(output_column_name="id_number", comparison_levels=[
        cll.NullLevel("id_number"),
        cll.ExactMatchLevel("id_number"),
        cll.CustomLevel(ID_ONE_EDIT, label_for_charts="one digit wrong or two adjacent swapped"),
        cll.ElseLevel()])
    place = cl.CustomComparison(output_column_name="place", comparison_levels=[
        cll.NullLevel("township"),
        cll.And(cll.ExactMatchLevel("township"), cll.ExactMatchLevel("village")),
        cll.ExactMatchLevel("township"),
        cll.ElseLevel()])
    return SettingsCreator(
        link_type="link_only",
        comparisons=[
            name,
            id_number,
            cl.DateOfBirthComparison("birth_date", input_is_string=True, datetime_metrics=["month", "year"],
                                     datetime_thresholds=[1, 1]),
            cl.ExactMatch("sex"),
            place,
        ],
        blocking_rules_to_generate_predictions=[
            block_on("birth_date"), block_on("id_number"), block_on("id_tail"), block_on("name"),
            block_on("name_pinyin")],
        retain_matching_columns=False,
        additional_columns_to_retain=["household_id", "name_as_written"],
    )


def run(raw: Path, month: str) -> dict:
    """Load, train, predict and score; the figures as a dict (counts, seconds, bytes)."""
    import pyarrow as pa
    from splink import DuckDBAPI, Linker, block_on

    from flows.config import load_settings
    from flows.normalize.dates import month_bounds

    product = load_settings()
    threshold = product.suspect_min_probability
    steps: dict[str, list[float]] = {}

    def load():
        roster = load_roster(raw, product.sources["roster"].columns)
        deaths, later = load_deaths(raw, product.sources["police_deaths"].columns, month_bounds(month)[1])
        db_api = DuckDBAPI()
        schema = pa.schema([(column, pa.string()) for column in COLUMNS])
        tables = [db_api.register(pa.Table.from_pylist(rows, schema=schema), dataset_display_name=label)
                  for label, rows in (("roster", roster), ("deaths", deaths))]
        return roster, deaths, later, tables

    def train(tables):
        linker = Linker(tables, settings(), log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match([block_on("id_number")], recall=PRIOR_RECALL)
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=1)
        for rule in EM_BLOCKING_RULES:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(rule))
        return linker

    def predict(linker):
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        return predictions.as_duckdbpyrelation().select(
            "unique_id_l, household_id_l, household_id_r, name_as_written_l, name_as_written_r").fetchall()

    def step(name, function, *args):
        with PeakRss() as rss:
            started = time.perf_counter()
            result = function(*args)
            seconds = time.perf_counter() - started
        steps[name] = [seconds, rss.peak]
        return result

    roster, deaths, later, tables = step("load", load)
    linker = step("train", train, tables)
    links = step("predict", predict, linker)

    # a link's roster side: the pair's record whose id is a roster one
    flagged = set()
    for left, household_l, household_r, name_l, name_r in links:
        flagged.add((household_l, name_l) if left.startswith("r") else (household_r, name_r))
    return {"splink": splink_version(), "threshold": threshold, "steps": steps,
            "roster_rows": len(roster), "death_rows": len(deaths), "deaths_after_month": later,
            "links": len(links), "scores": deaths_scored(raw / "truth.csv", flagged)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", type=Path, required=True, help="generated inputs (with truth.csv)")
    parser.add_argument("--month", default="2020-05")
    args = parser.parse_args()
    print(json.dumps(run(args.raw, args.month)), flush=True)


if __name__ == "__main__":
    main()
