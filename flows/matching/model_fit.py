"""`dibao model fit`: m re-estimated from the villages' answers, checked on a generated
township against the generator's truth, and written as a sealed model file.

Kept apart from flows/matching/model.py because the check runs a month's steps
(flows/pipeline.py), which score with the model that module loads.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd

from flows import pipeline, warehouse
from flows.config import folder_overrides
from flows.evaluate import AMBIGUOUS, DECEASED, _keyed
from flows.generate import generate
from flows.matching.model import (
    CHECK_MONTH, CHECK_SEED, MODEL_FORMAT, PSEUDO_ANSWERS, ModelChoice, _seal, answered_levels, estimate_m,
    pattern_answers, priors_signature,
)


# ---------------------------------------------------------------- the check on the generator's truth

def check_model(m: dict, settings, *, world: Path | None = None, seed: int = CHECK_SEED,
                month: str | None = None) -> dict:
    """Score a generated township (its inputs and truth.csv in `world`, else generated afresh
    from `seed`) with the priors and with `m`, at the config's threshold; passed when every
    death the priors find is still found and no living person is flagged."""
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
        plan = pipeline.plan_run(settings, month, overrides=overrides, out_dir=scratch / "out",
                                 db_path=scratch / "check.duckdb")
        found = {}
        for label, choice in (("priors", ModelChoice.priors("check")), ("model", ModelChoice(m, {"used": "check"}))):
            db = scratch / f"{label}.duckdb"
            run = replace(plan, db_path=db)
            # Staged once per model: raw_* and norm_* live only in a run's connection.
            with warehouse.run_connection(db):
                pipeline.load_sources(db, run, settings)
                pipeline.normalise(db, run, settings)
                pipeline.match(db, run, settings, model=choice)
                con = warehouse.connect(db, read_only=True)
                rows = warehouse.query_sql(con, "matching/deceased_findings", {"month": month})
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


# ---------------------------------------------------------------- fit and write

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
