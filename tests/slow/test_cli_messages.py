"""A forgiving, Chinese command line: months as clerks type them, case ids in any case,
usage errors and missing paths in Chinese — and stale inputs named on the console."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flows import warehouse
from helpers import DEATHS_HEADER, POPULATION_HEADER, ROSTER_HEADER, death, make_id, member, person, write_csv

A = make_id("19500101", "121")
B = make_id("19600202", "232")


def _dibao(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def _inputs(folder: Path, deaths_until: str = "2020-05-20") -> list[str]:
    roster = write_csv(folder / "roster.csv", ROSTER_HEADER, [member("张三", A), member("李梅", B, household="H2")])
    deaths = write_csv(folder / "deaths.csv", DEATHS_HEADER, [death("张三", A, deaths_until)], "gb18030")
    population = write_csv(folder / "population.csv", POPULATION_HEADER, [person("张三", A), person("李梅", B)])
    return ["--roster", str(roster), "--deaths", str(deaths), "--population", str(population)]


@pytest.mark.parametrize("typed", ["2020-06", "2020-6", "2020年6月", "202006", "2020/6", " 2020年06月 "])
def test_a_month_is_understood_as_clerks_type_it(tmp_path, typed):
    proc = _dibao("check", "--month", typed, *_inputs(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("2020-06 将读取的数据")


@pytest.mark.parametrize("typed", ["2020-13", "20-06", "六月", "2020066"])
def test_a_month_that_means_nothing_is_refused_in_chinese(tmp_path, typed):
    proc = _dibao("check", "--month", typed, cwd=tmp_path)
    assert proc.returncode == 2
    assert f"错误：参数 --month：月份 {typed!r} 无法识别：请写作 YYYY-MM，如 2020-06（也可写 2020-6、2020年6月、202006）" in proc.stderr
    assert proc.stderr.startswith("用法：dibao check") and "usage:" not in proc.stderr


def test_usage_errors_are_in_chinese(tmp_path):
    missing = _dibao("run", cwd=tmp_path)
    assert missing.returncode == 2
    assert "错误：缺少必需的参数：--month" in missing.stderr and "（用 dibao run -h 查看用法）" in missing.stderr
    unknown = _dibao("frob", cwd=tmp_path)
    assert unknown.returncode == 2 and "错误：参数 COMMAND 的值 'frob' 无效，可选：" in unknown.stderr
    extra = _dibao("check", "--month", "2020-05", "--colour", cwd=tmp_path)
    assert extra.returncode == 2 and "错误：无法识别的参数：--colour" in extra.stderr
    assert "the following" not in missing.stderr + unknown.stderr + extra.stderr


def test_a_mistyped_path_says_the_file_is_not_found(tmp_path):
    args = _inputs(tmp_path)
    args[1] = str(tmp_path / "名冊.csv")
    for command in ("check", "run"):
        proc = _dibao(command, "--month", "2020-05", *args, "--db", str(tmp_path / "w.duckdb"), cwd=tmp_path) \
            if command == "run" else _dibao(command, "--month", "2020-05", *args, cwd=tmp_path)
        assert proc.returncode == 1, command
        assert f"错误：找不到文件：{tmp_path / '名冊.csv'}（请检查路径和文件名是否写对）" in proc.stderr, command
    returns = _dibao("returns", "--month", "2020-05", "回龙镇_天竺村_异常核实表_2020-05.xlsx", cwd=tmp_path)
    assert returns.returncode == 1
    assert "错误：找不到文件：回龙镇_天竺村_异常核实表_2020-05.xlsx" in returns.stderr
    assert "无法读取" not in returns.stderr


def _empty_warehouse(db: Path) -> Path:
    con = warehouse.connect(db)
    warehouse.ensure_schema(con)
    con.close()
    return db


def test_an_xls_return_is_told_to_be_saved_as_xlsx(tmp_path):
    db = _empty_warehouse(tmp_path / "w.duckdb")
    (tmp_path / "回龙镇_天竺村_异常核实表_2020-05.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    proc = _dibao("returns", "--month", "2020-05", "--db", str(db), "回龙镇_天竺村_异常核实表_2020-05.xls",
                  cwd=tmp_path)
    assert proc.returncode == 1
    assert ("未导入：回龙镇_天竺村_异常核实表_2020-05.xls 是旧版 Excel（.xls）格式，"
            "请在 Excel 中“另存为”Excel 工作簿（.xlsx）后再导入") in proc.stderr


def test_case_ids_are_read_in_any_case(tmp_path):
    db = _empty_warehouse(tmp_path / "w.duckdb")
    proc = _dibao("recover", "--case", " c000046 ", "--amount", "100", "--db", str(db), cwd=tmp_path)
    assert proc.returncode == 1
    assert "核查编号 C000046 没有追缴记录" in proc.stderr
    settle = _dibao("settle", "--case", "c000046", "--result", "属实", "--db", str(db), cwd=tmp_path)
    assert "核查编号 C000046 没有待处理的核实结果冲突" in settle.stderr


def test_stale_inputs_are_named_by_check_and_run(tmp_path):
    """June run on May's files, unchanged: both check and run say which files match which month."""
    args = _inputs(tmp_path)
    where = ["--db", str(tmp_path / "w.duckdb")]
    may = _dibao("run", "--month", "2020-05", *args, *where, "--out", str(tmp_path / "out" / "2020-05"), cwd=tmp_path)
    assert may.returncode == 0, may.stderr
    assert "警告：" not in may.stdout
    lines = may.stdout.splitlines()   # the run's follow-up files are listed, by path
    at = next(i for i, line in enumerate(lines) if "督办清单" in line)
    assert lines[at + 1].strip().startswith(str(tmp_path / "out" / "2020-05" / "summary" / "回龙镇_督办清单_"))
    same = ("：本月文件 {} 与 2020-05 比对时读入的同名文件内容完全相同（SHA-256 一致），可能忘了复制本月新导出的文件")
    expected = ["警告：名册" + same.format("roster.csv"), "警告：公安" + same.format("deaths.csv"),
                "警告：计生" + same.format("population.csv"),
                "警告：公安数据的记录截至2020-05-20，没有2020年06月的记录：请确认是否为本月新导出的文件"]
    # check reads the lineage from the warehouse (config's by default: point it at this one)
    config = tmp_path / "here.toml"
    from conftest import TEST_CONFIG

    config.write_text(f'extends = "{TEST_CONFIG}"\n[project]\nwarehouse = "{tmp_path / "w.duckdb"}"\n', encoding="utf-8")
    check = _dibao("check", "--month", "2020-06", "--config", str(config), *args, cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    for line in expected:
        assert line in check.stdout, line
    assert "可以运行 dibao run，但请先看上面的 4 条警告" in check.stdout
    june = _dibao("run", "--month", "2020-06", *args, *where, "--out", str(tmp_path / "out" / "2020-06"), cwd=tmp_path)
    assert june.returncode == 0, june.stderr
    for line in expected:
        assert line in june.stdout, line
    # Re-running May on May's files is no stale delivery.
    again = _dibao("check", "--month", "2020-05", "--config", str(config), *args, cwd=tmp_path)
    assert "内容完全相同" not in again.stdout and "没有2020年05月的记录" not in again.stdout
