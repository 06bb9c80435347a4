"""台账编号 (sql/cases/findings/open_ledger_entries.sql): the people's order decides the numbers,
so two runs of one month agree; a later month numbers its newcomers after the highest."""
from __future__ import annotations

import pandas as pd

from flows import warehouse


def _entries(people_by_month: list[list[str]], threads: int) -> list[tuple]:
    con = warehouse.connect(":memory:")
    try:
        warehouse.set_option(con, "threads", threads)
        warehouse.run_sql(con, "schema/11_ledger_entries")
        for month, people in zip(("2020-05", "2020-06"), people_by_month):
            warehouse.register_table(con, "stg_poverty", pd.DataFrame({"person_key": people * 3}))   # repeated rows
            warehouse.run_sql(con, "cases/findings/open_ledger_entries", {"month": month})
        return con.execute("select * from ledger_entries order by ledger_id").fetchall()
    finally:
        con.close()


def test_a_months_newcomers_are_numbered_in_order_after_the_highest_number():
    may = [f"镇|村|{i:05d}" for i in range(3000, 0, -1)]
    june = may[:10] + ["镇|村|00000", "镇|村|99999"]
    entries = _entries([may, june], threads=4)
    assert entries[:2] == [("L000001", "镇|村|00001", "2020-05"), ("L000002", "镇|村|00002", "2020-05")]
    assert entries[-2:] == [("L003001", "镇|村|00000", "2020-06"), ("L003002", "镇|村|99999", "2020-06")]
    assert entries == _entries([may, june], threads=1)
