"""raw_<source> -> norm_<kind> and rejects, as set operations in DuckDB.

The set-wise twin of `flows/sources/stage.stage_source` (kept as the reference the unit
tests and the equivalence test compare with).  IDs (GB 11643 check digit, region, birth
date, sex, 15 -> 18, Excel damage), the NFKC-equivalent cleaning of names and text, and
every reject are SQL (`sql/normalize/*.sql`).  What is hard in SQL but has few distinct
values is computed in Python once per DISTINCT value and joined back: dates and months
(tens of thousands of distinct strings at most), amounts, sex, a name's variant key and
pinyin, and the NFKC form of a value holding a character the SQL mapping does not cover.
No row of people travels DuckDB -> pandas -> DuckDB.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import duckdb
import pyarrow as pa

from flows.config import KIND_FIELDS, SourceConfig
from flows.normalize.dates import ACCEPTED_FORMS, parse_dated, parse_month
from flows.normalize.ids import clean_id_text, normalize_id, region_codes
from flows.normalize.names import name_char_table, name_key, name_pinyin
from flows.sources.ingest import ident, run_template
from flows.sources.stage import (DATE_FIELDS, MONTH_FIELDS, NUMBER_FIELDS, POPULATION_STATUS, POVERTY_TYPES,
                                 SEX_VALUES, STAGED_COMMON, _clean_text, _number_text, precision_column,
                                 staged_columns)

STAGE_SLICE_ROWS = 1_000_000
REJECT_DATE = f"日期无法识别（该字段置空，其余信息已导入）；{ACCEPTED_FORMS}"
REJECT_MONTH = "年月无法识别（该字段置空，其余信息已导入）；接受的写法：2020-05、2020年5月、202005"
REJECT_NUMBER = "不是数字（该字段置空，其余信息已导入）"
REJECT_SEX = "性别应为 男 或 女（该字段置空）"
REJECT_NO_NAME = "姓名为空，整行未导入"
REJECT_STATUS = "人员状态应为 正常、死亡 或 迁出（该字段置空）"
REJECT_TYPE = "户类型应为 未脱贫建档立卡、边缘户 或 脱贫监测户，整行未导入"
REJECT_HOUSEHOLD = "户编号为空，整行未导入"
REJECT_VILLAGE = "村（社区）为空，整行未导入"


def _kind_of(field: str) -> str:
    if field in DATE_FIELDS:
        return "date"
    if field in MONTH_FIELDS:
        return "month"
    if field in NUMBER_FIELDS:
        return "number"
    if field == "sex":
        return "sex"
    return "text"


def column_type(column: str) -> str:
    if column in DATE_FIELDS or column in MONTH_FIELDS or column == "id_birth_date":
        return "date"
    if column in NUMBER_FIELDS:
        return "double"
    if column == "row_number":
        return "bigint"
    return "varchar"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(_sql_text(v) for v in values) + ")"


def stage_all(con: duckdb.DuckDBPyConnection, sources: list[SourceConfig], township_label: str) -> None:
    """Create norm_<kind> for every kind and `_stage_rejects` (ordered as stage_source
    would list them) from the raw_<source> tables of `sources`."""
    run_template(con, "normalize/macros")
    _register(con, "_id_regions", pa.table({"code": pa.array(sorted(region_codes()), pa.string())}))
    text_fields = {s.name: [f for f in s.columns if f in ("name", "id_number") or _kind_of(f) == "text"]
                   for s in sources}
    nfkc_fields = _build_nfkc(con, sources, text_fields)
    _build_value_maps(con, sources)
    for source in sources:
        _build_id_fallback(con, source, nfkc_fields[source.name])
    _build_names(con, sources, nfkc_fields)

    for kind, fields in KIND_FIELDS.items():
        columns = staged_columns(kind)
        run_template(con, "normalize/norm_table", table=ident(f"norm_{kind}"),
                     columns=", ".join(f"{ident(c)} {column_type(c)}" for c in columns))
    run_template(con, "normalize/stage_rejects")
    for index, source in enumerate(sources):
        stage = ident(f"_stage_{source.name}")
        rows = con.execute(f"select count(*) from {ident('raw_' + source.name)}").fetchone()[0]
        # In slices of raw rows, in order: the same rows and rejects in the same order as in
        # one piece, but a city's 10M population rows never make one stage that must spill.
        for first in range(0, max(rows, 1), STAGE_SLICE_ROWS):
            _stage_source(con, source, stage, nfkc_fields[source.name], first, first + STAGE_SLICE_ROWS)
            try:
                kept = _rejects(con, source, stage, index)
                _norm_rows(con, source, stage, kept, township_label)
            finally:
                con.execute(f"drop table if exists temp.{stage}")


# ---------------------------------------------------------------- distinct-value maps

def _register(con, name: str, table: pa.Table) -> None:
    con.register("_arrow_map", table)
    try:
        con.execute(f"create or replace temp table {name} as select * from _arrow_map")
    finally:
        con.unregister("_arrow_map")


def _distinct(con, selects: list[str]) -> list:
    if not selects:
        return []
    rows = con.execute(" union ".join(selects)).fetchall()
    return [r[0] if len(r) == 1 else r for r in rows]


def _build_nfkc(con, sources: list[SourceConfig], text_fields: dict[str, list[str]]) -> dict[str, set[str]]:
    """_nfkc(raw, nfkc): values holding a character outside the SQL mapping; returns, per
    source, the fields that have any (only those are joined), and as `field:plain` the
    fields with no full-width character either (used as they are)."""
    import unicodedata

    found: dict[str, set[str]] = {s.name: set() for s in sources}
    values: set[str] = set()
    for source in sources:
        raw = ident(f"raw_{source.name}")
        for field in text_fields[source.name]:
            col = ident(field)
            hits, wide = con.execute(f"select list(distinct {col}) filter (where nfkc_unsafe({col})), "
                                     f"coalesce(bool_or(nfkc_wide({col})), false) from {raw}").fetchone()
            if hits:
                found[source.name].add(field)
                values.update(hits)
            elif not wide:
                found[source.name].add(f"{field}{PLAIN}")   # nothing to map: the column as it is
    ordered = sorted(values)
    _register(con, "_nfkc", pa.table({"raw": pa.array(ordered, pa.string()),
                                      "nfkc": pa.array([unicodedata.normalize("NFKC", v) for v in ordered],
                                                       pa.string())}))
    return found


def _map_table(con, name: str, values: list[str], function: Callable, columns: dict[str, pa.DataType]) -> None:
    results = [function(v) for v in values]
    arrays = {"raw": pa.array(values, pa.string())}
    for i, (column, dtype) in enumerate(columns.items()):
        arrays[column] = pa.array([r[i] for r in results], dtype)
    _register(con, name, pa.table(arrays))


def _number_value(value: str) -> tuple[float | None]:
    number = _number_text(value)
    return (None if number is None or math.isnan(number) else number,)


def _build_value_maps(con, sources: list[SourceConfig]) -> None:
    """_dated, _month, _number, _sex: every distinct raw value of such fields, parsed once."""
    by_kind: dict[str, list[str]] = {"date": [], "month": [], "number": [], "sex": []}
    for source in sources:
        raw = ident(f"raw_{source.name}")
        for field in source.columns:
            kind = _kind_of(field)
            if kind in by_kind:
                by_kind[kind].append(f"select distinct {ident(field)} from {raw} where {ident(field)} is not null")
    values = {kind: sorted(_distinct(con, selects)) for kind, selects in by_kind.items()}
    _map_table(con, "_dated", values["date"], parse_dated, {"value": pa.date32(), "precision": pa.string()})
    _map_table(con, "_month", values["month"], lambda v: (parse_month(v),), {"value": pa.date32()})
    _map_table(con, "_number", values["number"], _number_value, {"value": pa.float64()})
    _map_table(con, "_sex", values["sex"], lambda v: (SEX_VALUES.get(_clean_text(v) or ""),), {"value": pa.string()})


PLAIN = ":plain"


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
    table = f"_id_py_{source.name}"
    rows: list = []
    if "id_number" in source.columns:
        nfkc = _nfkc_expr("id_number", with_map)
        query = (f"select distinct r.id_number, r._id_number_is_number from {ident('raw_' + source.name)} r "
                 f"{_nfkc_joins(with_map & {'id_number'})} where id_non_ascii(id_text({nfkc}))")
        rows = con.execute(query).fetchall()
    results = [normalize_id(raw, from_number=bool(flag)) for raw, flag in rows]
    _register(con, table, pa.table({
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
    selects = []
    for source in sources:
        if "name" not in source.columns:
            continue
        with_map = nfkc_fields[source.name] & {"name", "name" + PLAIN}
        selects.append(f"select distinct name_clean({_nfkc_expr('name', with_map)}) as name "
                       f"from {ident('raw_' + source.name)} r {_nfkc_joins(with_map)}")
    union = " union ".join(selects) if selects else "select null::varchar as name"
    con.execute(f"create or replace temp table _distinct_names as select name from ({union}) where name is not null")
    build_name_table(con)


def build_name_table(con) -> None:
    """_names from _distinct_names(name): sql/normalize/names.sql over a table of the names'
    characters, names.py itself for the few names that table cannot read."""
    chars = [r[0] for r in con.execute(
        "select distinct unnest(string_split(name, '')) from _distinct_names").fetchall()]
    table = name_char_table(chars)
    _register(con, "_name_chars", pa.table({column: pa.array(values, pa.string())
                                            for column, values in table.items()}))
    # Latin letters are split into pinyin syllables, and a character whose key form is not
    # one character shifts the rest: such (rare) names are read by names.py itself.
    odd = {ch for ch, key in zip(table["ch"], table["key_char"]) if len(key) != 1}
    python_names = [r[0] for r in con.execute(
        "select name from _distinct_names where regexp_matches(name, '[A-Za-z]') or name = '' "
        "or list_has_any(string_split(name, ''), $odd)", {"odd": sorted(odd)}).fetchall()]
    _register(con, "_names_python", pa.table({
        "name": pa.array(python_names, pa.string()),
        "name_key": pa.array([name_key(n) for n in python_names], pa.string()),
        "name_pinyin": pa.array([name_pinyin(n) for n in python_names], pa.string())}))
    run_template(con, "normalize/names")


# ---------------------------------------------------------------- one source

def _stage_source(con, source: SourceConfig, stage: str, with_map: set[str], first_row: int, end_row: int) -> None:
    """The stage of raw rows first_row <= rowid < end_row."""
    fields = list(source.columns)
    nfkc = [f"{_nfkc_expr(f, with_map)} as {ident('n_' + f)}" for f in fields
            if f in ("name", "id_number") or _kind_of(f) == "text"]
    cleaned, mapped, joins = [], [], []
    for f in fields:
        kind, col, value = _kind_of(f), ident(f), ident("v_" + f)
        if f in ("name", "id_number"):
            continue
        if kind == "text":
            cleaned.append(f"text_clean({ident('n_' + f)}) as {value}")
        elif kind == "date":
            mapped += [f"j_{f}.value as {value}", f"j_{f}.precision as {ident('p_' + f)}"]
            joins.append(f"left join _dated j_{f} on j_{f}.raw = c.{col}")
        else:
            table = {"month": "_month", "number": "_number", "sex": "_sex"}[kind]
            mapped.append(f"j_{f}.value as {value}")
            joins.append(f"left join {table} j_{f} on j_{f}.raw = c.{col}")
    py = ident(f"_id_py_{source.name}")
    if con.execute(f"select count(*) from {py}").fetchone()[0]:
        id_py_join = f"left join {py} p on p.raw = c.id_number and p.from_number = c._id_number_is_number"
    else:   # the usual case: every ID is ASCII once cleaned, so SQL decides all of them
        id_py_join = f"left join {py} p on false"
    name = "name_clean(n_name)" if "name" in source.columns else "null::varchar"
    id_text = "id_text(n_id_number)" if "id_number" in source.columns else "null::varchar"
    # The stage keeps only what rejects and norm rows read: the raw cells, lineage and the
    # normalised values (a city's population stage is 10M rows: every column spilled costs).
    kept = ["c._pos", "c._row", "c._file", "c._sheet", "c._name"] + [f"c.{ident(f)}" for f in fields] + [
        f"c.{ident('v_' + f)}" for f in fields if f not in ("name", "id_number") and _kind_of(f) == "text"]
    run_template(
        con, "normalize/stage_source", stage=stage, raw=ident(f"raw_{source.name}"), stage_columns=", ".join(kept),
        rows=f"r.rowid >= {int(first_row)} and r.rowid < {int(end_row)}",
        nfkc_columns=", ".join(nfkc) or "null as _none", nfkc_joins=_nfkc_joins(with_map),
        name=name, id_text=id_text, cleaned_columns=", ".join(cleaned) or "null as _none2",
        mapped_columns=(", " + ", ".join(mapped)) if mapped else "", id_py_join=id_py_join, joins=" ".join(joins))


def _rejects(con, source: SourceConfig, stage: str, index: int) -> str:
    """Insert this source's rejects in stage_source's order; returns the condition of the
    rows that are kept."""
    order = 0

    def reject(field: str, condition: str, reason: str) -> None:
        nonlocal order
        run_template(con, "normalize/source_rejects",
                     {"source": source.name, "column": source.columns[field], "reason": reason,
                      "source_index": index, "order": order},
                     stage=stage, value=ident(field), condition=condition)
        order += 1

    named = "_name is not null"
    reject("name", "_name is null", REJECT_NO_NAME)
    for f in source.columns:
        kind = _kind_of(f)
        if f in ("name", "id_number") or kind == "text":
            continue
        reason = {"date": REJECT_DATE, "month": REJECT_MONTH, "number": REJECT_NUMBER, "sex": REJECT_SEX}[kind]
        reject(f, f"{ident(f)} is not null and {ident('v_' + f)} is null and {named}", reason)
    kept = named
    if source.kind == "population" and "status" in source.columns:
        reject("status", f"v_status is not null and v_status not in {_in_list(POPULATION_STATUS)} and {named}",
               REJECT_STATUS)
    if source.kind == "poverty":
        typed = f"coalesce(v_household_type in {_in_list(POVERTY_TYPES)}, false)"
        reject("household_type", f"not {typed} and {kept}", REJECT_TYPE)
        kept = f"{kept} and {typed}"
    if source.kind == "roster":
        reject("household_id", f"v_household_id is null and {kept}", REJECT_HOUSEHOLD)
        kept = f"{kept} and v_household_id is not null"
    if source.kind in ("roster", "poverty"):
        reject("village", f"v_village is null and {kept}", REJECT_VILLAGE)
        kept = f"{kept} and v_village is not null"
    return kept


def _norm_rows(con, source: SourceConfig, stage: str, kept: str, township_label: str) -> None:
    mapped = set(source.columns)
    common = {
        "source": "$source", "source_label": "$label", "file": "_file", "sheet": "_sheet",
        "row_number": "_row", "name_raw": ident("name") if "name" in mapped else "null",
        "name": "_name", "name_key": "_name_key", "name_pinyin": "_name_pinyin",
        "id_number_raw": ident("id_number") if "id_number" in mapped else "null",
        "id_clean": "_id_clean", "id_number": "_id_number", "id_status": "_id_status",
        "id_sex": "_id_sex", "id_birth_date": "_id_birth_date",
    }
    select = []
    for column in staged_columns(source.kind):
        if column in STAGED_COMMON:
            expr = common[column]
        elif column.endswith("_precision") and column.removesuffix("_precision") in DATE_FIELDS:
            field = column.removesuffix("_precision")
            expr = ident("p_" + field) if field in mapped else "null"
        elif column in mapped:
            expr = ident("v_" + column)
            if column == "status" and source.kind == "population":
                expr = f"case when v_status in {_in_list(POPULATION_STATUS)} then v_status end"
        else:
            expr = "null"
        if column == "township" and source.kind in ("roster", "poverty"):
            expr = f"coalesce({expr}, $township_label)"
        select.append(f"cast({expr} as {column_type(column)}) as {ident(column)}")
    run_template(con, "normalize/norm_rows",
                 {"source": source.name, "label": source.label, "township_label": township_label},
                 table=ident(f"norm_{source.kind}"), stage=stage, columns=", ".join(select), kept=kept)
