"""raw_<source> -> norm_<kind> and rejects, as set operations in DuckDB.

What a kind's fields are, their types and its reject rules come from its declaration
(flows/sources/kinds.py); this module turns them into the fragments of the templates in
sql/normalize/ and runs those through warehouse.run_sql.  IDs (GB 11643 check digit,
region, birth date, sex, 15 -> 18, Excel damage), the NFKC-equivalent cleaning of names
and text, and every reject are SQL.  What is hard in SQL but has few distinct values is
computed in Python once per DISTINCT value and joined back: dates and months (tens of
thousands of distinct strings at most), amounts, sex, a name's variant key and pinyin,
and the NFKC form of a value holding a character the SQL mapping does not cover.
No row of people travels DuckDB -> pandas -> DuckDB.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from flows import warehouse
from flows.config import SourceConfig
from flows.normalize.dates import parse_dated, parse_month
from flows.normalize.ids import clean_id_text, normalize_id, region_codes
from flows.normalize.names import name_char_table, name_key, name_pinyin
from flows.sources import ingest
from flows.sources.kinds import (COMMON_COLUMNS, DATE, ENUM, MONTH, NUMBER, REJECT_NO_NAME, REQUIRED_FIELDS, SEX,
                                 SOURCE_KIND_SPECS, TEXT, TYPE_REJECTS, Check, column_type, field_type,
                                 norm_tables, precision_column, staged_columns)
from flows.warehouse import ident

STAGE_SLICE_ROWS = 1_000_000
SEX_VALUES = {"男": "男", "女": "女", "1": "男", "2": "女", "M": "男", "F": "女", "男性": "男", "女性": "女"}
PLAIN = ":plain"
# The distinct-value map each parsed type is joined with (built by _build_value_maps).
VALUE_MAPS = {DATE: "_dated", MONTH: "_month", NUMBER: "_number", SEX: "_sex"}


def _type_of(source: SourceConfig, field: str) -> str:
    """How a mapped field is staged: name and id_number apart, enums cleaned as text."""
    if field in ("name", "id_number"):
        return field
    declared = field_type(source.kind, field)
    return TEXT if declared == ENUM else declared


def _text_fields(source: SourceConfig) -> list[str]:
    return [f for f in source.columns if _type_of(source, f) in ("name", "id_number", TEXT)]


def stage_files(con: duckdb.DuckDBPyConnection, inputs: list[tuple[SourceConfig, list[Path]]],
                township_label: str = "") -> list[dict]:
    """Read `inputs` (each source with its files) and stage them, as a run does in its load
    and normalise steps, on any connection (an in-memory one: `dibao check`, the county
    generator, tests).  Returns what ingest.load_source returns, per file."""
    read = []
    for source, files in inputs:
        read += ingest.load_source(con, source.name, files, source.columns, REQUIRED_FIELDS[source.kind])
    stage_all(con, [source for source, _ in inputs], township_label)
    return read


def stage_all(con: duckdb.DuckDBPyConnection, sources: list[SourceConfig], township_label: str) -> None:
    """Create norm_<kind> for every kind and `_stage_rejects` (ordered as the rejects are
    listed: source, rule, row) from the raw_<source> tables of `sources`, which are dropped."""
    warehouse.run_sql(con, "normalize/macros")
    warehouse.register_table(con, "_id_regions", pa.table({"code": pa.array(sorted(region_codes()), pa.string())}))
    nfkc_fields = _build_nfkc(con, sources)
    _build_value_maps(con, sources)
    for source in sources:
        _build_id_fallback(con, source, nfkc_fields[source.name])
    _build_names(con, sources, nfkc_fields)

    for kind in SOURCE_KIND_SPECS:
        for table, names in norm_tables(kind).items():
            columns = ", ".join(f"{ident(c)} {column_type(kind, c)}" for c in names)
            warehouse.run_sql(con, "normalize/norm_table", fragments={"table": ident(table), "columns": columns})
    warehouse.run_sql(con, "normalize/stage_rejects")
    for index, source in enumerate(sources):
        stage = ident(f"_stage_{source.name}")
        rows = _count(con, ident("raw_" + source.name))
        # In slices of raw rows, in order: the same rows and rejects in the same order as in
        # one piece, but a city's 10M population rows never make one stage that must spill.
        for first in range(0, max(rows, 1), STAGE_SLICE_ROWS):
            _stage_source(con, source, stage, nfkc_fields[source.name], first, first + STAGE_SLICE_ROWS)
            try:
                kept = _rejects(con, source, stage, index)
                _norm_rows(con, source, stage, kept, township_label)
            finally:
                warehouse.run_sql(con, "normalize/drop_stage", fragments={"stage": stage})
        warehouse.run_sql(con, "normalize/drop_raw", fragments={"raw": ident("raw_" + source.name)})


def _count(con, table: str) -> int:
    return warehouse.fetch_sql(con, "warehouse/row_count", fragments={"table": table})[0][0]


# ---------------------------------------------------------------- distinct-value maps

def _build_nfkc(con, sources: list[SourceConfig]) -> dict[str, set[str]]:
    """_nfkc(raw, nfkc): values holding a character outside the SQL mapping; returns, per
    source, the fields that have any (only those are joined), and as `field:plain` the
    fields with no full-width character either (used as they are)."""
    found: dict[str, set[str]] = {s.name: set() for s in sources}
    values: set[str] = set()
    for source in sources:
        for field in _text_fields(source):
            hits, wide = warehouse.fetch_sql(con, "normalize/nfkc_probe", fragments={
                "raw": ident(f"raw_{source.name}"), "column": ident(field)})[0]
            if hits:
                found[source.name].add(field)
                values.update(hits)
            elif not wide:
                found[source.name].add(f"{field}{PLAIN}")   # nothing to map: the column as it is
    ordered = sorted(values)
    warehouse.register_table(con, "_nfkc", pa.table({
        "raw": pa.array(ordered, pa.string()),
        "nfkc": pa.array([unicodedata.normalize("NFKC", v) for v in ordered], pa.string())}))
    return found


def _map_table(con, name: str, values: list[str], function: Callable, columns: dict[str, pa.DataType]) -> None:
    results = [function(v) for v in values]
    arrays = {"raw": pa.array(values, pa.string())}
    for i, (column, dtype) in enumerate(columns.items()):
        arrays[column] = pa.array([r[i] for r in results], dtype)
    warehouse.register_table(con, name, pa.table(arrays))


def clean_text(value: object) -> str | None:
    """NFKC, runs of whitespace as one space, stripped; None when nothing is left (what
    text_clean does in SQL, for the values parsed in Python)."""
    if value is None:
        return None
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value))).strip()
    return text or None


def number_value(value: object) -> float | None:
    """An amount or a count as offices write it: 1,200元, 3人."""
    text = (clean_text(value) or "").replace(",", "").replace("元", "").replace("人", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _build_value_maps(con, sources: list[SourceConfig]) -> None:
    """_dated, _month, _number, _sex: every distinct raw value of such fields, parsed once."""
    values: dict[str, set[str]] = {kind: set() for kind in VALUE_MAPS}
    for source in sources:
        for field in source.columns:
            kind = _type_of(source, field)
            if kind in VALUE_MAPS:
                rows = warehouse.fetch_sql(con, "normalize/distinct_values", fragments={
                    "raw": ident(f"raw_{source.name}"), "column": ident(field)})
                values[kind].update(r[0] for r in rows)
    ordered = {kind: sorted(found) for kind, found in values.items()}
    _map_table(con, "_dated", ordered[DATE], parse_dated, {"value": pa.date32(), "precision": pa.string()})
    _map_table(con, "_month", ordered[MONTH], lambda v: (parse_month(v),), {"value": pa.date32()})
    _map_table(con, "_number", ordered[NUMBER], lambda v: (number_value(v),), {"value": pa.float64()})
    _map_table(con, "_sex", ordered[SEX], lambda v: (SEX_VALUES.get(clean_text(v) or ""),), {"value": pa.string()})


def _nfkc_expr(field: str, with_map: set[str]) -> str:
    if field in with_map:
        return f"coalesce(m_{field}.nfkc, nfkc_fast(r.{ident(field)}))"
    if field + PLAIN in with_map:
        return f"r.{ident(field)}"
    return f"nfkc_fast(r.{ident(field)})"


def _nfkc_joins(fields: set[str]) -> str:
    return " ".join(f"left join _nfkc m_{f} on m_{f}.raw = r.{ident(f)}" for f in sorted(fields) if PLAIN not in f)


def _build_id_fallback(con, source: SourceConfig, with_map: set[str]) -> None:
    """_id_py_<source>: IDs whose cleaned text is not ASCII (a digit of another script,
    a letter NFKC/upper() turn into ASCII): normalize_id itself, once per distinct value."""
    rows: list = []
    if "id_number" in source.columns:
        rows = warehouse.fetch_sql(con, "normalize/non_ascii_ids", fragments={
            "raw": ident(f"raw_{source.name}"), "nfkc_joins": _nfkc_joins(with_map & {"id_number"}),
            "id_number": _nfkc_expr("id_number", with_map)})
    results = [normalize_id(raw, from_number=bool(flag)) for raw, flag in rows]
    warehouse.register_table(con, f"_id_py_{source.name}", pa.table({
        "raw": pa.array([r[0] for r in rows], pa.string()),
        "from_number": pa.array([bool(r[1]) for r in rows], pa.bool_()),
        "id_clean": pa.array([clean_id_text(r[0]) or None for r in rows], pa.string()),
        "id_number": pa.array([r.id_number for r in results], pa.string()),
        "status": pa.array([r.status for r in results], pa.string()),
        "sex": pa.array([r.sex for r in results], pa.string()),
        "birth_date": pa.array([r.birth_date for r in results], pa.date32()),
    }))


def _build_names(con, sources: list[SourceConfig], nfkc_fields: dict[str, set[str]]) -> None:
    """_names(name, name_key, name_pinyin) for every distinct normalised name, in SQL
    through a table of the names' characters (sql/normalize/names.sql)."""
    warehouse.run_sql(con, "normalize/distinct_names")
    for source in sources:
        if "name" not in source.columns:
            continue
        with_map = nfkc_fields[source.name] & {"name", "name" + PLAIN}
        warehouse.run_sql(con, "normalize/add_distinct_names", fragments={
            "raw": ident(f"raw_{source.name}"), "nfkc_joins": _nfkc_joins(with_map),
            "name": _nfkc_expr("name", with_map)})
    build_name_table(con)


def build_name_table(con) -> None:
    """_names from _distinct_names(name): sql/normalize/names.sql over a table of the names'
    characters, names.py itself for the few names that table cannot read."""
    chars = [r[0] for r in warehouse.fetch_sql(con, "normalize/name_characters")]
    table = name_char_table(chars)
    warehouse.register_table(con, "_name_chars", pa.table({column: pa.array(values, pa.string())
                                                           for column, values in table.items()}))
    # Latin letters are split into pinyin syllables, and a character whose key form is not
    # one character shifts the rest: such (rare) names are read by names.py itself.
    odd = {ch for ch, key in zip(table["ch"], table["key_char"]) if len(key) != 1}
    python_names = [r[0] for r in warehouse.fetch_sql(con, "normalize/python_names", {"odd": sorted(odd)})]
    warehouse.register_table(con, "_names_python", pa.table({
        "name": pa.array(python_names, pa.string()),
        "name_key": pa.array([name_key(n) for n in python_names], pa.string()),
        "name_pinyin": pa.array([name_pinyin(n) for n in python_names], pa.string())}))
    warehouse.run_sql(con, "normalize/names")


# ---------------------------------------------------------------- one source

def _stage_source(con, source: SourceConfig, stage: str, with_map: set[str], first_row: int, end_row: int) -> None:
    """The stage of raw rows first_row <= rowid < end_row."""
    fields = list(source.columns)
    nfkc = [f"{_nfkc_expr(f, with_map)} as {ident('n_' + f)}" for f in _text_fields(source)]
    cleaned, mapped, joins = [], [], []
    for f in fields:
        kind, col, value = _type_of(source, f), ident(f), ident("v_" + f)
        if kind in ("name", "id_number"):
            continue
        if kind == TEXT:
            cleaned.append(f"text_clean({ident('n_' + f)}) as {value}")
            continue
        mapped.append(f"j_{f}.value as {value}")
        if kind == DATE:
            mapped.append(f"j_{f}.precision as {ident('p_' + f)}")
        joins.append(f"left join {VALUE_MAPS[kind]} j_{f} on j_{f}.raw = c.{col}")
    py = ident(f"_id_py_{source.name}")
    if _count(con, py):
        id_py_join = f"left join {py} p on p.raw = c.id_number and p.from_number = c._id_number_is_number"
    else:   # the usual case: every ID is ASCII once cleaned, so SQL decides all of them
        id_py_join = f"left join {py} p on false"
    # The stage keeps only what rejects and norm rows read: the raw cells, lineage and the
    # normalised values (a city's population stage is 10M rows: every column spilled costs).
    kept = ["c._pos", "c._row", "c._file", "c._sheet", "c._name"] + [f"c.{ident(f)}" for f in fields] + [
        f"c.{ident('v_' + f)}" for f in fields if _type_of(source, f) == TEXT]
    warehouse.run_sql(con, "normalize/stage_source", {"first_row": first_row, "end_row": end_row}, fragments={
        "stage": stage, "raw": ident(f"raw_{source.name}"), "stage_columns": ", ".join(kept),
        "nfkc_columns": ", ".join(nfkc) or "null as _none", "nfkc_joins": _nfkc_joins(with_map),
        "name": "name_clean(n_name)" if "name" in source.columns else "null::varchar",
        "id_text": "id_text(n_id_number)" if "id_number" in source.columns else "null::varchar",
        "cleaned_columns": ", ".join(cleaned) or "null as _none2",
        "mapped_columns": (", " + ", ".join(mapped)) if mapped else "", "id_py_join": id_py_join,
        "joins": " ".join(joins)})


def _accepted(source: SourceConfig) -> dict[str, list[str]]:
    """The accepted values of the kind's checks, as parameters $accepted_<field>."""
    return {f"accepted_{c.field}": list(c.values) for c in SOURCE_KIND_SPECS[source.kind].checks if c.values}


def _accepted_sql(check: Check) -> str:
    return f"list_contains($accepted_{check.field}, {ident('v_' + check.field)})"


def _rejects(con, source: SourceConfig, stage: str, index: int) -> str:
    """Insert this source's rejects, in the order they are listed: no name, then each
    field's type, then the kind's checks in declaration order.  Returns the condition of
    the rows that are kept."""
    order = 0
    params = _accepted(source)

    def reject(field: str, condition: str, reason: str) -> None:
        nonlocal order
        warehouse.run_sql(con, "normalize/source_rejects",
                          params | {"source": source.name, "column": source.columns[field], "reason": reason,
                                    "source_index": index, "order": order},
                          fragments={"stage": stage, "value": ident(field), "condition": condition})
        order += 1

    kept = "_name is not null"
    reject("name", "_name is null", REJECT_NO_NAME)
    for f in source.columns:
        kind = _type_of(source, f)
        if kind in TYPE_REJECTS:
            reject(f, f"{ident(f)} is not null and {ident('v_' + f)} is null and {kept}", TYPE_REJECTS[kind])
    for check in SOURCE_KIND_SPECS[source.kind].checks:
        if check.field not in source.columns:
            continue
        value = ident("v_" + check.field)
        if check.values and check.drops_row:      # a value outside the list, or none, drops the row
            good = f"coalesce({_accepted_sql(check)}, false)"
        elif check.values:                        # a value outside the list is set to NULL
            reject(check.field, f"{value} is not null and not {_accepted_sql(check)} and {kept}", check.reason)
            continue
        else:                                     # an empty value drops the row
            good = f"{value} is not null"
        reject(check.field, f"not ({good}) and {kept}", check.reason)
        kept = f"{kept} and {good}"
    return kept


def _norm_rows(con, source: SourceConfig, stage: str, kept: str, township_label: str) -> None:
    spec = SOURCE_KIND_SPECS[source.kind]
    mapped = set(source.columns)
    common = {
        "source": "$source", "source_label": "$label", "file": "_file", "sheet": "_sheet",
        "row_number": "_row", "name_raw": ident("name") if "name" in mapped else "null",
        "name": "_name", "name_key": "_name_key", "name_pinyin": "_name_pinyin",
        "id_number_raw": ident("id_number") if "id_number" in mapped else "null",
        "id_clean": "_id_clean", "id_number": "_id_number", "id_status": "_id_status",
        "id_sex": "_id_sex", "id_birth_date": "_id_birth_date",
    }
    nulled = {c.field: c for c in spec.checks if c.values and not c.drops_row and c.field in mapped}
    precisions = {precision_column(f.name): f.name for f in spec.fields if f.type == DATE}
    select: dict[str, str] = {}
    for column in staged_columns(source.kind):
        if column in COMMON_COLUMNS:
            expr = common[column]
        elif column in precisions:
            expr = ident("p_" + precisions[column]) if precisions[column] in mapped else "null"
        elif column in nulled:
            expr = f"case when {_accepted_sql(nulled[column])} then {ident('v_' + column)} end"
        elif column in mapped:
            expr = ident("v_" + column)
        else:
            expr = "null"
        if column == "township" and spec.township_from_config:
            expr = f"coalesce({expr}, $township_label)"
        select[column] = f"cast({expr} as {column_type(source.kind, column)})"
    params = _accepted(source) | {"source": source.name, "label": source.label, "township_label": township_label}

    def insert(table: str, columns: list[str], condition: str) -> None:
        warehouse.run_sql(con, "normalize/norm_rows", params, fragments={
            "table": ident(table), "stage": stage, "kept": condition,
            "columns": ", ".join(f"{select[c]} as {ident(c)}" for c in columns)})

    for table, columns in norm_tables(source.kind).items():
        if table == f"norm_{source.kind}":
            insert(table, columns, kept)
        else:   # the death rows, whole
            field, value = spec.deaths_when
            insert(table, columns, f"{kept} and {select[field]} = {warehouse.sql_literal(value)}")
