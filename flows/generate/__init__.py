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
faults (what goes wrong, and truth), namesakes (no unintended look-alikes),
poverty (the poverty registry, 临时救助, and UNCOVERED_VULNERABLE truth),
render (the messy written forms), writers (xlsx/csv), core (generate); next_month (the
same world a month later: `dibao demo --month`, `dibao generate --continue-from`) and
training (village sheets filled in as villages return them: `dibao demo --fill`).
"""
from .core import generate

__all__ = ["generate"]
