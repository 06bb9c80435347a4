"""The README's Chinese quick start, command by command as printed, in a copy of the project.

A new clerk's rehearsal: make demo → the training fill → dibao returns → dibao actions →
dibao recover → the next month → the review notebook (run here through nbclient instead of
JupyterLab).  Every command must exit 0 with no DIBAO_* variable set.  The copy has a
.venv of its own whose packages are this environment's (no install), so `make` finds it
ready and the copy's own `flows/` is what runs."""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from flows.config import PROJECT_ROOT


def quick_start_commands(readme: str) -> list[str]:
    """The command lines of the first bash block under 快速开始 (comments dropped)."""
    section = readme[readme.index("## 快速开始"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _project_copy(tmp: Path) -> Path:
    root = tmp / "dibao-recon"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=PROJECT_ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = PROJECT_ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    # A .venv that `make` takes as installed: this environment's packages, the copy's code.
    venv = root / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    (site / "_dibao_copy.pth").write_text(f"{root}\n{sysconfig.get_paths()['purelib']}\n", encoding="utf-8")
    script = venv / "bin" / "dibao"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom flows.cli import main\nsys.exit(main())\n",
                      encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    (venv / ".installed").touch()
    return root


def _environment(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DIBAO_", "PREFECT_", "VIRTUAL_ENV", "MPLBACKEND"))}
    env["HOME"] = str(tmp / "home")        # no key of this machine, no ~/.prefect
    return env


NOTEBOOK_RUNNER = """
import nbformat
from nbclient import NotebookClient
notebook = nbformat.read("notebooks/01_monthly_review.ipynb", as_version=4)
NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": "notebooks"}}).execute()
for cell in notebook.cells:
    for output in cell.get("outputs", []):
        print(output.get("text", ""))
"""


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quick-start")
    root = _project_copy(tmp)
    env = _environment(tmp)
    done = []
    for command in quick_start_commands((root / "README.md").read_text(encoding="utf-8")):
        if command == "make review":        # JupyterLab is a server: the notebook runs through nbclient
            argv = [str(root / ".venv" / "bin" / "python"), "-c", NOTEBOOK_RUNNER]
        else:
            argv = ["bash", "-c", command]
        proc = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{command}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        done.append((command, proc))
    return root, done


def _output(done, start: str) -> str:
    return next(proc.stdout for command, proc in done if command.startswith(start))


def test_the_readme_walks_through_the_whole_month(rehearsal):
    _, done = rehearsal
    commands = [command for command, _ in done]
    assert commands[0] == "make demo" and commands[-1] == "make review"
    for step in ("demo --fill", "returns --config configs/demo.toml", "actions --config configs/demo.toml",
                 "recover --config configs/demo.toml", "demo --month 2020-06"):
        assert any(step in command for command in commands), step


def test_the_demo_prints_the_commands_that_follow(rehearsal):
    _, done = rehearsal
    printed = _output(done, "make demo")
    for command, _ in done[1:4]:
        assert command in printed, command


def test_returns_actions_and_recovery_work_on_the_filled_sheets(rehearsal):
    _, done = rehearsal
    returns = _output(done, ".venv/bin/dibao returns")
    assert "共 11 个文件，成功 11 个，失败 0 个；待补核实结果 1 条" in returns
    assert "停发调整清单" in _output(done, ".venv/bin/dibao actions")
    assert "已登记核查编号 C000001 的追回 100 元" in _output(done, ".venv/bin/dibao recover")


def test_the_next_month_respects_last_months_answers(rehearsal):
    root, done = rehearsal
    june = _output(done, ".venv/bin/dibao demo --month 2020-06")
    assert "2020-06 月度比对完成" in june and "警告：" not in june
    assert (root / "data" / "out" / "2020-06" / "villages").is_dir()
    from flows.evaluate import evaluate_files

    accuracy = evaluate_files(root / "data" / "raw" / "demo" / "2020-06" / "truth.csv",
                              root / "data" / "out" / "2020-06" / "exceptions.csv")
    assert (accuracy.per_rule["recall"] == 1.0).all() and (accuracy.per_rule["precision"] == 1.0).all()


def test_the_notebook_opens_the_demo_and_chases_up(rehearsal):
    root, done = rehearsal
    shown = _output(done, "make review")
    assert f"已打开示例乡镇（回龙镇）的数据库 {root / 'data' / 'demo' / 'warehouse.duckdb'}" in shown
    assert "核查月份：2020-06（上次对账：2020-05）" in shown
    assert "已核实属实但本月仍在册发放：" in shown
    assert "Traceback" not in shown


def test_a_machine_key_never_shadows_the_demo_and_errors_point_at_it(rehearsal, tmp_path):
    root, _ = rehearsal
    env = _environment(tmp_path)

    def dibao(*args):
        return subprocess.run([".venv/bin/dibao", *args], cwd=root, env=env, capture_output=True, text=True,
                              timeout=600)

    assert dibao("key", "init").returncode == 0              # this machine now has a key for real months
    assert dibao("actions", "--config", "configs/demo.toml", "--month", "2020-6").returncode == 0
    no_config = dibao("returns", "--month", "2020-05", "data/raw/demo/2020-05/returned")
    assert no_config.returncode == 1
    assert ("示例乡镇的数据库是 data/demo/warehouse.duckdb：演练示例时请在命令后加上 --config configs/demo.toml"
            in no_config.stderr)
    wrong_key = dibao("recover", "--db", "data/demo/warehouse.duckdb", "--case", "c000001", "--amount", "1")
    assert wrong_key.returncode == 1
    assert "的密钥不正确" in wrong_key.stderr
    assert f"这是示例数据库，它有自己的密钥 {root / 'data' / 'demo' / 'warehouse.key'}（由 make demo 创建）" in wrong_key.stderr
