"""Every test runs in a world of its own: a config, warehouse, out folder, Prefect home
and log folder under a temporary directory, never the project's data/ (which `make demo`
fills).  The environment is set before any project module is imported, and subprocesses
(the CLI tests) inherit it."""
import os
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

# helpers.py, and the test modules others borrow a world from (test_returns' fill, ...),
# import by name from any layer's folder.
sys.path.insert(0, str(Path(__file__).parent))
sys.path[1:1] = sorted(str(folder) for folder in Path(__file__).parent.rglob("*")
                       if folder.is_dir() and folder.name != "__pycache__")

_WORLD = Path(tempfile.mkdtemp(prefix="dibao-tests-"))
TEST_CONFIG = _WORLD / "test.toml"
_DEFAULT = Path(__file__).resolve().parents[1] / "configs" / "default.toml"
# The default config's mappings and thresholds, with every location inside the test world:
# a source not given explicitly to a test finds no files (optional ones are skipped).  The
# sources are the default config's own (read here, before any project module is imported).
_SOURCES = tomllib.loads(_DEFAULT.read_text(encoding="utf-8"))["sources"]
TEST_CONFIG.write_text(
    f'extends = "{_DEFAULT}"\n'
    "[project]\n"
    f'warehouse = "{_WORLD / "warehouse.duckdb"}"\n'
    f'out_dir = "{_WORLD / "out" / "{month}"}"\n'
    "[model]\n"
    f'file = "{_WORLD / "model" / "m_probabilities.json"}"\n'
    + "".join(f'[sources.{name}]\npaths = ["{_WORLD / "raw" / "{month}" / name / "*.*"}"]\n'
              for name in _SOURCES),
    encoding="utf-8")
os.environ["DIBAO_CONFIG"] = str(TEST_CONFIG)
os.environ["DIBAO_LOG_DIR"] = str(_WORLD / "logs")
os.environ["PREFECT_HOME"] = str(_WORLD / "prefect")
# The test world's warehouses are encrypted with a test key of their own, never a real one.
os.environ["DIBAO_WAREHOUSE_KEY"] = "dibao-test-key-" + os.urandom(8).hex()
os.environ["DIBAO_KEY_FILE"] = str(_WORLD / "no-key-file")
# Prefect's settings before any test imports prefect (the CLI's main does the same).
from flows.prefect_env import configure  # noqa: E402

configure()


@pytest.fixture(scope="session")
def prefect_harness():
    """A throw-away Prefect API for the whole session (≈15 s once)."""
    from flows.prefect_env import configure

    configure()
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(autouse=True)
def _collector_thresholds():
    """A test that calls the CLI's main() in this process gets the CLI's garbage-collector
    thresholds (flows/cli.py _tune_collector) for itself only: the tests after it run as
    they would alone."""
    import gc

    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)


# Test layers are folders, each mirroring flows/ (cases/, normalize/, reports/, ...):
#   tests/unit/    fast: pure functions, readers, staging and rule SQL on literal rows, workbook
#                  writing and reading; no Prefect, no subprocess (`make test-fast`, a minute);
#   tests/slow/    Prefect runs, the CLI, the notebook, generated townships, the fault battery
#                  that kills and interrupts real CLI runs (`make test` runs unit and slow);
#   tests/system/  a real Prefect server with a process work pool and two workers for several
#                  counties, minutes on a 2-core machine (`make test-system`; before a release
#                  and after touching flows/city.py or flows/counties/).
# The markers follow the folder, so `-m "not slow"` and `-m system` still select a layer.
_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        layer = Path(item.fspath).relative_to(_TESTS).parts[0]
        if layer in ("slow", "system"):
            item.add_marker(pytest.mark.slow)
        if layer == "system":
            item.add_marker(pytest.mark.system)
