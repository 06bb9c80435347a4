"""The township office's follow-up files: the 督办清单 (summary/) and the 停发/调整 action
lists (actions/).  Rows come from sql/reports/supervision_list.sql and
sql/cases/actions/month_actions.sql; this module only lays them out.

The action lists carry full 身份证号 — the office needs them to find the person in the
payment system — so they are for the office alone: owner-only file permissions, said
on their first line.
"""
from __future__ import annotations

import csv

import os
from pathlib import Path
from typing import Any

import pandas as pd

from flows.normalize.ids import mask_id
from flows.reports.excel_style import (
    AMOUNT_FORMAT, HEADER_FONT, WRAP_CENTER, WRAP_LEFT, month_label, safe_file_part, text_or_none,
)
from flows.reports.workbooks import frame_records, group_records
from flows.reports.xlsx_writer import Book, CellStyle, Sheet

OFFICE_ONLY_NOTE = ("仅限镇民政办经办人员使用：本文件含完整身份证号，文件权限为仅所有者可读写，"
                    "不得复制、转发或交村（社区）")
OWNER_ONLY = 0o600

SUPERVISION_COLUMNS = ("序号", "村（社区）", "核查编号", "户编号", "户主姓名", "姓名", "身份证号", "疑点类型",
                       "督办类型", "核实表月份", "核实单位", "录入时间", "核实文件", "上次核实",
                       "核实后发放月数/未核实月数", "疑点说明")
ACTION_COLUMNS = ("序号", "动作编号", "处理类型", "村（社区）", "户编号", "户主姓名", "停发人员", "停发人员身份证号",
                  "救助类型", "现保障人数", "新保障人数", "现月发放金额（元）", "新月发放金额（元）", "起始月份", "原因",
                  "核查编号", "告知书", "落实情况", "落实月份")
NEEDS_REVIEW = "需重新核定"


def supervision_list_name(township: str, month: str) -> str:
    return f"{safe_file_part(township)}_督办清单_{month}.xlsx"


def action_list_name(township: str, month: str, suffix: str = ".xlsx") -> str:
    return f"{safe_file_part(township)}_停发调整清单_{month}{suffix}"


ACTION_NOTE = ("每户一行：停发人员自起始月份起停发，新月发放金额为其余成员名册所列个人月保障金额之和；"
               "“需重新核定”的户请按规定重新核定后发放。本清单任何一行都不会提高发放金额。")


PENDING_COLUMNS = ("序号", "村（社区）", "核查编号", "户编号", "姓名", "身份证号", "核实表月份", "备注（未选核实结果）", "报送文件")
TIMING_COLUMNS = ("序号", "村（社区）", "发现的死亡（人）", "死亡→首次发现（月）", "发现→核实属实（月）",
                  "核实→停发（月）", "待核实（人）", "已核实待停发（人）")
CONFLICT_COLUMNS = ("序号", "村（社区）", "核查编号", "核实表月份", "先录入的结果", "先录入的文件", "后报送的结果",
                    "后报送的文件")


def write_supervision_lists(rows: pd.DataFrame, out_dir: Path, month: str, *, mask_ids: bool = True,
                            pending: pd.DataFrame | None = None, conflicts: pd.DataFrame | None = None,
                            timing: pd.DataFrame | None = None) -> list[Path]:
    """One 督办清单 workbook per township with escalated cases (most months paid first), and
    sheets for 待补核实结果 (a 备注 without 核实结果) and unsettled 核实结果冲突 when there are any."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pending = pending if pending is not None else pd.DataFrame(columns=["township"])
    conflicts = conflicts if conflicts is not None else pd.DataFrame(columns=["township"])
    timing = timing if timing is not None else pd.DataFrame(columns=["township"])
    by_township = [group_records(frame_records(frame), ("township",)) for frame in (rows, pending, conflicts, timing)]
    written = []
    for township in sorted({township for groups in by_township for (township,) in groups}):
        listed, waiting, clashing, took = (groups.get((township,), []) for groups in by_township)
        values = [{
            "村（社区）": r["village"], "核查编号": r["case_id"], "户编号": r["household_id"],
            "户主姓名": r["head_name"], "姓名": r["name"], "身份证号": _shown_id(r, mask_ids),
            "疑点类型": r["rule_name"], "督办类型": r["kind"],
            "核实表月份": month_label(r["confirmed_month"]) if text_or_none(r["confirmed_month"]) else None,
            "核实单位": r["confirmed_by"],
            "录入时间": pd.Timestamp(r["confirmed_at"]).strftime("%Y-%m-%d %H:%M")
            if text_or_none(r["confirmed_at"]) else None,
            "核实文件": r["confirmed_file"], "上次核实": r["confirmed_result"],
            "核实后发放月数/未核实月数": int(r["months_since"]), "疑点说明": r["detail"],
        } for r in listed]
        wb = Book()
        write_table(wb.add_sheet("督办清单"), f"{township}{month_label(month)}低保特困核查督办清单",
                    f"已核实仍在发放、逾期未核实的疑点，共{len(values)}条，按核实后发放月数从多到少排列，请逐条督办",
                    SUPERVISION_COLUMNS, values)
        if waiting:
            write_table(wb.add_sheet("待补核实结果"), f"{township}{month_label(month)}待补核实结果",
                        f"村（社区）只填写了备注、未选择核实结果的疑点，共{len(waiting)}条，请督促补填核实结果",
                        PENDING_COLUMNS, [{
                            "村（社区）": r["village"], "核查编号": r["case_id"], "户编号": r["household_id"],
                            "姓名": r["name"], "身份证号": _shown_id(r, mask_ids),
                            "核实表月份": month_label(r["remark_month"]), "备注（未选核实结果）": r["remark"],
                            "报送文件": r["source_file"]} for r in waiting])
        if clashing:
            write_table(wb.add_sheet("核实结果冲突"), f"{township}核实结果冲突（待处理）",
                        f"同一疑点报送了不同的核实结果，共{len(clashing)}条，两个结果均未采用；"
                        "请核实后用 dibao settle --case 核查编号 --result 结果 确定",
                        CONFLICT_COLUMNS, [{
                            "村（社区）": r["village"], "核查编号": r["case_id"], "核实表月份": month_label(r["month"]),
                            "先录入的结果": r["result_a"], "先录入的文件": r["file_a"] or "系统录入",
                            "后报送的结果": r["result_b"], "后报送的文件": r["file_b"]}
                            for r in clashing])
        if took:
            write_table(wb.add_sheet("处理时效"), f"{township}截至{month_label(month)}死亡仍在保处理时效",
                        "每名发现的死亡对象：从死亡到首次比对发现、从发现到村（社区）核实属实、从核实到停止发放"
                        "各经过的月数（平均）；尚未走到的环节不计入平均，单列人数", TIMING_COLUMNS,
                        [timing_row(r) for r in took])
        path = out_dir / supervision_list_name(township, month)
        wb.save(path)
        written.append(path)
    return written


REVIEW_COLUMNS = ("序号", "村（社区）", "核查编号", "户编号", "姓名", "身份证号", "疑点类型", "证据来源", "死亡日期",
                  "已多发月数", "多发金额（元）", "村（社区）核实结果", "村（社区）备注", "核实表月份", "疑点说明")


def township_review_list_name(township: str, month: str) -> str:
    return f"{safe_file_part(township)}_镇级复核清单_{month}.xlsx"


def write_township_review_lists(rows: pd.DataFrame, out_dir: Path, month: str, *, mask_ids: bool = True) -> list[Path]:
    """One 镇级复核清单 per township with disputed cases: a village denied registry evidence, and
    only a township decision (`dibao decide`, with reason, evidence and officer) closes the case."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(township_review_list_name("*", month)):   # decided since the last writing
        stale.unlink()
    written = []
    for township, group in rows.groupby("township", sort=True):
        values = [{
            "村（社区）": r["village"], "核查编号": r["case_id"], "户编号": r["household_id"], "姓名": r["name"],
            "身份证号": _shown_id(r, mask_ids), "疑点类型": r["rule_name"], "证据来源": r["matched_source"],
            "死亡日期": str(r["death_date"])[:10] if text_or_none(r["death_date"]) else None,
            "已多发月数": _int(r["months_overpaid"]), "多发金额（元）": _amount(r["amount_overpaid"]),
            "村（社区）核实结果": r["village_result"], "村（社区）备注": r["village_remark"],
            "核实表月份": month_label(r["answered_month"]) if text_or_none(r["answered_month"]) else None,
            "疑点说明": r["detail"]} for r in frame_records(group)]
        wb = Book()
        write_table(wb.add_sheet("镇级复核清单"), f"{township}{month_label(month)}镇级复核清单",
                    f"村（社区）对有公安/火化等登记证据的疑点报“不属实”或“已处理”，共{len(values)}条。村（社区）的核实结果"
                    "不能单独关闭此类疑点：请镇民政办逐条复核，用 dibao decide --case 核查编号 --result 结果 "
                    "--reason 理由 --evidence 依据 --officer 经办人 认定；认定前仍列入督办清单",
                    REVIEW_COLUMNS, values)
        path = out_dir / township_review_list_name(township, month)
        wb.save(path)
        written.append(path)
    return written


def timing_row(r: dict[str, Any]) -> dict[str, Any]:
    """One village's (or, with village empty, the township's) months from death to stop."""
    return {"村（社区）": r["village"] or "全镇合计", "发现的死亡（人）": int(r["deaths"]),
            "死亡→首次发现（月）": _float(r["death_to_finding"]), "发现→核实属实（月）": _float(r["finding_to_confirmation"]),
            "核实→停发（月）": _float(r["confirmation_to_stop"]), "待核实（人）": int(r["awaiting_confirmation"]),
            "已核实待停发（人）": int(r["awaiting_stop"])}


def _float(value: Any) -> float | None:
    return None if text_or_none(value) is None else float(value)


def _shown_id(r: dict[str, Any], mask_ids: bool) -> str | None:
    id_number, raw = text_or_none(r["id_number"]), text_or_none(r["id_number_raw"])
    return mask_id(id_number, raw) if mask_ids else (id_number or raw)


def write_action_lists(actions: pd.DataFrame, out_dir: Path, month: str) -> list[Path]:
    """Per township, the month's 停发/调整 list as .xlsx and .csv, owner-only."""
    out_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(out_dir, 0o700)
    written = []
    for township, group in actions.groupby("township", sort=True):
        values = [action_row(r) for r in frame_records(group)]
        wb = Book()
        write_table(wb.add_sheet("停发调整清单"), f"{township}{month_label(month)}低保特困停发调整清单（每户一行）", OFFICE_ONLY_NOTE,
                    ACTION_COLUMNS, values, note_first=True, footnote=ACTION_NOTE)
        xlsx = out_dir / action_list_name(township, month)
        wb.save(xlsx)
        csv_path = out_dir / action_list_name(township, month, ".csv")
        with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
            handle.write(OFFICE_ONLY_NOTE + "\n")
            writer = csv.DictWriter(handle, fieldnames=ACTION_COLUMNS)
            writer.writeheader()
            for number, row in enumerate(values, start=1):
                writer.writerow({**row, "序号": number})
        for path in (xlsx, csv_path):
            os.chmod(path, OWNER_ONLY)
            written.append(path)
    return written


def action_row(r: dict[str, Any]) -> dict[str, Any]:
    done = text_or_none(r["done_month"])
    noticed = text_or_none(r.get("notice_date"))
    new_amount = _amount(r["new_amount"])
    return {
        "动作编号": r["action_id"], "处理类型": r["kind"], "村（社区）": r["village"], "户编号": r["household_id"],
        "户主姓名": r["head_name"], "停发人员": r["name"], "停发人员身份证号": r["id_number"],
        "救助类型": r["benefit_type"],
        "现保障人数": _int(r["current_size"]), "新保障人数": _int(r["new_size"]),
        "现月发放金额（元）": _amount(r["current_amount"]),
        "新月发放金额（元）": NEEDS_REVIEW if new_amount is None and text_or_none(r.get("amount_note")) else new_amount,
        "起始月份": month_label(r["from_month"]), "原因": r["reason"], "核查编号": r["case_ids"],
        "告知书": (f"{pd.Timestamp(noticed).strftime('%Y-%m-%d')}已出具" if noticed
                 else f"{month_label(r['created_month'])}已出具" if r.get("stop_count") is None else "本次出具"),
        "落实情况": f"已落实（{month_label(done)}起）" if done else "待落实",
        "落实月份": month_label(done) if done else None,
    }


def write_table(ws: Sheet, title: str, note: str, columns: tuple[str, ...], rows: list[dict[str, Any]],
                *, note_first: bool = False, footnote: str | None = None,
                totals: dict[str, float] | None = None) -> None:
    """Title, a note line, header on row 3, rows numbered from 1, with `totals` a 合计 row
    under them (column -> total; inside the widths and the print area), an optional
    footnote under those.  With `note_first` the note is row 1 (the first line anyone sees)
    and the title row 2."""
    n = len(columns)
    if note_first:
        ws.merge_text(1, 1, n, note, alignment=WRAP_LEFT)
        ws.write_title(2, n, title)
    else:
        ws.write_title(1, n, title)
        ws.merge_text(2, 1, n, note, alignment=WRAP_LEFT)
    ws.write_header_row(3, columns)
    # a column headed in 元 holds money: printed as 1,234.00 (the 追缴台账's too)
    styles = [CellStyle(alignment=WRAP_LEFT if name in ("原因", "疑点说明", "核实文件") else WRAP_CENTER,
                        number_format=AMOUNT_FORMAT if name.endswith("（元）") else None) for name in columns]
    for number, values in enumerate(rows, start=1):
        ws.write_row(3 + number, [number if name == "序号" else values.get(name) for name in columns], styles)
    last = 3 + len(rows)
    if totals is not None:   # in bold, each total formatted and aligned as its column
        last += 1
        ws.write_row(last, ["合计"] + [totals.get(name) for name in columns[1:]],
                     [style._replace(font=HEADER_FONT) for style in styles])
    ws.fit_column_widths(3, last, n)
    ws.fit_row_heights(3, last, n)
    ws.freeze_row = 4
    if footnote:
        ws.merge_text(last + 2, 1, n, footnote, alignment=WRAP_LEFT)
        last += 2
    ws.print_setup(n_columns=n, last_row=max(last, 3), title_rows="1:3")


def _int(value: Any) -> int | None:
    return None if text_or_none(value) is None else int(value)


def _amount(value: Any) -> float | None:
    return None if text_or_none(value) is None else round(float(value), 2)


