"""Writing decisions: the few statements both a returned sheet and a township decision use."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from flows import warehouse
from flows.cases.returned_file import ReturnError


def append_decisions(con, rows: pd.DataFrame) -> None:
    """Append decisions (with the evidence they were made on) and move case statuses."""
    con.register("_decisions", rows.astype(object).where(rows.notna(), None))
    try:
        warehouse.run_sql(con, "cases/decisions/append_decisions")
        warehouse.run_sql(con, "cases/decisions/apply_decisions")
    finally:
        con.unregister("_decisions")


def check_duplicate_choices(con, month: str, answers: pd.DataFrame, path: Path) -> None:
    """A person listed twice keeps exactly one listing: refuse answers that stop or keep all."""
    chosen = answers[answers["choice"].notna()][["case_id", "choice"]] if len(answers) else answers
    if chosen.empty:
        return
    refused = query_with(con, "_incoming", chosen, "cases/returns/duplicate_choices", {"month": month})
    if len(refused):
        raise ReturnError(path, [
            f"核查编号{r.case_id}：同一人的所有享受记录都选择了“停发此处”，至少应保留一处" if r.verdict == "all_stopped"
            else f"核查编号{r.case_id}：同一人的所有享受记录都选择了“保留此处”，重复享受属实的只能保留一处"
            for r in refused.itertuples()])


def query_with(con, name: str, frame: pd.DataFrame, sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run a sql/ query that reads `frame`, registered under `name`."""
    con.register(name, frame.astype(object).where(frame.notna(), None))
    try:
        return warehouse.query_sql(con, sql, params)
    finally:
        con.unregister(name)


def run_with(con, name: str, frame: pd.DataFrame, sql: str) -> None:
    """Run a sql/ statement that reads `frame`, registered under `name`."""
    con.register(name, frame.astype(object).where(frame.notna(), None))
    try:
        warehouse.run_sql(con, sql)
    finally:
        con.unregister(name)
