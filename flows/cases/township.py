"""Township decisions: the office's own 核实结果 on a case (`dibao decide`, `review.decide`).

The village reports; where the registry says otherwise the township decides.  A finding whose
registry evidence outranks a village (an exact-ID death from 公安 or 火化, a death from two
sources, an exact-ID duplicate benefit — each rule declares it) can be closed as 不属实 or
已处理 only here, and only with a reason, the evidence it rests on (本人到场核验 2020-06-12,
公安更正户籍, …) and the officer's name: the record answers "who decided this, on what" for
any later audit.  Never through a village sheet.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from flows import warehouse
from flows.cases.record import append_decisions, check_duplicate_choices
from flows.cases.returned_file import ReturnError
from flows.reports.workbooks import DUPLICATE_CHOICES, RESULT_CHOICES

ANSWERS = RESULT_CHOICES + DUPLICATE_CHOICES
CLOSING = ("不属实", "已处理")


class TownshipDecisionError(ValueError):
    """A township decision that cannot be recorded; the message is Chinese and names the case."""


def decide(db_path: Path, case_id: str, result: str, *, reason: str = "", evidence: str = "",
           officer: str = "", month: str | None = None) -> str:
    """Record the township's decision on one case; returns the case's new status."""
    case_id = case_id.strip().upper()
    if result not in ANSWERS:
        raise TownshipDecisionError(f"核实结果应为 {'、'.join(ANSWERS)} 之一")
    reason, evidence, officer = (reason or "").strip(), (evidence or "").strip(), (officer or "").strip()
    with warehouse.run_lock(db_path), warehouse.working_copy(db_path) as work:
        con = warehouse.connect(work)
        try:
            warehouse.ensure_schema(con)
            case = warehouse.query_sql(con, "cases/decisions/case_authority", {"case_id": case_id})
            if case.empty:
                raise TownshipDecisionError(f"没有核查编号为 {case_id} 的案件")
            row = case.iloc[0]
            needs_grounds = result in CLOSING and (bool(row["registry_certain"]) or row["status"] == "disputed")
            if needs_grounds and not (reason and evidence and officer):
                raise TownshipDecisionError(
                    f"核查编号 {case_id} 有公安/火化等登记证据（或村报不属实待复核），镇级认定“{result}”"
                    "须写明理由（--reason）、依据（--evidence，如“本人到场核验 2020-06-12”“公安更正”）和经办人（--officer）")
            if result in DUPLICATE_CHOICES and row["rule"] != "DUPLICATE_BENEFIT":
                raise TownshipDecisionError(f"核查编号 {case_id}：“停发此处/保留此处”只用于重复享受，其他疑点用“属实”")
            if result == "属实" and row["rule"] == "DUPLICATE_BENEFIT":
                raise TownshipDecisionError(f"核查编号 {case_id} 是重复享受：请选择“停发此处”或“保留此处”")
            choice = result if result in DUPLICATE_CHOICES else None
            answer = pd.DataFrame([{
                "case_id": case_id, "result": "属实" if choice else result, "choice": choice,
                "remark": reason or None, "month": month or row["last_seen_month"],
                "decided_by": officer or "镇民政办", "decided_at": dt.datetime.now(),
                "source_file": None, "file_sha256": None, "origin": "township", "evidence": evidence or None}])
            con.execute("begin transaction")
            try:
                check_duplicate_choices(con, answer["month"].iloc[0], answer, Path(case_id))
            except ReturnError as exc:
                raise TownshipDecisionError(exc.problems[0]) from None
            append_decisions(con, answer)
            status = warehouse.query_sql(con, "cases/decisions/case_authority", {"case_id": case_id})["status"].iloc[0]
            con.execute("commit")
            return status
        finally:
            con.close()
