"""Written notices (告知书): one per household action, one .docx per village with a page per
notice, that the office checks, prints on A4, stamps and hands over.

A notice is addressed to a member who remains (the 户主, else the next member; 家属/代领人
when nobody remains), never to the person who died.  It says the change, the reason in
plain words, from which month, the overpaid amount to return and how, and the 复核 route
and period from the config.  A notice is issued once: written again for the same month
on a later day, it says 补发 and the date of the original.

A page names only its own household's people: each village's file is printed and handed
out household by household.  Typefaces are those of a 公文: title in 宋体 (小标宋 where
installed), body in 仿宋_GB2312 → 仿宋; the East-Asian font is set explicitly, or Word
falls back to a sans face for Chinese text.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from flows.config import FollowUpConfig
from flows.reports.excel_style import date_label, month_label, text_or_none, unique_file_parts

NOTICE_TITLE = "城乡低保（特困供养）待遇变更告知书"
BODY_FONT = "仿宋_GB2312"       # 公文 body; Word substitutes 仿宋 where GB2312 is missing
BODY_FALLBACK = "仿宋"
TITLE_FONT = "宋体"
A4 = (Mm(210), Mm(297))


def notice_file_name(place_part: str, month: str) -> str:
    return f"{place_part}_告知书_{month}.docx"


def write_notices(actions: pd.DataFrame, out_dir: Path, month: str, office: FollowUpConfig, *,
                  today: dt.date) -> list[Path]:
    """One .docx per village with household actions, a page per action; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if not len(actions):
        return []
    parts = unique_file_parts((r["township"], r["village"] or "") for r in actions.to_dict("records"))
    written = []
    for (township, village), rows in actions.groupby(["township", actions["village"].fillna("")], sort=True):
        document = Document()
        _page_and_styles(document)
        records = rows.to_dict("records")
        for index, action in enumerate(records):
            _write_notice(document, action, township, village, month, office, today)
            if index < len(records) - 1:
                document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        path = out_dir / notice_file_name(parts[township, village], month)
        document.save(path)
        written.append(path)
    return written


def _page_and_styles(document) -> None:
    for section in document.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = A4
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)     # GB/T 9704 公文 margins
        section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = document.styles["Normal"]
    normal.font.size = Pt(16)                                          # 三号
    set_fonts(normal.font, BODY_FONT, BODY_FALLBACK)
    normal.paragraph_format.line_spacing = Pt(28)


def set_fonts(font, east_asian: str, fallback: str) -> None:
    """Latin face and, explicitly, the East-Asian face (w:eastAsia), with a fallback family
    named on the run's font (w:hAnsi takes the fallback so a missing GB2312 face still
    prints as a 仿宋)."""
    font.name = fallback
    fonts = font._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), fallback)
    fonts.set(qn("w:hAnsi"), fallback)


def _paragraph(document, text: str, *, align=None, bold: bool = False, size: float | None = None,
               font: tuple[str, str] | None = None, indent: bool = False):
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(32)
    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    set_fonts(run.font, *(font or (BODY_FONT, BODY_FALLBACK)))
    return paragraph


def change_text(action: dict[str, Any]) -> str:
    """The change in plain words."""
    start = month_label(action["from_month"])
    who = text_or_none(action["name"])
    benefit = text_or_none(action["benefit_type"]) or "救助"
    if action["kind"] == "停发":
        return (f"你户的{benefit}待遇（现每月{_yuan(action['current_amount'])}元）自{start}起停止发放"
                + (f"（涉及{who}）" if who else "") + "。")
    current, new = _int(action["current_size"]), _int(action["new_size"])
    size = f"保障人数由{current}人调整为{new}人" if current != new else f"保障人数经核实为{new}人"
    stops = f"{who}自{start}起不再享受，" if who else ""
    if text_or_none(action["new_amount"]) is None:
        return (f"{stops}你户{size}，每月保障金额需重新核定（现每月{_yuan(action['current_amount'])}元），"
                "核定结果另行告知。")
    return (f"{stops}你户{size}，每月保障金额由{_yuan(action['current_amount'])}元调整为"
            f"{_yuan(action['new_amount'])}元，自{start}起执行。")


def reason_text(action: dict[str, Any]) -> str:
    return f"变更原因：{action['reason']}（经村（社区）入户核实）。"


def overpaid_text(action: dict[str, Any], office: FollowUpConfig, office_name: str) -> str | None:
    amount = action.get("overpaid")
    if text_or_none(amount) is None or float(amount) <= 0:
        return None
    return (f"经核算，你户多领取救助金{_yuan(amount)}元，应予退回。"
            + office.refund_how.format(office=office_name) + "。")


def _write_notice(document, action: dict[str, Any], township: str, village: str, month: str,
                  office: FollowUpConfig, today: dt.date) -> None:
    office_name = office.office_name.format(township=township)
    issued = action.get("notice_date")
    issued = pd.Timestamp(issued).date() if text_or_none(issued) else today
    decided = action["from_month"]
    _paragraph(document, NOTICE_TITLE, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=22,
               font=(TITLE_FONT, TITLE_FONT))
    if issued != today:
        _paragraph(document, f"（补发，原告知书出具日期：{date_label(issued)}）", align=WD_ALIGN_PARAGRAPH.CENTER)
    addressee = text_or_none(action.get("addressee")) or "家属/代领人"
    household = f"（{township}{village}，户编号{action['household_id']}）"
    _paragraph(document, f"{addressee}{'' if addressee == '家属/代领人' else '（户）'}{household}：")
    _paragraph(document, f"经{_decision_month(decided)}村（社区）对数据比对疑点的入户核实，"
                         "现将你户享受的城乡低保（特困供养）待遇变更情况告知如下：", indent=True)
    _paragraph(document, f"一、{change_text(action)}", indent=True)
    _paragraph(document, f"二、{reason_text(action)}", indent=True)
    number = "三"
    owed = overpaid_text(action, office, office_name)
    if owed:
        _paragraph(document, f"三、{owed}", indent=True)
        number = "四"
    _paragraph(document, f"{number}、如对上述决定有异议，可自收到本告知书之日起{office.review_days}日内"
                         f"{office.review_route.format(office=office_name)}；"
                         "也可依法申请行政复议或提起行政诉讼。", indent=True)
    _paragraph(document, f"联系地址：{office.office_address or '（请填写）'}　联系电话：{office.office_phone or '（请填写）'}",
               indent=True)
    _paragraph(document, "")
    _paragraph(document, f"{office_name}（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, date_label(issued), align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, "")
    _paragraph(document, "签收人：　　　　　　签收日期：　　　　年　　月　　日")


def _decision_month(from_month: str) -> str:
    """The month of the sheet the change rests on: the month before it takes effect."""
    first = dt.date(int(from_month[:4]), int(from_month[5:7]), 1) - dt.timedelta(days=1)
    return f"{first.year}年{first.month}月"


def _yuan(value: Any) -> str:
    return "" if text_or_none(value) is None else f"{float(value):,.2f}"


def _int(value: Any) -> str:
    return "" if text_or_none(value) is None else str(int(value))
