"""The fault battery: the real `dibao run` (its own Prefect temporary server included)
killed after each step, interrupted, out of disk, refused its out folder, given a
truncated warehouse.  Each case asserts the exit code and message, that the warehouse and
the out folder are byte-identical, that no process the run started is alive 5 s later,
and that the next run succeeds.

Cases share one hand-made world (two households) and one warehouse that earlier cases
leave as they found it.  The next run after a fault is the flow's steps called directly
(`run_steps`, no Prefect: ≈ 1 s instead of a CLI start); the kill series ends with a run
through the CLI.  Root may mount a tmpfs and make a folder immutable; others get a file-size
limit on the process and a read-only folder instead.
"""
from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows import generations, pipeline
from flows.config import load_settings
from helpers import FAULT_RUNNER
from test_faults import write_world


MONTH = "2020-05"
RUNNER = FAULT_RUNNER
START_TIMEOUT = 900          # a CLI start on a loaded 2-core machine
# The first CLI start in the test world's fresh PREFECT_HOME migrates Prefect's database;
# under load that exceeds the project's 120 s server start timeout.
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = str(START_TIMEOUT)


class World:
    def __init__(self, root: Path):
        self.root = root
        self.inputs = write_world(root / "in")
        self.db = root / "w" / "warehouse.duckdb"
        self.out = root / "out" / MONTH

    def args(self, db: Path | None = None, out: Path | None = None) -> list[str]:
        return ["run", "--month", MONTH, "--db", str(db or self.db), "--out", str(out or self.out),
                "--roster", str(self.inputs["roster"][0]), "--deaths", str(self.inputs["police_deaths"][0]),
                "--population", str(self.inputs["population"][0])]


def run_steps(world: World, db: Path | None = None, out: Path | None = None) -> None:
    """The next run: every step of the flow, under the same lock, copies and swap."""
    settings = load_settings()
    db = db or world.db
    plan = pipeline.plan_run(settings, MONTH, overrides={k: [str(p) for p in v] for k, v in world.inputs.items()},
                             out_dir=out or world.out, db_path=db)
    with pipeline.exclusive_run(plan) as (work_db, work_out):
        pipeline.run_month_steps(work_db, work_out, plan, settings)
    assert generations.inspect(db).ok


def snapshot(db: Path, out: Path) -> dict:
    """Every file of the warehouse's folder and the out folder, by content.  A killed run's
    working copies (hidden, `.warehouse.duckdb.run-PID`) are not part of it: `leftovers`
    checks that the next run removes them."""
    files = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in db.parent.glob("*") if p.is_file()
             and not p.name.endswith(".lock") and not p.name.startswith(".")}
    files.update({p: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()})
    return files


def leftovers(world: World, db: Path | None = None, out: Path | None = None) -> list[Path]:
    db, out = db or world.db, out or world.out
    return list(db.parent.glob(f".{db.name}.*")) + list(out.parent.glob(f".{out.name}.*"))


# ---------------------------------------------------------------- processes

def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def seconds_until_gone(pids: list[int], limit: float = 5.0) -> float:
    started = time.monotonic()
    while any(alive(p) for p in pids) and time.monotonic() - started < limit + 5:
        time.sleep(0.05)
    still = [p for p in pids if alive(p)]
    for pid in still:                       # do not leave them behind for the next test
        os.kill(pid, signal.SIGKILL)
    assert not still, f"processes of the run still alive {limit} s after it ended: {still}"
    return time.monotonic() - started


class Paused:
    """`dibao run` started through fault_runner, waiting after `step`."""

    def __init__(self, world: World, step: str, *, args: list[str] | None = None, preexec=None):
        self.marker = world.root / f"paused-{step}-{time.monotonic_ns()}"
        self.proc = subprocess.Popen(
            [sys.executable, str(RUNNER), step, str(self.marker), *(args or world.args())],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=preexec)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.marker.exists():
            if self.proc.poll() is not None:
                raise AssertionError(f"run ended before {step}: {self.proc.returncode} {self.proc.stderr.read()}")
            assert time.monotonic() < deadline, f"run did not reach {step}"
            time.sleep(0.1)
        self.started = descendants(self.proc.pid)

    def go(self) -> None:
        self.marker.with_name(self.marker.name + ".go").touch()

    def finish(self, timeout: float = 600) -> tuple[int, str, float]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, err, seconds_until_gone(self.started)


# ---------------------------------------------------------------- the battery

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("faults"))
    run_steps(world)
    run_steps(world)          # a warehouse with history and one kept generation
    return world


@pytest.mark.parametrize("step", ["load", "normalise", "check", "match", "report"])
def test_a_run_killed_after_each_step_leaves_nothing_behind(world, step):
    before = snapshot(world.db, world.out)
    paused = Paused(world, step)
    assert paused.started, "the run started no Prefect server (is PREFECT_API_URL set?)"
    assert leftovers(world)                                    # it was working on copies
    os.kill(paused.proc.pid, signal.SIGKILL)                  # the dibao process only, not its group
    code, _, gone = paused.finish()
    assert code == -signal.SIGKILL and gone <= 5
    assert snapshot(world.db, world.out) == before
    run_steps(world)
    assert not leftovers(world)
    print(f"\nkill -9 after {step}: children gone in {gone:.1f} s")


def test_after_the_kills_the_next_cli_run_succeeds(world):
    proc = subprocess.run([sys.executable, "-m", "flows.cli", *world.args()], capture_output=True, text=True,
                          timeout=START_TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    assert "月度比对完成" in proc.stdout and "Traceback" not in proc.stderr
    assert not leftovers(world)


@pytest.mark.parametrize("sig, code, words", [(signal.SIGINT, 130, "Ctrl-C"), (signal.SIGTERM, 143, "SIGTERM")])
def test_an_interrupted_run_stops_within_seconds_and_says_nothing_changed(world, sig, code, words):
    before = snapshot(world.db, world.out)
    paused = Paused(world, "match")
    started = time.monotonic()
    os.killpg(paused.proc.pid, sig)                           # as a terminal's Ctrl-C: the whole group
    returncode, err, gone = paused.finish()
    took = time.monotonic() - started
    assert returncode == code, err
    assert words in err and "没有任何改动" in err and "Traceback" not in err
    assert took < 60                                           # a few seconds on an idle machine
    assert snapshot(world.db, world.out) == before and not leftovers(world)
    run_steps(world)
    print(f"\n{signal.Signals(sig).name}: exit {returncode} after {took:.1f} s, children gone in {gone:.1f} s")


def _mount_tmpfs(mount: Path, size: str) -> bool:
    mount.mkdir(exist_ok=True)
    return os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                                                capture_output=True).returncode == 0


@pytest.fixture
def small_disk(world):
    """A tmpfs of 64 MB (root), holding a copy of the world's warehouse and out folder."""
    mount = world.root / "small"
    if not _mount_tmpfs(mount, "40m"):
        pytest.skip("cannot mount a tmpfs here (see test_a_file_size_limit_is_explained)")
    try:
        db, out = mount / "w" / "warehouse.duckdb", mount / "out" / MONTH
        run_steps(world, db, out)
        yield db, out, mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(mount: Path, leave: int) -> Path:
    filler = mount / "filler"
    free = shutil.disk_usage(mount).free
    with filler.open("wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * max(free - leave, 0))
    return filler


def test_a_full_disk_is_refused_before_the_run_with_needed_and_free_space(world, small_disk):
    db, out, mount = small_disk
    filler = fill(mount, leave=8_000_000)
    before = snapshot(db, out)
    proc = subprocess.run([sys.executable, "-m", "flows.cli", *world.args(db, out)], capture_output=True, text=True,
                          timeout=START_TIMEOUT)
    assert proc.returncode == 1
    assert "磁盘空间不足" in proc.stderr and "估计需要约" in proc.stderr and "剩余" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(db, out) == before and not leftovers(world, db, out)
    filler.unlink()
    run_steps(world, db, out)


def test_a_disk_that_fills_up_during_the_run_is_named_and_nothing_changes(world, small_disk):
    db, out, mount = small_disk
    before = snapshot(db, out)
    paused = Paused(world, "match", args=world.args(db, out))
    filler = fill(mount, leave=0)                             # the disk fills up while the run goes on
    paused.go()
    code, err, gone = paused.finish()
    assert code == 1, err
    assert "磁盘空间不足" in err and str(mount) in err and "Traceback" not in err
    filler.unlink()
    assert snapshot(db, out) == before and not leftovers(world, db, out)
    run_steps(world, db, out)


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)             # EFBIG instead of death by signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


def test_a_file_size_limit_is_explained(world, tmp_path):
    """Where no tmpfs can be mounted: a file-size limit on the process (ulimit -f)."""
    probe = tmp_path / "probe"
    if _mount_tmpfs(probe, "1m"):
        subprocess.run(["umount", "-l", str(probe)], check=False)
        pytest.skip("a tmpfs can be mounted: the full-disk cases above cover this")
    db, out = tmp_path / "w" / "warehouse.duckdb", tmp_path / "out" / MONTH
    run_steps(world, db, out)
    before = snapshot(db, out)
    proc = subprocess.run([sys.executable, "-m", "flows.cli", *world.args(db, out)], capture_output=True, text=True,
                          timeout=START_TIMEOUT, preexec_fn=_limit_file_size)
    assert proc.returncode == 1, proc.stderr
    assert "文件过大" in proc.stderr or "磁盘空间不足" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(db, out) == before and not leftovers(world, db, out)
    run_steps(world, db, out)


def _unwritable(folder: Path) -> callable:
    """Root ignores permissions, not the immutable attribute."""
    if os.geteuid() == 0 and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o555)
    return lambda: folder.chmod(0o755)


def test_an_unwritable_out_folder_is_named_and_nothing_changes(world):
    before = snapshot(world.db, world.out)
    undo = _unwritable(world.out.parent)
    try:
        proc = subprocess.run([sys.executable, "-m", "flows.cli", *world.args()], capture_output=True, text=True,
                              timeout=START_TIMEOUT)
    finally:
        undo()
    assert proc.returncode == 1
    assert "没有权限" in proc.stderr and str(world.out.parent) in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(world.db, world.out) == before and not leftovers(world)
    run_steps(world)


def test_a_truncated_warehouse_is_refused_and_a_backup_brings_the_next_run_back(world):
    from flows.cli import main

    with open(world.db, "r+b") as handle:
        handle.truncate(world.db.stat().st_size // 2)
    before = snapshot(world.db, world.out)
    proc = subprocess.run([sys.executable, "-m", "flows.cli", *world.args()], capture_output=True, text=True,
                          timeout=START_TIMEOUT)
    assert proc.returncode == 1
    assert "已损坏" in proc.stderr and str(world.db) in proc.stderr and "dibao backups restore" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(world.db, world.out) == before and not leftovers(world)
    assert main(["backups", "restore", "1", "--db", str(world.db)]) == 0
    run_steps(world)
