"""The monthly review: what the notebook `notebooks/01_monthly_review.ipynb` shows.

Plain functions over the warehouse, one table or chart each, so the notebook only calls
and displays.  Everything here reads the warehouse READ-ONLY (a connection is opened and
closed per call, so a run can swap the warehouse in between); the one writer is `decide`,
which goes through `flows.cases.decisions.record_decision` and its lock and working copy.

Tables come back with English column names (the schema's words); `zh()` renames them
for display.  ID numbers are masked (`500228********1234`) unless a caller asks otherwise.
Month-over-month changes are counted per case: a case is *new* when found this month and
not in the previous reconciled month, *still open* when found in both, *resolved* when
found last month and not this month.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from flows import health, keys, warehouse
from flows.config import DEMO_CONFIG, PROJECT_ROOT, load_settings
from flows.cases import STATUS_ZH
from flows.cases.decisions import record_decision
from flows.normalize.ids import mask_id
from flows.rules import RULES

DEATH_RULES = ("DECEASED_PAID", "DECEASED_SUSPECT")

# Fonts that can draw Chinese, most common first; the first one installed is used.
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Source Han Sans SC",
    "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei",
    "PingFang SC", "Heiti SC", "Hiragino Sans GB", "Droid Sans Fallback", "AR PL UMing CN",
)

SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}

COLUMN_ZH = {
    "rule": "规则", "rule_name": "规则名称", "severity": "严重程度",
    "this_month": "本月", "last_month": "上次", "new": "新增", "still_open": "持续", "resolved": "已消除",
    "dismissed": "其中已核实不属实",
    "township": "乡镇（街道）", "village": "村（社区）", "members": "在册人数", "findings": "本月异常",
    "amount_overpaid": "死亡仍在保多发金额（元）", "amount_suspect": "疑似死亡涉及金额（元）",
    "paid_persons": "死亡仍在保（人）", "paid_months": "多发月数", "paid_amount": "多发金额（元）",
    "paid_months_unknown": "死亡日期不详（人）",
    "suspect_persons": "疑似死亡（人）", "suspect_months": "疑似多发月数", "suspect_amount": "疑似涉及金额（元）",
    "case_id": "核查编号", "household_id": "户编号", "name": "名册姓名", "matched_name": "死亡记录姓名",
    "id_number": "名册身份证号", "matched_id_number": "死亡记录身份证号", "death_date": "死亡日期",
    "matched_source": "数据来源", "score": "评分", "months_overpaid": "多发月数",
    "detail": "说明", "case_status": "案件状态", "first_seen_month": "首次发现", "last_result": "最近核实结果",
    "last_remark": "最近核实备注",
    "month": "月份", "result": "核实结果", "remark": "备注", "decided_by": "核实人", "decided_at": "核实时间",
    "source_file": "来源文件",
    "source": "数据源", "kind": "类别", "file": "文件", "sheets": "工作表数", "rows_read": "读入行数",
    "rows_rejected": "问题值数", "encoding": "编码", "sha256": "SHA-256",
    "column": "列", "reason": "原因", "values": "个数",
    "recorded_at": "记录时间", "event": "事项", "os_user": "系统用户", "run_id": "运行编号", "path": "路径",
    "outcome": "结果",
    "entries": "追缴户数", "amount_before": "核实前多发（元）", "amount_after": "核实后仍发放（元）",
    "recovered": "已追回（元）", "written_off": "已核销（元）", "balance": "未追回余额（元）",
    "deaths": "发现的死亡（人）", "death_to_finding": "死亡→发现（月）", "finding_to_confirmation": "发现→核实（月）",
    "confirmation_to_stop": "核实→停发（月）", "awaiting_confirmation": "待核实（人）", "awaiting_stop": "已核实待停发（人）",
    "answered": "已填核实结果", "remarks_only": "只填备注", "unanswered": "未填写", "returned": "已交回",
    "result_a": "结果一", "file_a": "文件一", "result_b": "结果二", "file_b": "文件二", "found_at": "发现时间",
    "confirmed_month": "核实月份", "village_result": "村里的核实结果", "village_remark": "村里的备注",
    "answered_month": "核实表月份", "remark_month": "备注所在月份",
    "pattern_zh": "证据组合", "evidence_pattern": "证据模式", "suspicions": "疑似死亡（人）",
    "confirmed": "确认属实", "denied": "否认（不属实）", "handled": "已处理", "awaiting_township": "待镇复核",
    "township_decided": "其中镇级认定", "confirmation_rate": "属实比例",
}

# The levels of an evidence pattern (sql/matching/pair_levels.sql) in words, for suspect_patterns.
LEVEL_ZH = {
    "birth": {"same": "出生日期相同", "differs": "出生日期不同", "unknown": "出生日期不详"},
    "surname": {"same": "姓相同", "sound": "姓同音", "differs": "姓不同", "unknown": "姓不详"},
    "given": {"same": "名相同", "sound": "名同音", "unknown_syllable": "名除缺字外相同", "one_char": "名仅一字不同",
              "differs": "名不同", "unknown": "名不详"},
    "id": {"near": "身份证号仅差一位", "conflict": "另一有效身份证号", "unknown": "身份证号无效或缺失"},
    "sex": {"same": "性别相同", "differs": "性别不同", "unknown": "性别不详"},
    "place": {"address": "户籍地址为本人登记", "village": "户籍地址在本村", "township": "户籍地址在本乡镇",
              "district": "户籍地址在本区县", "elsewhere": "户籍地址在外区县", "unknown": "户籍地址不详"},
}


# ---------------------------------------------------------------- SQL

def _query(db: Path | str, name: str, params: dict | None = None, *, folder: str = "review") -> pd.DataFrame:
    """Run sql/<folder>/<name>.sql on a read-only connection, closed afterwards."""
    path = Path(db)
    if not path.exists():
        raise FileNotFoundError(f"找不到数据库 {path}，请先运行 dibao run 完成至少一个月的对账")
    con = warehouse.connect(path, read_only=True)
    try:
        return warehouse.query_sql(con, f"{folder}/{name}", params)
    finally:
        con.close()


def audit_trail(db: Path | str, month: str | None = None, *, case_id: str | None = None) -> pd.DataFrame:
    """Who ran, exported or imported which files, when (newest first); every month when
    `month` is None.  With `case_id`: who decided that case, on what — every decision (file
    sha256, sheet, row, village and importer; or the officer, reason and evidence of a township
    decision) and every returned copy that answered it, oldest first."""
    if case_id is not None:
        return _query(db, "case_trail", {"case_id": case_id.strip().upper()})
    return _query(db, "audit_trail", {"month": month})


# ---------------------------------------------------------------- where the work is

@dataclass(frozen=True)
class Workplace:
    """The warehouse, key and month the notebook reviews: those of a config, as the CLI uses them."""

    config: Path
    warehouse: Path
    month: str
    out_dir: Path       # the month's out folder (or the folder above the months' folders)
    demo: bool          # the sample township's (configs/demo.toml)

    def describe(self) -> str:
        what = "示例乡镇（回龙镇）的数据库" if self.demo else "数据库"
        line = f"已打开{what} {self.warehouse}（配置文件 {self.config}）"
        if self.demo:
            line += "。本乡镇的真实数据库建立后（dibao run），笔记本会改为打开它"
        return line


def open_workplace(config: str | Path | None = None, *, warehouse: str | Path | None = None,
                   month: str | None = None, out_dir: str | Path | None = None) -> Workplace:
    """The config's warehouse with the config's key, and `month` (the latest reconciled when
    None).  Without a config: $DIBAO_CONFIG or configs/default.toml — or, after `make demo`
    while no real warehouse exists yet, the demo's configs/demo.toml.  `warehouse` names
    another warehouse than the config's."""
    named = config or os.environ.get("DIBAO_CONFIG")
    settings = load_settings(_config_path(named) if named else None)
    if not named and not warehouse and not settings.warehouse.exists():
        demo = load_settings(DEMO_CONFIG)
        if demo.warehouse.exists():
            settings = demo
    keys.use_key_of(settings)
    db = warehouse_path(warehouse) if warehouse else settings.warehouse
    if not db.exists():
        raise FileNotFoundError(f"找不到数据库 {db}（配置文件 {settings.config_path}）：请先运行 dibao run "
                                "完成至少一个月的比对，或运行 make demo 生成示例乡镇")
    chosen = resolve_month(db, month)
    return Workplace(config=settings.config_path, warehouse=db, month=chosen,
                     out_dir=Path(out_dir).expanduser() if out_dir else settings.out_dir(chosen),
                     demo=settings.config_path.resolve() == DEMO_CONFIG.resolve())


def _config_path(value: str | Path) -> Path:
    """A relative config is looked up from the working directory (notebooks/), then the project root."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    return next((p for p in (Path.cwd() / path, PROJECT_ROOT / path) if p.exists()), PROJECT_ROOT / path)


# ---------------------------------------------------------------- paths and months

def warehouse_path(value: str | Path | None = None) -> Path:
    """The warehouse to review.  Empty → the configured one; a relative path is looked up
    from the notebooks/ folder (where the notebook runs), then the working directory, then
    the project root; the first that exists wins."""
    if not value:
        return load_settings().warehouse
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    candidates = [PROJECT_ROOT / "notebooks" / path, Path.cwd() / path, PROJECT_ROOT / path]
    found = next((p for p in candidates if p.exists()), candidates[0])
    return found.resolve()


def months(db: Path | str) -> list[str]:
    """Every reconciled month, oldest first."""
    return _query(db, "months")["month"].tolist()


def latest_month(db: Path | str) -> str | None:
    reconciled = months(db)
    return reconciled[-1] if reconciled else None


def previous_month(db: Path | str, month: str) -> str | None:
    """The reconciled month before `month` (not necessarily the calendar month before)."""
    value = _query(db, "previous_month", {"month": month})["month"].iloc[0]
    return value if isinstance(value, str) else None


def resolve_month(db: Path | str, month: str | None = None) -> str:
    """`month` if it was reconciled, the latest month when not given; a clear error otherwise."""
    reconciled = months(db)
    if not reconciled:
        raise ValueError(f"数据库 {Path(db).name} 中还没有任何对账结果，请先运行 dibao run")
    if not month:
        return reconciled[-1]
    if month not in reconciled:
        raise ValueError(f"数据库中没有 {month} 的对账结果；已对账月份：{'、'.join(reconciled)}")
    return month


# ---------------------------------------------------------------- tables

def counts_by_rule(db: Path | str, month: str) -> pd.DataFrame:
    """Every rule of the catalogue: findings this month and last, new / still open / resolved."""
    changes = _query(db, "rule_changes", {"month": month}).set_index("rule")
    codes = list(RULES) + sorted(set(changes.index) - set(RULES))
    table = changes.reindex(codes, fill_value=0).rename_axis("rule").reset_index()
    table.insert(1, "rule_name", [RULES[c].name_zh if c in RULES else c for c in codes])
    table.insert(2, "severity", [RULES[c].severity if c in RULES else "" for c in codes])
    number_columns = ["this_month", "last_month", "new", "still_open", "resolved", "dismissed"]
    table[number_columns] = table[number_columns].astype("int64")
    return table


def counts_by_village(db: Path | str, month: str) -> pd.DataFrame:
    """Each village: roster members, findings (new / still open / resolved) and money at stake."""
    table = _query(db, "village_changes", {"month": month})
    for column in ("members", "findings", "new", "still_open", "resolved"):
        table[column] = table[column].astype("int64")
    for column in ("amount_overpaid", "amount_suspect"):
        table[column] = table[column].astype(float).round(2)
    return table


def overpaid(db: Path | str, month: str, *, total: bool = True) -> pd.DataFrame:
    """Months and amounts paid after a death, by village: DECEASED_PAID (to recover) and
    DECEASED_SUSPECT (at stake until verified) separately; a 合计 row last when `total`."""
    table = _query(db, "overpaid", {"month": month})
    counts = ["paid_persons", "paid_months", "paid_months_unknown", "suspect_persons", "suspect_months"]
    amounts = ["paid_amount", "suspect_amount"]
    table[counts] = table[counts].astype("int64")
    table[amounts] = table[amounts].astype(float).round(2)
    if total and len(table):
        totals = {"township": "合计", "village": "", **{c: table[c].sum() for c in counts + amounts}}
        table = pd.concat([table, pd.DataFrame([totals])], ignore_index=True)
        table[counts] = table[counts].astype("int64")
    return table


def top_suspects(db: Path | str, month: str, n: int = 10, *, mask: bool = True,
                 include_dismissed: bool = False) -> pd.DataFrame:
    """The `n` highest-scoring suspected deaths, roster and death record side by side.

    IDs are masked unless `mask=False`; cases already found 不属实 are left out unless
    `include_dismissed`."""
    table = _query(db, "suspects", {"month": month, "n": int(n), "include_dismissed": bool(include_dismissed)})
    shown = mask_id if mask else (lambda id_number, raw=None: id_number or raw or "")
    table["id_number"] = [shown(i if isinstance(i, str) else None, r if isinstance(r, str) else None)
                          for i, r in zip(table["id_number"], table["id_number_raw"])]
    table["matched_id_number"] = [shown(i) if isinstance(i, str) else "" for i in table["matched_id_number"]]
    table["death_date"] = pd.to_datetime(table["death_date"]).dt.date
    table[["last_result", "last_remark"]] = table[["last_result", "last_remark"]].fillna("")
    # A suspect's money is at stake, not yet overpaid: named as in counts_by_village.
    return table.drop(columns=["id_number_raw"]).rename(columns={"amount_overpaid": "amount_suspect"})


# ---------------------------------------------------------------- chase-up

def _masked(table: pd.DataFrame, mask: bool = True) -> pd.DataFrame:
    if "id_number" in table:
        shown = mask_id if mask else (lambda id_number, raw=None: id_number or raw or "")
        table["id_number"] = [shown(i if isinstance(i, str) else None, r if isinstance(r, str) else None)
                              for i, r in zip(table["id_number"], table["id_number_raw"])]
        table = table.drop(columns=["id_number_raw"])
    if "rule" in table:
        table.insert(table.columns.get_loc("rule") + 1, "rule_name",
                     [RULES[c].name_zh if c in RULES else c for c in table["rule"]])
    return table


def returned_sheets(db: Path | str, month: str) -> pd.DataFrame:
    """Per village with findings in `month`: findings sent, answered, remark only, unanswered,
    and whether a sheet came back at all (villages still to chase first)."""
    table = _query(db, "chase_returns", {"month": month})
    table["returned"] = table["returned"].map({True: "是", False: "否"})
    return table


def pending_answers(db: Path | str, month: str, *, mask: bool = True) -> pd.DataFrame:
    """待补核实结果: cases found in `month` whose village wrote a 备注 but chose no 核实结果."""
    return _masked(_query(db, "chase_pending", {"month": month}), mask)


def open_conflicts(db: Path | str) -> pd.DataFrame:
    """Two different 核实结果 for one case, awaiting `dibao settle`."""
    return _masked(_query(db, "chase_conflicts"))


def confirmed_still_paid(db: Path | str, month: str, *, mask: bool = True) -> pd.DataFrame:
    """Cases confirmed (属实) on an earlier sheet and still found in `month`: still on the roster."""
    return _masked(_query(db, "chase_confirmed_paid", {"month": month}), mask)


def disputed_cases(db: Path | str, *, mask: bool = True) -> pd.DataFrame:
    """复核: a village's 不属实/已处理 against registry evidence that outranks it; the township decides."""
    return _masked(_query(db, "chase_disputed"), mask)


def chase_up(db: Path | str, month: str) -> str:
    """One line per chase-up list: how many, so the notebook says what is left to do."""
    villages = returned_sheets(db, month)
    lines = [
        f"核实表：{int((villages['returned'] == '是').sum())} 个村（社区）已交回，"
        f"{int((villages['returned'] == '否').sum())} 个未交回"
        + (f"（{'、'.join(villages.loc[villages['returned'] == '否', 'village'])}）"
           if (villages["returned"] == "否").any() else ""),
        f"待补核实结果：{len(pending_answers(db, month))} 条",
        f"核实结果冲突待处理（dibao settle）：{len(open_conflicts(db))} 条",
        f"已核实属实但本月仍在册发放：{len(confirmed_still_paid(db, month))} 人",
        f"待镇里复核决定（村里答不属实/已处理，但登记证据更强）：{len(disputed_cases(db))} 条",
    ]
    return "\n".join(lines)


def pattern_in_words(pattern: str | None) -> str:
    """'birth:same|surname:same|given:sound|id:unknown|place:address' → 出生日期相同、姓相同、名同音、…"""
    if not pattern:
        return ""
    words = []
    for part in pattern.split("|"):
        comparison, _, level = part.partition(":")
        words.append(LEVEL_ZH.get(comparison, {}).get(level, part))
    return "、".join(words)


def suspect_patterns(db: Path | str, month: str) -> pd.DataFrame:
    """What the villages' answers say about each evidence pattern of 疑似死亡: suspicions found up
    to `month`, confirmed, denied, handled, awaiting the township's 复核, unanswered, and the share
    confirmed of those confirmed or denied (sql/reports/pattern_answers.sql; run.json suspect_answers)."""
    table = _query(db, "pattern_answers", {"month": month}, folder="reports")
    table.insert(0, "pattern_zh", table["evidence_pattern"].map(pattern_in_words))
    return table


def match_model(config: str | Path | None = None) -> str:
    """Which m the config's next run scores 疑似死亡 with, and why (flows/matching/model.py)."""
    from flows.matching.model import load_for_run

    return load_for_run(load_settings(_config_path(config) if config else None)).record["note"]


def case_decisions(db: Path | str, case_id: str) -> pd.DataFrame:
    """Every decision recorded on one case, oldest first."""
    return _query(db, "decisions", {"case_id": case_id})


def rule_trend(db: Path | str) -> pd.DataFrame:
    """Findings per month (rows, every reconciled month) × rule (columns, rules ever found)."""
    counts = _query(db, "rule_trend")
    table = counts.pivot_table(index="month", columns="rule", values="findings", aggfunc="sum", fill_value=0)
    table = table.reindex(index=months(db), fill_value=0)
    ordered = [c for c in RULES if c in table.columns] + sorted(set(table.columns) - set(RULES))
    return table.reindex(columns=ordered, fill_value=0).fillna(0).astype("int64")


# ---------------------------------------------------------------- source health

@dataclass
class SourceHealth:
    """What the month's latest run read and what it warned about."""

    month: str
    run_id: str
    finished_at: dt.datetime | None
    rows_rejected: int
    counts: pd.DataFrame                  # rule, rule_name, findings as recorded by the run
    inputs: pd.DataFrame                  # files read, rows, rejected values, sha256
    rejects: pd.DataFrame                 # rejected values by source, file, column and reason
    warnings: list[str] = field(default_factory=list)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)   # run.json source_health
    run_json: Path | None = None          # where the warnings came from; None → the warehouse
    note: str = ""

    def summary(self) -> str:
        """A few lines of Chinese text for the notebook."""
        finished = f"{self.finished_at:%Y-%m-%d %H:%M}" if self.finished_at is not None else "未知"
        lines = [f"{self.month} 最近一次对账：{self.run_id}（完成于 {finished}），"
                 f"读入 {len(self.inputs)} 个文件，无法识别的值 {self.rows_rejected} 个"]
        lines.append(f"警告来源：{self.run_json}" if self.run_json else f"警告来源：数据库（{self.note}）")
        if self.warnings:
            lines += [f"警告 {i}：{w}" for i, w in enumerate(self.warnings, 1)]
        else:
            lines.append("无警告")
        return "\n".join(lines)


def source_health(db: Path | str, month: str, out_dir: Path | str | None = None) -> SourceHealth:
    """The latest run of `month`: counts per rule (runs.counts_json), files read
    (run_inputs), rejected values, and the warnings of its run.json.

    `out_dir` is the month's out folder or the folder above it (data/out); without it the
    configured out folder is tried.  A run.json is used only when it belongs to the run in
    this warehouse; otherwise the warnings are recomputed from what the warehouse keeps
    (the village death-rate alarm) and `note` says so."""
    run = _query(db, "latest_run", {"month": month}, folder="reports")
    if run.empty:
        raise ValueError(f"数据库中没有 {month} 的对账记录")
    run = run.iloc[0]
    recorded = json.loads(run["counts_json"])
    counts = pd.DataFrame({"rule": list(recorded), "findings": [int(v) for v in recorded.values()]})
    counts.insert(1, "rule_name", [RULES[c].name_zh if c in RULES else c for c in counts["rule"]])
    finished = run["finished_at"]
    report = SourceHealth(
        month=month, run_id=run["run_id"],
        finished_at=None if pd.isna(finished) else pd.Timestamp(finished).to_pydatetime(),
        rows_rejected=int(run["rows_rejected"]), counts=counts,
        inputs=_query(db, "run_inputs", {"run_id": run["run_id"]}),
        rejects=_query(db, "rejects", {"month": month}),
    )
    record, path, note = _run_record(month, run["run_id"], out_dir)
    if record is not None:
        report.warnings = list(record.get("warnings", []))
        report.sources = pd.DataFrame(record.get("source_health", []))
        report.run_json = path
    else:
        report.warnings = _warehouse_warnings(db, month)
        report.note = note
    return report


def run_warnings(db: Path | str, month: str, out_dir: Path | str | None = None) -> list[str]:
    return source_health(db, month, out_dir).warnings


def _run_record(month: str, run_id: str, out_dir: Path | str | None) -> tuple[dict | None, Path | None, str]:
    if out_dir:
        folders = [Path(out_dir).expanduser(), Path(out_dir).expanduser() / month]
    else:
        try:
            folders = [load_settings().out_dir(month)]
        except Exception:  # noqa: BLE001 - a broken config only means no run.json to read
            folders = []
    for folder in folders:
        path = folder / "run.json"
        if not path.is_file():
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None, None, f"{path} 无法读取"
        if record.get("run_id") != run_id:
            return None, None, f"{path} 属于另一次对账（{record.get('run_id')}），未使用"
        return record, path, ""
    where = "、".join(str(f) for f in folders) or "未指定"
    return None, None, f"未找到本次对账的 run.json（查找位置：{where}），仅能给出数据库可复核的提醒"


def _warehouse_warnings(db: Path | str, month: str) -> list[str]:
    con = warehouse.connect(Path(db), read_only=True)
    try:
        return health.check_death_rates(con, month)
    finally:
        con.close()


# ---------------------------------------------------------------- charts

def cjk_font() -> str | None:
    """The first installed font that can draw Chinese, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _chinese_labels() -> bool:
    """Make a Chinese font the fallback of the default sans-serif font, when one exists.

    Without one, charts use rule codes and pinyin, so no label is drawn as empty boxes.
    (Tick labels are made when the figure is drawn, after this module returns, so the
    font goes into rcParams rather than a temporary context.)"""
    import matplotlib as mpl

    font = cjk_font()
    if font is None:
        return False
    families = list(mpl.rcParams["font.sans-serif"])
    if font not in families:
        mpl.rcParams["font.sans-serif"] = ["DejaVu Sans", font, *[f for f in families if f != "DejaVu Sans"]]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["axes.unicode_minus"] = False
    return True


def _rule_label(code: str, chinese: bool) -> str:
    return RULES[code].name_zh if chinese and code in RULES else code


def _place_label(name: str, chinese: bool) -> str:
    if chinese or not name:
        return name or ""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name)).capitalize()


def _axes(ax, size: tuple[float, float]):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def plot_rule_trend(db: Path | str, ax=None):
    """Stacked bars: one bar per reconciled month, one coloured segment per rule (colours
    fixed by the rule's place in the catalogue), the month's total above each bar."""
    import matplotlib as mpl

    chinese = _chinese_labels()
    trend = rule_trend(db)
    ax = _axes(ax, (9, 4.5))
    palette = mpl.colormaps["tab20"]
    positions = list(range(len(trend.index)))
    bottom = pd.Series(0, index=trend.index)
    for rule in trend.columns:
        place = list(RULES).index(rule) if rule in RULES else len(RULES)
        ax.bar(positions, trend[rule], bottom=bottom, width=0.6, color=palette(place % 20),
               label=_rule_label(rule, chinese))
        bottom = bottom + trend[rule]
    for x, total in zip(positions, bottom):
        ax.annotate(str(int(total)), (x, total), xytext=(0, 3), textcoords="offset points", ha="center",
                    fontsize="small")
    ax.set_xticks(positions, list(trend.index))
    ax.set_ylim(0, max(1, int(bottom.max()) if len(bottom) else 1) * 1.12)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("各规则异常人数（按月）" if chinese else "Findings per rule per month")
    ax.set_xlabel("对账月份" if chinese else "month")
    ax.set_ylabel("人数" if chinese else "findings")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    if len(trend.columns):
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize="small", frameon=False)
    return ax


def plot_village_counts(db: Path | str, month: str, ax=None, *, top: int = 20):
    """Horizontal stacked bars: per village, findings new and still open this month, and
    cases resolved since last month; the `top` villages with most findings."""
    chinese = _chinese_labels()
    villages = counts_by_village(db, month)
    villages = villages[(villages["findings"] + villages["resolved"]) > 0].head(top).iloc[::-1]
    ax = _axes(ax, (8, max(2.5, 0.4 * len(villages) + 1.5)))
    labels = [_place_label(v, chinese) for v in villages["village"]]
    left = pd.Series(0, index=villages.index)
    parts = (("new", "新增", "#d62728"), ("still_open", "持续", "#ff7f0e"), ("resolved", "已消除", "#bdbdbd"))
    for column, name_zh, colour in parts:
        ax.barh(labels, villages[column], left=left, color=colour,
                label=name_zh if chinese else column.replace("_", " "))
        left = left + villages[column]
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{month} 各村异常" if chinese else f"Findings per village, {month}")
    ax.set_xlabel("人数" if chinese else "findings")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


# ---------------------------------------------------------------- follow-up: recovery and time to act

def recovery_totals(db: Path | str, month: str) -> pd.DataFrame:
    """追缴 per township as of the month: owed before and after confirmation, recovered,
    written off, outstanding (the figures in 附件4's 备注)."""
    return _query(db, "township_totals", {"month": month}, folder="cases/recovery")


def time_to_act(db: Path | str, month: str) -> pd.DataFrame:
    """Average months death → first finding → first confirmation → payment stopped, per
    village and per township (village empty), deaths found up to the month."""
    return _query(db, "time_to_act", {"month": month}, folder="reports")


def plot_time_to_act(db: Path | str, month: str, ax=None):
    """Horizontal stacked bars per village: the three waits, in months, end to end."""
    chinese = _chinese_labels()
    table = time_to_act(db, month)
    villages = table[table["village"].notna()].iloc[::-1]
    ax = _axes(ax, (8, max(2.5, 0.4 * len(villages) + 1.5)))
    labels = [_place_label(v, chinese) for v in villages["village"]]
    left = pd.Series(0.0, index=villages.index)
    parts = (("death_to_finding", "死亡→发现", "#9e9e9e"), ("finding_to_confirmation", "发现→核实", "#ff7f0e"),
             ("confirmation_to_stop", "核实→停发", "#d62728"))
    for column, name_zh, colour in parts:
        values = villages[column].astype(float).fillna(0)
        ax.barh(labels, values, left=left, color=colour, label=name_zh if chinese else column.replace("_", " "))
        left = left + values
    ax.set_title(f"截至{month}死亡仍在保处理时效（月）" if chinese else f"Months from death to stop, to {month}")
    ax.set_xlabel("月" if chinese else "months")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


# ---------------------------------------------------------------- decisions and display

def decide(db: Path | str, case_id: str, result: str, remark: str = "", *, month: str | None = None,
           reviewer: str | None = None, evidence: str = "") -> str:
    """Record the township's 核实结果 on one case (属实 | 不属实 | 已处理; 停发此处 | 保留此处 on a
    duplicate listing); returns the case's new status.  Closing a case whose registry evidence
    outranks a village (or that a village disputed) needs `remark` (the reason), `evidence`
    (本人到场核验 2020-06-12, 公安更正, …) and `reviewer` (the officer)."""
    return record_decision(Path(db), case_id, result, remark, month=month, reviewer=reviewer, evidence=evidence)


def zh(table: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: Chinese column names, statuses and severities in Chinese."""
    shown = table.copy()
    if "case_status" in shown:
        shown["case_status"] = shown["case_status"].map(lambda s: STATUS_ZH.get(s, s))
    if "severity" in shown:
        shown["severity"] = shown["severity"].map(lambda s: SEVERITY_ZH.get(s, s))
    return shown.rename(columns=COLUMN_ZH)
