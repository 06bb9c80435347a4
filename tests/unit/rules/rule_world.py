"""Literal rows → files → an in-memory DuckDB → one rule's SQL: the fast layer of rule tests.

Rows are written with the source headers (the `member`, `person`, `death` and `poor`
helpers of tests/helpers.py) as CSV files, read and staged by the code a run uses
(flows.normalize.staging.stage_files: flows/sources/ingest.py and sql/normalize/, then
sql/staging/), and only the rule under test runs — after the rules it `needs`."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from helpers import write_csv

from flows import pipeline, warehouse
from flows.config import load_settings
from flows.normalize.staging import stage_files
from flows.rules import RULES

# The keyword a test names a source by, when it is not the source's own name in the config.
SOURCE_ALIASES = {"deaths": "police_deaths"}


def rule_hits(code: str, *, month: str = "2020-05", **rows) -> pd.DataFrame:
    """The findings of rule `code` on these rows, one row per hit with the subject's name.
    Each keyword is a source of the config (`deaths` for police_deaths) and its rows."""
    settings = load_settings()
    con = warehouse.connect(":memory:")
    with tempfile.TemporaryDirectory(prefix="rule-world-") as folder:
        inputs = []
        for keyword, source_rows in rows.items():
            source = settings.sources[SOURCE_ALIASES.get(keyword, keyword)]
            if source_rows:
                header = list(source.columns.values())
                path = write_csv(Path(folder) / f"{source.name}.csv", header,
                                 [{h: row.get(h) for h in header} for row in source_rows])
                inputs.append((source, [path]))
        stage_files(con, inputs, settings.township_label)
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
