"""The Splink comparison of benchmarks/stages.py: its scoring, and (only where the optional
`benchmark` extra is installed) that the tuned model's settings make a Linker."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from stages import deaths_scored  # noqa: E402

TRUTH = """rule,township,village,household_id,name,id_number,months_overpaid,fault
DECEASED_PAID,甲镇,一村,H1,张三,,2,x
DECEASED_SUSPECT,甲镇,一村,H2,李 四,,,x
HARD_NEGATIVE,甲镇,一村,H3,王五,,,x
AMBIGUOUS_NAMESAKE,甲镇,二村,H4,赵六,,,x
AMBIGUOUS_NAMESAKE,甲镇,二村,H5,赵六,,,x
"""


def test_deaths_scored_counts_found_missed_and_living_flagged(tmp_path):
    truth = tmp_path / "truth.csv"
    truth.write_text(TRUTH, encoding="utf-8")
    # 李 四 is keyed by its normalised name; 王五 is a hard negative, 孙七 another living member
    flagged = {("H2", "李四"), ("H3", "王五"), ("H6", "孙七"), ("H4", "赵六")}
    assert deaths_scored(truth, flagged) == {
        "dead": 2, "found": 1, "missed": 1, "living_flagged": 2, "hard_negatives_flagged": 1,
        "ambiguous": 2, "ambiguous_flagged": 1}


def test_the_tuned_model_makes_a_linker():
    pytest.importorskip("splink")
    import pyarrow as pa
    from splink import DuckDBAPI, Linker

    import splink_model

    row = {column: None for column in splink_model.COLUMNS}
    db_api = DuckDBAPI()
    schema = pa.schema([(column, pa.string()) for column in splink_model.COLUMNS])
    tables = [db_api.register(pa.Table.from_pylist([{**row, "unique_id": uid}], schema=schema),
                              dataset_display_name=label) for uid, label in (("r0", "roster"), ("d0", "deaths"))]
    linker = Linker(tables, splink_model.settings(), log_level=None)
    assert [c.output_column_name for c in linker._settings_obj.comparisons] == [
        "name", "id_number", "birth_date", "sex", "place"]
