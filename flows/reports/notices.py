"""Written notices (告知书) for households whose benefit is stopped or reduced: one .docx
per village, a page per household, that the office edits, prints, stamps and hands over.

A page names only its own household's people (the 户主 and the members the change is
about): each village's file is printed and handed out household by household.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Pt

from flows.config import FollowUpConfig
from flows.reports.excel_style import month_label, safe_file_part, text_or_none

NOTICE_TITLE = "城乡低保（特困供养）待遇变更告知书"


def notice_file_name(township: str, village: str, month: str) -> str:
    return f"{safe_file_part(township)}_{safe_file_part(village)}_告知书_{month}.docx"


def write_notices(actions: pd.DataFrame, out_dir: Path, month: str, office: FollowUpConfig) -> list[Path]:
    """One .docx per village with a stopped or reduced household; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for (township, village), rows in actions.groupby(["township", "village"], sort=True):
        document = Document()
        _base_style(document)
        households = list(rows.groupby("household_id", sort=True))
        for index, (_, household) in enumerate(households):
            _write_notice(document, household.to_dict("records"), township, village, month, office)
            if index < len(households) - 1:
                document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        path = out_dir / notice_file_name(township, village, month)
        document.save(path)
        written.append(path)
    return written


def _base_style(document) -> None:
    style = document.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(12)


def change_text(action: dict[str, Any]) -> str:
    """The change in plain words, for one action of the household."""
    start = month_label(action["from_month"])
    if action["kind"] == "停发" and text_or_none(action["person_key"]):
        return (f"{action['name']}的{action['benefit_type'] or '救助'}金（每月{_yuan(action['current_amount'])}元）"
                f"自{start}起停止发放。原因：{action['reason']}。")
    if action["kind"] == "停发":
        return (f"你户的{action['benefit_type'] or '救助'}待遇（每月{_yuan(action['current_amount'])}元）"
                f"自{start}起停止发放。原因：{action['reason']}。")
    return (f"你户的保障人数由{action['current_size']}人调整为{action['new_size']}人，"
            f"每月保障金额由{_yuan(action['current_amount'])}元调整为{_yuan(action['new_amount'])}元，"
            f"自{start}起执行。原因：{action['reason']}。")


def _write_notice(document, actions: list[dict[str, Any]], township: str, village: str, month: str,
                  office: FollowUpConfig) -> None:
    first = actions[0]
    office_name = office.office_name.format(township=township)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(NOTICE_TITLE)
    run.bold = True
    run.font.size = Pt(18)
    document.add_paragraph(f"{first['head_name'] or first['name']}户（{township}{village}，户编号{first['household_id']}）：")
    document.add_paragraph(f"经{month_label(month)}数据比对和村（社区）入户核实，现将你户享受的"
                           "城乡低保（特困供养）待遇变更情况告知如下：")
    for number, action in enumerate(actions, start=1):
        document.add_paragraph(f"{number}. {change_text(action)}")
    document.add_paragraph(
        f"如对上述决定有异议，可自收到本告知书之日起{office.review_days}日内向{office_name}申请复核，"
        "也可依法申请行政复议或提起行政诉讼。")
    document.add_paragraph(f"联系地址：{office.office_address or '（请填写）'}　　联系电话：{office.office_phone or '（请填写）'}")
    document.add_paragraph("")
    signed = document.add_paragraph(f"{office_name}（盖章）")
    signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    dated = document.add_paragraph("　　　　年　　月　　日")
    dated.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph("")
    document.add_paragraph("签收人：　　　　　　　签收日期：　　　　年　　月　　日")


def _yuan(value: Any) -> str:
    return "" if text_or_none(value) is None else f"{float(value):.2f}"
