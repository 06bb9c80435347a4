"""Literal rows → an in-memory DuckDB → one rule's SQL: the fast layer of rule tests.

Rows are written with the source headers (the `member`, `person`, `death` and `poor`
helpers of tests/helpers.py), staged by the same code a run uses (flows.sources.stage
and sql/staging/), and only the rule under test runs — after the rules it `needs`."""
from __future__ import annotations

import pandas as pd

from flows import pipeline, warehouse
from flows.config import SOURCE_KINDS, load_settings
from flows.rules import RULES
from flows.sources.stage import empty_staged, stage_source, staged_arrow



def _cells(source, rows: list[dict]) -> pd.DataFrame:
    by_header = pd.DataFrame(rows, dtype=object)
    cells = pd.DataFrame({field: by_header.get(header) for field, header in source.columns.items()}, dtype=object)
    cells = cells.astype(object).where(cells.notna(), None).map(lambda v: None if v in ("", None) else str(v))
    cells["_file"], cells["_sheet"] = f"{source.name}.csv", ""
    cells["_row"] = range(2, len(cells) + 2)
    cells["_id_number_is_number"] = False
    return cells


def rule_hits(code: str, *, roster=(), deaths=(), population=(), poverty=(), assistance=(),
              month: str = "2020-05") -> pd.DataFrame:
    """The findings of rule `code` on these rows, one row per hit with the subject's name."""
    settings = load_settings()
    rows = {"roster": roster, "police_deaths": deaths, "population": population, "poverty": poverty,
            "assistance": assistance}
    con = warehouse.connect(":memory:")
    staged = {kind: [] for kind in SOURCE_KINDS}
    for name, source_rows in rows.items():
        if source_rows:
            source = settings.sources[name]
            frame, _ = stage_source(source, _cells(source, list(source_rows)), township_label=settings.township_label)
            staged[source.kind].append(frame)
    for kind in SOURCE_KINDS:
        frame = pd.concat(staged[kind], ignore_index=True) if staged[kind] else empty_staged(kind)
        con.register("_staged", staged_arrow(frame[list(empty_staged(kind).columns)]))
        con.execute(f"create table norm_{kind} as select * from _staged")
        con.unregister("_staged")
    for name in pipeline.STAGING_SQL:
        warehouse.run_sql(con, name)
    warehouse.run_sql(con, "matching/rule_hits")
    params = pipeline.rule_params(month, settings, "unit")
    for rule in [RULES[n] for n in RULES[code].needs] + [RULES[code]]:
        if rule.prepare:
            pipeline.PREPARE_STEPS[rule.prepare](con, params, settings)
        warehouse.run_sql(con, rule.sql, params, prefix="insert into rule_hits by name ")
    hits = con.execute("select h.*, s.name, s.household_id from rule_hits h join stg_subjects s using (subject_id) "
                       "where h.rule = ? order by s.name, s.household_id", [code]).df()
    con.close()
    return hits

