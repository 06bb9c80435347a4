"""The review notebook and flows/review.py on a warehouse of two real monthly runs.

2020-04: 张三 (天竺村) died in February and is still paid; 王伟's ID has a wrong check
         digit; 赵强 (龙门村) matches a death record without an ID by name and birth date.
2020-05: 王伟's ID corrected (resolved); 李梅's ID now mistyped (new); the rest still open.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

from flows import review, warehouse  # noqa: E402
from flows.config import PROJECT_ROOT  # noqa: E402
from flows.normalize.ids import mask_id  # noqa: E402
from helpers import (  # noqa: E402
    DEATHS_HEADER, POPULATION_HEADER, ROSTER_HEADER, death, make_id, member, person, write_csv)

NOTEBOOK = PROJECT_ROOT / "notebooks" / "01_monthly_review.ipynb"

A = make_id("19500101", "121")      # 张三, dead
B = make_id("19600202", "232")      # 李梅
C = make_id("19700303", "343")      # 王伟
D = make_id("19800404", "454")      # 赵强, suspect


def _typo(id_number: str) -> str:
    return id_number[:17] + ("0" if id_number[17] != "0" else "1")


POPULATION = [person("张三", A), person("李梅", B), person("王伟", C), person("赵强", D)]
DEATHS = [death("张三", A, "2020-02-10"), death("赵强", "", "2020-01-05", birth="1980-04-04")]


def _roster(li_mei_id: str, wang_wei_id: str) -> list[dict]:
    return [member("张三", A, household="H1", amount=450),
            member("王伟", wang_wei_id, household="H3"),
            member("李梅", li_mei_id, household="H2", village="龙门村"),
            member("赵强", D, household="H4", village="龙门村")]


def _inputs(folder: Path, roster: list[dict]) -> dict:
    return {
        "roster": [str(write_csv(folder / "roster.csv", ROSTER_HEADER, roster))],
        "police_deaths": [str(write_csv(folder / "deaths.csv", DEATHS_HEADER, DEATHS, "gb18030"))],
        "population": [str(write_csv(folder / "population.csv", POPULATION_HEADER, POPULATION))],
        "cremation": [],
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory, prefect_harness) -> Path:
    """Two months reconciled by the real flow into one warehouse; out folders under out/."""
    from flows.reconcile import monthly_reconciliation

    tmp = tmp_path_factory.mktemp("review")
    for month, roster in (("2020-04", _roster(B, _typo(C))), ("2020-05", _roster(_typo(B), C))):
        monthly_reconciliation(month=month, inputs=_inputs(tmp / "in" / month, roster),
                               out=str(tmp / "out" / month), db=str(tmp / "warehouse.duckdb"))
    return tmp


@pytest.fixture(scope="module")
def db(world) -> Path:
    return world / "warehouse.duckdb"


def _direct(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = warehouse.connect(db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------- the notebook

@pytest.fixture(scope="module")
def executed(world, db):
    """The committed notebook run top to bottom in a python3 kernel (any error fails)."""
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(DIBAO_WAREHOUSE=str(db), DIBAO_MONTH="2020-05", DIBAO_OUT_DIR=str(world / "out"))
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute(env=env)
    return notebook


def _cell(notebook, snippet: str):
    return next(c for c in notebook.cells if c.cell_type == "code" and snippet in c.source)


def _texts(cell) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.extend(str(v) for k, v in output.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(parts)


def _numbers_of(table_text: str, rule: str) -> list[int]:
    line = next(line for line in table_text.splitlines() if f" {rule} " in f" {line} ")
    return [int(token) for token in line.split()[4:]]


def test_the_notebook_runs_and_shows_the_month_against_the_last(executed, world):
    assert not any(o.output_type == "error" for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "核查月份：2020-05（上次对账：2020-04）" in _texts(_cell(executed, "review.open_workplace"))
    by_rule = _cell(executed, "review.counts_by_rule").outputs[0]["data"]["text/plain"]
    # this month, last, new, still open, resolved, dismissed
    assert _numbers_of(by_rule, "DECEASED_PAID") == [1, 1, 0, 1, 0, 0]
    assert _numbers_of(by_rule, "INVALID_ID") == [1, 1, 1, 0, 1, 0]
    assert "死亡仍在保" in by_rule
    assert "1350.0" in _texts(_cell(executed, "review.overpaid"))
    for chart in ("review.plot_rule_trend", "review.plot_village_counts"):
        assert any("image/png" in o.get("data", {}) for o in _cell(executed, chart).outputs), chart
    suspects = _texts(_cell(executed, "review.top_suspects"))
    assert "赵强" in suspects and mask_id(D) in suspects
    run = json.loads((world / "out" / "2020-05" / "run.json").read_text(encoding="utf-8"))
    health = _texts(_cell(executed, "review.source_health"))
    assert "run.json" in health and all(w in health for w in run["warnings"])
    assert "数据库未改动" in _texts(_cell(executed, "RECORD_EXAMPLE"))


def test_the_notebook_never_prints_a_full_id_nor_writes(executed, db):
    shown = "\n".join(_texts(c) for c in executed.cells if c.cell_type == "code")
    for id_number in (A, B, C, D, _typo(B), _typo(C)):
        assert id_number not in shown
    assert _direct(db, "select count(*) from decisions") == [(0,)]


def test_the_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])


# ---------------------------------------------------------------- review.py

def test_warehouse_path_is_found_from_the_notebook_folder(db):
    from flows.config import load_settings

    assert review.warehouse_path("../data/warehouse.duckdb") == (PROJECT_ROOT / "data" / "warehouse.duckdb").resolve()
    assert review.warehouse_path(str(db)) == db
    assert review.warehouse_path(None) == load_settings().warehouse


def test_months(db):
    assert review.months(db) == ["2020-04", "2020-05"]
    assert review.latest_month(db) == "2020-05" == review.resolve_month(db)
    assert review.previous_month(db, "2020-05") == "2020-04" and review.previous_month(db, "2020-04") is None
    with pytest.raises(ValueError, match="2020-07"):
        review.resolve_month(db, "2020-07")
    with pytest.raises(FileNotFoundError):
        review.months(db.with_name("missing.duckdb"))


@pytest.mark.parametrize("month", ["2020-04", "2020-05"])
def test_counts_by_rule_equal_the_exceptions_and_the_run(db, month):
    table = review.counts_by_rule(db, month).set_index("rule")
    direct = dict(_direct(db, "select rule, count(*) from exceptions where month = ? group by rule", [month]))
    assert {rule: n for rule, n in table["this_month"].items() if n} == direct
    recorded = json.loads(_direct(db, "select counts_json from runs where month = ?", [month])[0][0])
    assert table["this_month"].to_dict() == recorded
    assert table.loc["DECEASED_PAID", "rule_name"] == "死亡仍在保"


def test_changes_are_counted_per_case(db):
    first = review.counts_by_rule(db, "2020-04")
    assert (first["new"] == first["this_month"]).all() and first["last_month"].sum() == 0
    may = review.counts_by_rule(db, "2020-05").set_index("rule")
    assert may.loc["DECEASED_PAID", ["new", "still_open", "resolved"]].tolist() == [0, 1, 0]
    assert may.loc["INVALID_ID", ["new", "still_open", "resolved"]].tolist() == [1, 0, 1]


def test_counts_by_village(db):
    villages = review.counts_by_village(db, "2020-05").set_index("village")
    assert villages["findings"].sum() == _direct(db, "select count(*) from exceptions where month = '2020-05'")[0][0]
    assert villages["members"].to_dict() == {"天竺村": 2, "龙门村": 2}
    assert villages.loc["天竺村", ["new", "still_open", "resolved"]].tolist() == [0, 2, 1]
    assert villages.loc["龙门村", ["new", "still_open", "resolved"]].tolist() == [1, 1, 0]
    assert villages.loc["天竺村", "amount_overpaid"] == 1350.0 and villages.loc["龙门村", "amount_suspect"] == 1600.0


def test_overpaid_by_village_with_a_total(db):
    table = review.overpaid(db, "2020-05").set_index("village")
    assert table.loc["天竺村", ["paid_persons", "paid_months", "paid_amount"]].tolist() == [1, 3, 1350.0]
    assert table.loc["龙门村", ["suspect_persons", "suspect_months", "suspect_amount"]].tolist() == [1, 4, 1600.0]
    total = table[table["township"] == "合计"].iloc[0]
    assert (total["paid_amount"], total["suspect_amount"]) == (1350.0, 1600.0)


def test_top_suspects_put_evidence_side_by_side_and_mask_ids(db):
    suspects = review.top_suspects(db, "2020-05")
    assert len(suspects) == 1
    row = suspects.iloc[0]
    assert (row["name"], row["matched_name"], str(row["death_date"]), row["matched_source"]) == \
        ("赵强", "赵强", "2020-01-05", "公安")
    assert row["id_number"] == mask_id(D) != D and row["matched_id_number"] == ""
    assert row["score"] > 0.8 and row["case_status"] == "open"
    assert review.top_suspects(db, "2020-05", mask=False).iloc[0]["id_number"] == D


def test_source_health_reads_the_run_json_of_this_run_only(db, world):
    run = json.loads((world / "out" / "2020-05" / "run.json").read_text(encoding="utf-8"))
    for out_dir in (world / "out", world / "out" / "2020-05"):
        report = review.source_health(db, "2020-05", out_dir)
        assert report.run_json == world / "out" / "2020-05" / "run.json"
        assert report.warnings == run["warnings"] and report.run_id == run["run_id"]
    assert report.counts.set_index("rule")["findings"].to_dict() == run["counts"]
    assert sorted(report.inputs["file"]) == ["deaths.csv", "population.csv", "roster.csv"]
    other = review.source_health(db, "2020-05", world / "out" / "2020-04")     # another run's run.json
    assert other.run_json is None and "另一次对账" in other.note
    assert review.source_health(db, "2020-05").run_json is None                 # the configured out folder


def test_charts_fall_back_to_codes_without_a_chinese_font(db, monkeypatch):
    import matplotlib.pyplot as plt

    trend = review.rule_trend(db)
    assert trend.loc["2020-05"].to_dict() == {"DECEASED_PAID": 1, "DECEASED_SUSPECT": 1, "INVALID_ID": 1,
                                              "HOUSEHOLD_SIZE_CHANGED": 1}
    monkeypatch.setattr(review, "cjk_font", lambda: None)
    with matplotlib.rc_context():
        ax = review.plot_rule_trend(db)
        ax.figure.canvas.draw()
        texts = [t.get_text() for t in ax.figure.findobj(matplotlib.text.Text)]
        assert "DECEASED_PAID" in [t.get_text() for t in ax.get_legend().get_texts()]
        villages = review.plot_village_counts(db, "2020-05")
        villages.figure.canvas.draw()
        texts += [t.get_text() for t in villages.figure.findobj(matplotlib.text.Text)]
        assert all(text.isascii() for text in texts)
        assert "Tianzhucun" in [t.get_text() for t in villages.get_yticklabels()]
    monkeypatch.setattr(review, "cjk_font", lambda: "DejaVu Sans")
    with matplotlib.rc_context():
        ax = review.plot_rule_trend(db)
        assert "死亡仍在保" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close("all")


def test_a_decision_from_the_notebook_dismisses_the_suspect(db, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy2(db, copy)
    case_id = review.top_suspects(copy, "2020-05").iloc[0]["case_id"]
    with pytest.raises(ValueError, match="核实结果"):
        review.decide(copy, case_id, "不对", month="2020-05")
    review.decide(copy, case_id, "不属实", "入户核实本人健在", month="2020-05", reviewer="analyst")
    assert review.counts_by_rule(copy, "2020-05").set_index("rule").loc["DECEASED_SUSPECT", "dismissed"] == 1
    assert review.top_suspects(copy, "2020-05").empty
    dismissed = review.top_suspects(copy, "2020-05", include_dismissed=True).iloc[0]
    assert (dismissed["case_status"], dismissed["last_result"]) == ("false_positive", "不属实")
    assert review.overpaid(copy, "2020-05")["suspect_amount"].sum() == 0
    assert review.case_decisions(copy, case_id)[["result", "decided_by"]].values.tolist() == [["不属实", "analyst"]]
    shown = review.zh(review.top_suspects(copy, "2020-05", include_dismissed=True))
    assert shown["案件状态"].iloc[0] == "已核实不属实"


def test_the_notebook_shows_what_the_answers_say_per_evidence_pattern(executed):
    shown = _texts(_cell(executed, "review.suspect_patterns"))
    # 赵强: the death record has no ID; name, birth date and sex agree
    assert "出生日期相同、姓相同、名相同、身份证号无效或缺失" in shown
    assert "匹配模型：模型文件不存在" in shown   # the test config names one; none was fitted


def test_a_decision_changes_the_pattern_counts_of_its_month_only(db, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy2(db, copy)
    before = review.suspect_patterns(copy, "2020-05")
    assert before[["suspicions", "confirmed", "denied", "unanswered"]].values.tolist() == [[1, 0, 0, 1]]
    assert before["confirmation_rate"].isna().all()
    case_id = review.top_suspects(copy, "2020-05").iloc[0]["case_id"]
    review.decide(copy, case_id, "属实", "入户核实，已于1月去世", month="2020-05", reviewer="analyst")
    after = review.suspect_patterns(copy, "2020-05")
    assert after[["suspicions", "confirmed", "denied", "unanswered"]].values.tolist() == [[1, 1, 0, 0]]
    assert after["confirmation_rate"].tolist() == [1.0]
    assert review.suspect_patterns(copy, "2020-04")["confirmed"].tolist() == [0]   # a May answer, not April's


def test_the_audit_trail_lists_every_file_each_run_read_and_wrote(db, world):
    import getpass

    trail = review.audit_trail(db)
    assert set(trail["event"]) == {"run", "export"}
    assert set(trail["month"]) == {"2020-04", "2020-05"} and set(trail["os_user"]) == {getpass.getuser()}
    may = trail[trail["month"] == "2020-05"]
    assert set(may.loc[may["event"] == "run", "file"]) == {"roster.csv", "deaths.csv", "population.csv"}
    exported = may[may["event"] == "export"].set_index("file")
    assert {"exceptions.csv", "run.json", "rejects.csv"} <= set(exported.index)
    assert exported.loc["exceptions.csv", "sha256"] == hashlib.sha256(
        (world / "out" / "2020-05" / "exceptions.csv").read_bytes()).hexdigest()
    assert review.audit_trail(db, "2020-04")["month"].eq("2020-04").all()
    assert "系统用户" in review.zh(trail).columns
