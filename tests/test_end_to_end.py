"""The real monthly flow on generated township data, checked against truth.csv."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from flows.evaluate import evaluate_files
from flows.generate import generate

MONTH = "2020-05"


@pytest.fixture(scope="session")
def township(tmp_path_factory, prefect_harness):
    """Generated township inputs and one real run of the Prefect flow on them."""
    from flows.reconcile import monthly_reconciliation

    root = tmp_path_factory.mktemp("township")
    raw = root / "raw"
    generate("township", 7, MONTH, raw)
    result = monthly_reconciliation(
        month=MONTH,
        inputs={"roster": [str(raw / "roster")], "police_deaths": [str(raw / "deaths")],
                "population": [str(raw / "population")], "cremation": [str(raw / "cremation")]},
        out=str(root / "out"), db=str(root / "warehouse.duckdb"))
    return root, raw, Path(result["out_dir"]), result


def test_every_injected_core_fault_is_found_and_no_clean_member_flagged(township):
    root, raw, out, _ = township
    accuracy = evaluate_files(raw / "truth.csv", out / "exceptions.csv")
    per_rule = accuracy.per_rule.set_index("rule")
    for rule in ("DECEASED_PAID", "INVALID_ID", "ID_NAME_MISMATCH"):
        assert per_rule.loc[rule, "truth"] > 0
        assert per_rule.loc[rule, "recall"] == 1.0, rule
        assert per_rule.loc[rule, "precision"] == 1.0, rule
    assert accuracy.months_exact == 1.0
    assert accuracy.hard_negatives_paid == 0


def test_exceptions_files_follow_the_contract(township):
    _, _, out, result = township
    csv = pd.read_csv(out / "exceptions.csv", dtype=str)
    assert list(csv.columns) == [
        "rule", "severity", "township", "village", "household_id", "name", "id_number", "id_number_raw",
        "matched_source", "matched_name", "matched_id_number", "death_date", "score", "months_overpaid",
        "amount_overpaid", "detail"]
    parquet = pd.read_parquet(out / "exceptions.parquet")
    assert len(parquet) == len(csv) and list(parquet.columns) == list(csv.columns)
    assert set(csv["severity"]) <= {"high", "medium", "low"}
    assert csv["id_number"].dropna().str.fullmatch(r"\d{17}[\dX]").all()
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["month"] == MONTH and run["counts"] == result["counts"]
    assert all(len(item["sha256"]) == 64 and item["rows_read"] > 0 for item in run["inputs"])


def test_malformed_rows_are_rejected_and_the_run_completes(township):
    _, raw, out, result = township
    rejects = pd.read_csv(out / "rejects.csv", dtype=str)
    assert list(rejects.columns) == ["file", "sheet", "row", "column", "value", "reason"]
    assert len(rejects) >= 1 and result["rows_rejected"] == len(rejects)
    assert rejects["reason"].str.contains("[\u4e00-\u9fff]").all()   # reasons are Chinese


def test_village_workbooks_hold_only_their_village_with_masked_ids(township):
    _, _, out, _ = township
    csv = pd.read_csv(out / "exceptions.csv", dtype=str)
    files = sorted((out / "villages").glob("*_异常核实表_*.xlsx"))
    assert len(files) == csv.groupby(["township", "village"]).ngroups
    all_ids = set(csv["id_number"].dropna())
    for path in files:
        village = path.name.split("_")[1]
        own = csv[csv["village"] == village]
        book = load_workbook(path)
        assert book.sheetnames[0] == "说明"
        rows_shown = 0
        for ws in book.worksheets[1:]:
            if ws.sheet_state == "hidden":
                continue
            header = [c.value for c in ws[3]]
            village_col = header.index("所属村组")
            id_col = header.index("身份证号")
            for row in ws.iter_rows(min_row=4, values_only=True):
                if not isinstance(row[0], int):          # 合计 and signature lines
                    continue
                rows_shown += 1
                assert row[village_col] == village
                assert "*" in (row[id_col] or "*") and row[id_col] not in all_ids
        assert rows_shown == len(own)
