"""Source health: is each registry complete enough for this month's findings to mean something?

Checks run on every run and produce warnings (Chinese, no personal data) that go to
run.json, the CLI summary and the notebook.  A warning never stops a run: a stale
police file still finds the deaths it has, but the analyst must know it is stale.
"""
from __future__ import annotations

import datetime as dt

from flows import warehouse
from flows.config import Settings
from flows.normalize.dates import month_bounds

MIN_ROSTER_IN_POPULATION = 0.90
DECEASED_RATE_ALARM = 3.0      # × the village's own average of earlier months
DECEASED_ALARM_MIN_CASES = 3


def check_sources(con, month: str, run_id: str, settings: Settings,
                  lineage: list[dict] | None = None) -> tuple[list[dict], list[str]]:
    """Record this delivery and compare it with the month, with the last delivery and (by
    the files' sha256 in `lineage`) with the files of earlier months."""
    warehouse.run_sql(con, "reports/clear_source_deliveries", {"month": month})
    warehouse.run_sql(con, "reports/record_deliveries", {"run_id": run_id, "month": month})
    health = warehouse.query_sql(con, "reports/source_health", {"month": month})
    labels = {name: source.label for name, source in settings.sources.items()}
    first_day, _ = month_bounds(month)
    previous_month_start = (first_day - dt.timedelta(days=1)).replace(day=1)
    warnings, report = [], []
    for row in health.itertuples(index=False):
        label = labels.get(row.source, row.source)
        kind = settings.sources[row.source].kind if row.source in settings.sources else ""
        latest = row.latest_date.date() if hasattr(row.latest_date, "date") else row.latest_date
        if latest is not None and latest == latest and kind != "roster" and latest < previous_month_start:
            warnings.append(f"{label}数据最新记录日期为{latest:%Y-%m-%d}，未覆盖{previous_month_start:%Y年%m月}，"
                            "可能未及时更新，本月死亡比对可能不完整")
        elif latest is not None and latest == latest and kind == "deaths" and latest < first_day:
            warnings.append(death_file_ends_early(label, latest, first_day))
        for township in _as_list(row.townships_missing):
            warnings.append(f"{label}数据本月没有{township}的记录（{row.previous_month}有），请确认数据是否缺失")
        for township in _as_list(row.townships_halved):
            warnings.append(f"{label}数据中{township}的记录数比{row.previous_month}减少一半以上，请确认数据是否完整")
        report.append({"source": row.source, "label": label, "rows": int(row.rows),
                       "latest_date": latest.isoformat() if latest == latest and latest else None})
    warnings += stale_inputs(con, month, lineage or [], labels)
    for name, source in settings.sources.items():
        if source.kind == "deaths" and not source.optional and name not in set(health["source"]):
            warnings.append(f"{source.label}数据本月没有任何记录，请确认是否漏报")
    share = health["roster_in_population"].iloc[0] if len(health) else None
    if share is not None and share == share:
        report.append({"source": "roster_in_population", "share": round(float(share), 4)})
        if share < MIN_ROSTER_IN_POPULATION:
            warnings.append(f"名册中仅{share:.1%}的身份证号能在户籍人口数据中找到，户籍数据可能不完整或不是本乡镇的")
    return report, warnings


def death_file_ends_early(label: str, latest: dt.date, first_day: dt.date) -> str:
    """A death file whose records stop before the run month: probably last month's export."""
    return (f"{label}数据的记录截至{latest:%Y-%m-%d}，没有{first_day:%Y年%m月}的记录："
            "请确认是否为本月新导出的文件")


def stale_inputs(con, month: str, files: list[dict], labels: dict[str, str]) -> list[str]:
    """Warnings for input files byte-identical (same sha256) to files an earlier month's
    run read: `files` are this run's lineage records (source, file, sha256)."""
    if not files:
        return []
    earlier = warehouse.query_sql(con, "reports/stale_inputs",
                                  {"month": month, "sha256s": sorted({f["sha256"] for f in files})})
    if earlier.empty:
        return []
    latest = earlier.drop_duplicates("sha256")          # rows come latest month first
    matched = dict(zip(latest["sha256"], zip(latest["month"], latest["file"])))
    by_source: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for f in files:
        if f["sha256"] in matched:
            then_month, then_file = matched[f["sha256"]]
            by_source.setdefault((f["source"], then_month), []).append((f["file"], then_file))
    warnings = []
    for (source, then_month), pairs in by_source.items():
        names = "、".join(dict.fromkeys(name for name, _ in pairs))
        then = "、".join(dict.fromkeys(name for _, name in pairs))
        then = "同名文件" if then == names else f"文件 {then}"
        warnings.append(f"{labels.get(source, source)}：本月文件 {names} 与 {then_month} 比对时读入的{then}"
                        f"内容完全相同（SHA-256 一致），可能忘了复制本月新导出的文件")
    return warnings


def check_death_rates(con, month: str) -> list[str]:
    """Alarm when a village's share of recipients with a death finding jumps above its history."""
    rows = warehouse.query_sql(con, "reports/village_death_rates", {"month": month}).itertuples(index=False)
    warnings = []
    for township, village, deaths, rate, past_rate in rows:
        if deaths >= DECEASED_ALARM_MIN_CASES and rate > DECEASED_RATE_ALARM * max(past_rate, 0.001):
            warnings.append(f"{township}{village}本月死亡疑点{deaths}人（{rate:.1%}），远高于该村以往平均（{past_rate:.1%}），"
                            "请检查数据是否有误")
    return warnings


def _as_list(value) -> list:
    if value is None:
        return []
    try:
        return [v for v in value if v]
    except TypeError:
        return []
