"""Synthetic inputs for dibao-recon, with the faults they contain labelled in truth.csv.

`generate(scale, seed, month, out_dir)` writes, under out_dir:
  roster/{乡镇}_低保特困在册人员名册_{YYYY-MM}.xlsx     one per township
  population/{乡镇}_计生全员人口_{YYYY-MM}.xlsx|.csv   one per township
  deaths/{区县}_公安死亡注销人员_{YYYY-MM}.csv          GB18030, one per district
  cremation/{区县}_火化记录_{YYYY-MM}.csv               UTF-8, one per district
  poverty/{乡镇}_建档立卡边缘户监测户名单_{YYYY-MM}.xlsx  one per township
  assistance/{乡镇}_临时救助发放名单_{YYYY-MM}.csv        UTF-8 with BOM, one per township
  truth.csv                                             one row per (rule, roster member),
                                                        and per UNCOVERED_VULNERABLE person

Modules: world (geography, months), names, idnumbers, people (the clean world),
data_faults (what goes wrong, and truth), habits (the registries' own habits), inject
(every fault in order), namesakes (no unintended look-alikes),
poverty (the poverty registry, 临时救助, and UNCOVERED_VULNERABLE truth),
render (the messy written forms), writers (xlsx/csv), core (generate); next_month (the
same world a month later: `dibao demo --month`, `dibao generate --continue-from`) and
training (village sheets filled in as villages return them: `dibao demo --fill`).
"""
from pathlib import Path

from .city_world import generate_city
from .core import generate_in_one

__all__ = ["generate"]


def generate(scale: str, seed: int, month: str, out_dir: Path, workers: int = 2) -> dict:
    """Synthetic inputs for run month `month` ("YYYY-MM") at `scale` (township |
    district | city) under `out_dir`, plus truth.csv listing every injected fault.

    Deterministic for a seed.  Returns counts: roster_rows, deaths_rows,
    population_rows, cremation_rows, poverty_rows, assistance_rows, truth_rows,
    uncovered_vulnerable_truth, and files (paths written, as str).  The city scale is
    generated district by district in `workers` processes (city_world.py)."""
    if scale == "city":
        return generate_city(seed, month, Path(out_dir), workers=workers)
    return generate_in_one(scale, seed, month, out_dir)
