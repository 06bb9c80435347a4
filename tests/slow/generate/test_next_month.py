"""The rehearsal month: the sample township one month on (flows/generate/next_month.py).

The same people with the same IDs, last month's deaths partly taken off the roster, new
deaths (late registration, 火化 only), near misses come due, a birth — and the run of the
new month finds exactly what truth.csv says, rule by rule."""
from __future__ import annotations

import pandas as pd
import pytest

from flows import warehouse
from flows.config import load_settings
from flows.evaluate import evaluate_files
from flows.generate import generate
from flows.generate.next_month import generate_next_month, next_month
from flows.normalize.ids import normalize_id
from flows.sources import ingest
from helpers import frame, run_generated

SEED = 20200501


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("next-month")
    generate("township", SEED, "2020-05", tmp / "2020-05")
    generate_next_month("township", SEED, "2020-05", tmp / "2020-06")
    return tmp


def _roster_ids(folder) -> set[str]:
    source = load_settings().sources["roster"]
    path = next((folder / "roster").glob("*.xlsx"))
    con = warehouse.connect(":memory:")     # read as a run reads it
    try:
        ingest.load_source(con, source.name, [path], source.columns, ("name", "id_number"))
        ids = frame(con, f"select id_number from raw_{source.name}")["id_number"]
    finally:
        con.close()
    return {n.id_number for n in map(normalize_id, ids.dropna().astype(str)) if n.id_number}


def _truth(folder) -> pd.DataFrame:
    return pd.read_csv(folder / "truth.csv", dtype=str, keep_default_na=False)


def test_next_month_names():
    assert next_month("2020-05") == "2020-06"
    assert next_month("2020-12") == "2021-01"


def test_the_rehearsal_month_keeps_every_id_of_the_surviving_roster(months):
    may, june = _roster_ids(months / "2020-05"), _roster_ids(months / "2020-06")
    removed = set(_truth(months / "2020-06").query("rule == 'ROSTER_REMOVED'")["id_number"])
    born = set(_truth(months / "2020-06").query("rule == 'BIRTH'")["id_number"])
    assert removed and born
    assert may - removed <= june                 # nobody else left, nobody renumbered
    assert june - may == born                    # the one newcomer is the baby
    assert not removed & june


def test_its_deaths_moves_and_births_are_in_truth(months):
    truth = _truth(months / "2020-06")
    faults = set(truth["fault"])
    for fault in ("police death this month", "died last month, registered late", "cremation record only",
                  "died early this month (last month's near miss)",
                  "迁出 early this month (last month's near miss)", "渐退 reached 7 months this month",
                  "born this month; added to the household (保障人数 raised)",
                  "died; taken off the roster after last month's check"):
        assert fault in faults, fault
    late = truth[truth["fault"] == "died last month, registered late"]
    assert set(late["months_overpaid"]) == {"1"}
    # Last month's deaths still on the roster are one month more overpaid.
    may = _truth(months / "2020-05").query("rule == 'DECEASED_PAID'")
    june = truth.query("rule == 'DECEASED_PAID'")
    kept = may.merge(june, on=["household_id", "name"], suffixes=("_may", "_june"))
    assert len(kept) and (kept["months_overpaid_june"].astype(int) == kept["months_overpaid_may"].astype(int) + 1).all()
    assert len(kept) < len(may)                  # and part of them were stopped


def test_the_rehearsal_month_scores_100_percent_per_rule(months, tmp_path):
    out = run_generated(months / "2020-06", tmp_path, month="2020-06")
    accuracy = evaluate_files(months / "2020-06" / "truth.csv", out / "exceptions.csv")
    for row in accuracy.per_rule.itertuples():
        assert row.truth > 0, row.rule
        assert row.recall == 1.0 and row.precision == 1.0, (row.rule, row.recall, row.precision)
    assert accuracy.months_exact == 1.0
    assert accuracy.hard_negatives_paid == 0 and accuracy.hard_negatives_suspect == 0


def test_the_first_month_is_unchanged_by_the_refactor(months, tmp_path):
    """generate() still writes the same first month for the seed (next_month rebuilds it)."""
    generate("township", SEED, "2020-05", tmp_path / "again")
    assert (tmp_path / "again" / "truth.csv").read_bytes() == (months / "2020-05" / "truth.csv").read_bytes()


def test_generate_can_continue_a_month_from_the_command_line(months, tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "flows.cli", "generate", "--seed", str(SEED), "--month", "2020年6月",
                           "--continue-from", "2020-5", "--out", str(tmp_path / "june")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "已在 2020-05 的基础上续做 2020-06（同一批人、同样的身份证号）" in proc.stdout
    assert (tmp_path / "june" / "truth.csv").read_bytes() == (months / "2020-06" / "truth.csv").read_bytes()
