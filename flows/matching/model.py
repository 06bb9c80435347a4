"""What the villages' answers teach the death matching: m re-estimated, checked, then trusted.

Every DECEASED_SUSPECT finding keeps the levels its score rests on (exceptions.match_levels);
a village's 属实 says the pair was one person, so the confirmed suspicions are a sample of
true matches and their levels estimate m = P(level | same person) directly (a supervised
estimate).  Denials are counted and reported, not used for m: they speak about u, which every
run measures on its own data anyway.

The estimate is smoothed with the priors of flows/matching/weights.py as PSEUDO_ANSWERS
pseudo-answers, so a handful of answers cannot swing a weight:

    m[level] = (confirmed[level] + PSEUDO_ANSWERS * prior_m[level]) / (confirmed + PSEUDO_ANSWERS)

(for the ID, whose priors leave 0.7 to `unknown`, every confirmed suspicion counts; for the
others only those with a known level), and kept within a factor 2 of the prior (MAX_SHIFT_BITS:
a weight moves by at most one bit), so the fitted m of a comparison sum to about 1, not exactly.  Confirmed suspicions were found *because* their
evidence was strong, so the estimate leans towards strong evidence: that is why a fitted model
is never used on trust.  `dibao model fit` scores a generated township twice, with the priors
and with the fitted m, against the generator's truth.csv, and writes the file with the check's
result; a run uses the file only when that check passed (every death the priors find is still
found, no living person flagged), at the threshold it was checked at, against the same priors
and levels as this code's, and its keyed seal holds (a `passed: true` typed into the file does
not) — otherwise the priors stay and run.json says why.

The model only changes m, and m only changes DECEASED_SUSPECT (a fuzzy suspicion, always 待核实):
registry-certain findings (an exact-ID death, a duplicate) are not scored by it, so a village's
answers alone can never lower one (issue 24).  The file holds counts and probabilities per
comparison level, no personal data.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from flows import warehouse
from flows.matching.weights import PRIORS

MODEL_FORMAT = 1
PSEUDO_ANSWERS = 100     # the priors weigh as much as this many confirmed suspicions
MAX_SHIFT_BITS = 1.0     # and no level's weight moves by more than this many bits from its prior's
CHECK_SEED = 20201107    # the generated township the check scores when no world is given
CHECK_MONTH = "2020-05"


@dataclass
class ModelChoice:
    """The m a run scores with: the fitted ones (m) or the priors (m is None), and why."""

    m: dict[str, dict[str, float]] | None
    record: dict            # run.json suspect_matching.model

    @staticmethod
    def priors(note: str, **facts) -> "ModelChoice":
        return ModelChoice(None, {"used": "priors", "note": note, **facts})


def priors_signature() -> str:
    """What a model was fitted against: every comparison, level and prior m of weights.py."""
    text = json.dumps({c: {lvl: m for lvl, (m, _) in levels.items()} for c, levels in PRIORS.items()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


_SEAL_PURPOSE = b"dibao-recon model file seal v1"


def _seal(model: dict) -> str:
    """A keyed seal (HMAC-SHA256, key derived from the warehouse key as flows/cases/seal.py
    does, another purpose) over the file's content: a model whose check result or m were
    edited by hand — `passed: true` typed in — no longer carries a valid seal."""
    from flows import keys

    key = hmac.new(keys.warehouse_key().encode("utf-8"), _SEAL_PURPOSE, hashlib.sha256).digest()
    body = {k: v for k, v in model.items() if k != "seal"}
    return hmac.new(key, json.dumps(body, sort_keys=True, ensure_ascii=False).encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- what the answers say

def pattern_answers(con, month: str) -> pd.DataFrame:
    """Per evidence pattern: suspicions found up to `month`, confirmed, denied, … (sql/reports/pattern_answers.sql)."""
    return warehouse.query_sql(con, "reports/pattern_answers", {"month": month})


def pattern_answers_record(con, month: str) -> list[dict]:
    """pattern_answers as plain rows for run.json."""
    frame = pattern_answers(con, month)
    return [{k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
            for row in frame.to_dict("records")]


def answered_levels(con, month: str) -> pd.DataFrame:
    return warehouse.query_sql(con, "matching/answered_levels", {"month": month})


def estimate_m(levels: pd.DataFrame, pseudo: int = PSEUDO_ANSWERS) -> tuple[dict, dict]:
    """m per comparison level from the confirmed counts, smoothed with the priors; and the
    counts used ({comparison: {level: {"confirmed": n, "denied": n}}})."""
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for row in levels.itertuples():
        if row.comparison in PRIORS and row.level in PRIORS[row.comparison]:
            counts.setdefault(row.comparison, {})[row.level] = {"confirmed": int(row.confirmed),
                                                               "denied": int(row.denied)}
    m: dict[str, dict[str, float]] = {}
    for comparison, priors in PRIORS.items():
        seen = counts.get(comparison, {})
        known = {lvl: prior for lvl, (prior, _) in priors.items() if lvl != "unknown"}
        unknown_share = 1.0 - sum(known.values())
        # a comparison whose priors give `unknown` a real share (the ID: most records have none)
        # counts every confirmed suspicion; the others only those with a known level
        counted = [lvl for lvl in seen if lvl in known or (lvl == "unknown" and unknown_share > 1e-3)]
        total = sum(seen[lvl]["confirmed"] for lvl in counted)
        m[comparison] = {lvl: round(_bounded((seen.get(lvl, {}).get("confirmed", 0) + pseudo * prior) / (total + pseudo),
                                             prior), 9)
                         for lvl, prior in known.items()}
        if "unknown" in priors:
            m[comparison]["unknown"] = priors["unknown"][0]
    return m, counts


def _bounded(m: float, prior: float) -> float:
    """Within a factor 2**MAX_SHIFT_BITS of the prior: whatever the answers, a level's weight
    log2(m/u) moves by at most MAX_SHIFT_BITS bits (a level the priors call rare — another valid
    ID — stays rare however many villages confirm it)."""
    factor = 2.0 ** MAX_SHIFT_BITS
    return min(max(m, prior / factor), min(prior * factor, 1.0))


# ---------------------------------------------------------------- the check on the generator's truth

def check_model(m: dict, settings, *, world: Path | None = None, seed: int = CHECK_SEED,
                month: str | None = None) -> dict:
    """Score a generated township (its inputs and truth.csv in `world`, else generated afresh
    from `seed`) with the priors and with `m`, at the config's threshold; passed when every
    death the priors find is still found and no living person is flagged."""
    from flows import pipeline
    from flows.config import folder_overrides
    from flows.evaluate import AMBIGUOUS, DECEASED, _keyed
    from flows.generate import generate

    with tempfile.TemporaryDirectory(prefix="dibao-model-check-") as scratch:
        scratch = Path(scratch)
        generated = world is None
        if generated:
            world, month = scratch / "world", month or CHECK_MONTH
            generate("township", seed, month, world)
        elif month is None:
            raise ValueError("a given world needs its month")
        truth = _keyed(pd.read_csv(world / "truth.csv", dtype=str, keep_default_na=False))
        dead = set(map(tuple, truth.loc[truth["rule"].isin(DECEASED), ["household_id", "name"]].to_numpy()))
        # namesakes one death record fits are flagged on purpose, their probability shared and
        # said so (evaluate.py scores them apart): not "living people flagged"
        shared = set(map(tuple, truth.loc[truth["rule"] == AMBIGUOUS, ["household_id", "name"]].to_numpy()))
        overrides = {name: paths for name, paths in folder_overrides(world).items() if name in settings.sources}
        prepared = scratch / "prepared.duckdb"
        plan = pipeline.plan_run(settings, month, overrides=overrides, out_dir=scratch / "out", db_path=prepared)
        pipeline.load_sources(prepared, plan, settings)
        pipeline.normalise(prepared, plan, settings)
        found = {}
        for label, choice in (("priors", ModelChoice.priors("check")), ("model", ModelChoice(m, {"used": "check"}))):
            db = scratch / f"{label}.duckdb"
            shutil.copy(prepared, db)
            pipeline.match(db, replace(plan, db_path=db), settings, model=choice)
            con = warehouse.connect(db, read_only=True)
            try:
                rows = warehouse.query_sql(con, "matching/deceased_findings", {"month": month})
            finally:
                con.close()
            rows = _keyed(rows)
            found[label] = set(map(tuple, rows[["household_id", "name"]].to_numpy()))
    priors_found, model_found = found["priors"] & dead, found["model"] & dead
    living = len(found["model"] - dead - shared)
    lost = len(priors_found - model_found)
    passed = lost == 0 and living == 0
    if passed:
        note = "通过：先验模型找到的死亡对象全部找到，未标记任何在世人员"
    else:
        reasons = ([f"漏掉先验模型找到的死亡对象{lost}人"] if lost else []) + (
            [f"将{living}名在世人员标为疑似死亡"] if living else [])
        note = "未通过：" + "，".join(reasons)
    return {"passed": passed, "world": f"generated township seed {seed}" if generated else "given",
            "month": month,
            "threshold": settings.suspect_min_probability, "deaths_in_truth": len(dead),
            "deaths_found_priors": len(priors_found), "deaths_found_model": len(model_found),
            "deaths_lost": lost, "living_flagged_priors": len(found["priors"] - dead - shared),
            "living_flagged_model": living, "note": note}


# ---------------------------------------------------------------- fit, write, load

def fit(settings, *, db: Path, month: str | None = None, world: Path | None = None, world_month: str | None = None,
        seed: int = CHECK_SEED, out: Path | None = None) -> dict:
    """Re-estimate m from the answers in the warehouse up to `month` (default: the latest
    reconciled), check it on the generator's truth and write the model file (with the check's
    result, passed or not).  Returns the model as written."""
    path = Path(out or settings.model_file or "")
    if not str(path) or path == Path("."):
        raise ValueError("配置文件没有 [model] file，也没有给出 --out：不知道把模型写到哪里")
    con = warehouse.connect(db, read_only=True)
    try:
        if month is None:
            reconciled = warehouse.query_sql(con, "review/months")["month"].tolist()
            month = reconciled[-1] if reconciled else None
            if month is None:
                raise ValueError(f"数据库 {db} 中还没有任何已完成的月份")
        levels = answered_levels(con, month)
        patterns = pattern_answers(con, month)
    finally:
        con.close()
    m, counts = estimate_m(levels)
    confirmed = int(patterns["confirmed"].sum()) if len(patterns) else 0
    denied = int(patterns["denied"].sum()) if len(patterns) else 0
    if confirmed == 0:
        check = {"passed": False, "note": "未通过：尚无村（社区）确认属实的疑似死亡，无从估计"}
    else:
        check = check_model(m, settings, world=world, seed=seed, month=world_month)
    model = {
        "format": MODEL_FORMAT,
        "fitted_at": dt.datetime.now().isoformat(timespec="seconds"),
        "answers_up_to": month,
        "confirmed": confirmed, "denied": denied,
        "pseudo_answers": PSEUDO_ANSWERS,
        "priors_signature": priors_signature(),
        "threshold": settings.suspect_min_probability,
        "m": m,
        "counts": counts,
        "check": check,
    }
    model["seal"] = _seal(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(model, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(partial, path)
    return model


def load_for_run(settings) -> ModelChoice:
    """The model a run scores with: the config's model file when its check passed, else the priors."""
    path = settings.model_file
    if path is None:
        return ModelChoice.priors("未配置模型文件（[model] file），使用先验 m")
    if not path.is_file():
        return ModelChoice.priors("模型文件不存在，使用先验 m（dibao model fit 生成）", file=str(path))
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ModelChoice.priors("模型文件无法读取，使用先验 m", file=str(path))
    facts = {"file": str(path), "fitted_at": model.get("fitted_at") if isinstance(model, dict) else None,
             "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    why = _unusable(model, settings)
    if why:
        return ModelChoice.priors(why + "，使用先验 m", **facts)
    return ModelChoice(model["m"], {"used": "fitted", "note": "使用按村（社区）核实结果重新估计的 m（已通过真值核对）",
                                    "answers_up_to": model.get("answers_up_to"), "confirmed": model.get("confirmed"),
                                    **facts})


def _unusable(model: dict, settings) -> str | None:
    if not isinstance(model, dict) or model.get("format") != MODEL_FORMAT:
        return "模型文件格式不符"
    try:
        sealed = hmac.compare_digest(str(model.get("seal", "")), _seal(model))
    except Exception:       # no warehouse key: nothing can vouch for the file
        sealed = False
    if not sealed:
        return "模型文件的密封校验不符（文件被改动过，或由另一数据库密钥生成）"
    if model.get("priors_signature") != priors_signature():
        return "模型文件是按另一版先验与比较级别估计的，需重新运行 dibao model fit"
    check = model.get("check") or {}
    if check.get("passed") is not True:
        return "模型未通过真值核对（" + str(check.get("note", "无核对结果")) + "）"
    if model.get("threshold") != settings.suspect_min_probability:
        return "模型是在另一阈值下核对的，需重新运行 dibao model fit"
    m = model.get("m")
    for comparison, levels in PRIORS.items():
        for level in levels:
            value = (m or {}).get(comparison, {}).get(level)
            if not isinstance(value, (int, float)) or not 0 < value <= 1:
                return "模型文件缺少或含有无效的 m"
    return None


def match_priors(choice: ModelChoice | None) -> pd.DataFrame:
    """weights.priors_table() with m replaced by the chosen model's (the priors when none)."""
    from flows.matching.weights import priors_table

    table = priors_table()
    if choice is not None and choice.m is not None:
        table["m"] = [float(choice.m[c][lvl]) for c, lvl in zip(table["comparison"], table["level"])]
    return table
