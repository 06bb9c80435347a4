"""A city's month: one `monthly-reconciliation` per county, then cross-county checks and
the roll-ups.  Flows here only wire the steps of flows/counties/.

county-reconciliation(month, county, city_config, step)
    runs on the county's machine: step "reconcile" = the county's monthly run + its
    hashed keys into the exchange folder; step "apply" = the city's cross-county findings
    into its exceptions, workbooks and summary.
city-reconciliation(month, city_config, counties, pool)
    fans both steps out over the counties and waits for all: without `pool`, as
    concurrent subflows in this process (at most [city] max_parallel at once, no server
    needed); with `pool`, as runs of the deployment `county-reconciliation/city` on that
    Prefect work pool, picked up by `prefect worker start --pool NAME` on the counties'
    machines.  Between the two steps it runs the cross-county checks; at the end it
    writes the roll-ups into summary/ of the city's out folder.

Parameters are months, county keys, a config path and a pool name; counties exchange
only keyed hashes and case references.  A county that fails is named with its reason,
the others finish, and re-running the month for that county alone completes it.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.counties import central_check as check
from flows.counties import county as county_steps
from flows.counties.city_config import CityConfig, load_city
from flows.reconcile import monthly_reconciliation

COUNTY_FLOW = "county-reconciliation"
DEPLOYMENT_NAME = "city"
DEPLOYMENT = f"{COUNTY_FLOW}/{DEPLOYMENT_NAME}"
STEPS = ("reconcile", "apply")
POLL_SECONDS = 2
POOL_WAIT_SECONDS = 6 * 3600


@task(name="export county keys", cache_policy=NO_CACHE)
def export_keys(city: CityConfig, county: str, month: str, run_id: str) -> dict:
    return county_steps.export_keys(city, city.counties[county], month, run_id)


@task(name="apply cross-county findings", cache_policy=NO_CACHE)
def apply_findings(city: CityConfig, county: str, month: str) -> dict:
    return county_steps.apply_findings(city, city.counties[county], month)


@flow(name=COUNTY_FLOW, flow_run_name="county {county} {step} {month}", log_prints=False)
def county_reconciliation(month: str, county: str, city_config: str, step: str = "reconcile") -> dict:
    """One county's part of the city's month, on the machine that holds its data."""
    city = load_city(city_config)
    if county not in city.counties:
        raise county_steps.CrossCountyError(f"市级配置 {city_config} 中没有区县 {county}")
    if step not in STEPS:
        raise county_steps.CrossCountyError(f"未知步骤 {step}（应为 {'/'.join(STEPS)}）")
    this = city.counties[county]
    if step == "apply":
        return {"county": county, "cross_county": apply_findings(city, county, month)}
    settings = county_steps.county_settings(this)
    result = monthly_reconciliation(
        month=month, config=str(this.config) if this.config else None,
        inputs=county_steps.run_inputs(this, settings, month), out=str(this.out_dir(month)), db=str(this.warehouse),
        keep_inputs=True)   # the apply step (again, when another county is re-run) reads the staged roster
    keys = export_keys(city, county, month, result["run_id"])
    return {"county": county, "run_id": result["run_id"], "counts": result["counts"], **keys}


@task(name="county step", cache_policy=NO_CACHE)
def county_step(month: str, county: str, city_config: str, step: str) -> dict:
    return county_reconciliation(month=month, county=county, city_config=city_config, step=step)


@task(name="cross-county checks", cache_policy=NO_CACHE)
def cross_county_checks(city: CityConfig, month: str, counties: list[str]) -> dict[str, int]:
    return check.cross_county_check(city, month, counties)


@task(name="roll-ups", cache_policy=NO_CACHE)
def rollups(city: CityConfig, month: str, summary_dir: Path) -> dict:
    return check.write_rollups(city, month, summary_dir, filled_on=dt.date.today())


@flow(name="city-reconciliation", flow_run_name="city {month}", log_prints=False)
def city_reconciliation(month: str, city_config: str, counties: list[str] | None = None,
                        pool: str | None = None) -> dict:
    """Reconcile `month` in every county of the city config (or only `counties`)."""
    logger = get_run_logger()
    city = load_city(city_config)
    selected = counties or list(city.counties)
    unknown = [k for k in selected if k not in city.counties]
    if unknown:
        raise county_steps.CrossCountyError(f"市级配置 {city_config} 中没有区县 {'、'.join(unknown)}")
    fan_out = _on_pool(pool) if pool else _in_process
    failed: dict[str, str] = {}
    for key, reason in fan_out(city, city_config, month, "reconcile", selected).items():
        if reason:
            failed[key] = reason
            check.record_failure(city, key, month, reason)
    done = check.completed_counties(city, month)
    findings = cross_county_checks(city, month, done)
    for key, reason in fan_out(city, city_config, month, "apply", done).items():
        if reason:
            failed[key] = reason
            check.record_failure(city, key, month, reason)
    out_dir = city.out_dir(month)
    rolled = rollups(city, month, out_dir / "summary")
    record = {
        "month": month, "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "counties_run": selected, "failed": failed, "missing": rolled["missing"],
        "cross_county_findings": findings, "out_dir": str(out_dir), "summary": rolled["city_summary"],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "city.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    logger.info("city month %s: %d counties run, %d failed, %d missing from the roll-up",
                month, len(selected), len(failed), len(rolled["missing"]))
    return record


def _in_process(city: CityConfig, city_config: str, month: str, step: str, keys: list[str]) -> dict[str, str | None]:
    """Each county as a subflow in a task of this flow's thread pool; reason or None per county."""
    futures = {key: county_step.submit(month, key, city_config, step) for key in keys}
    outcomes = {}
    for key, future in futures.items():
        future.wait()
        state = future.state
        outcomes[key] = None if state.is_completed() else _reason(state.result(raise_on_failure=False), state)
    return outcomes


def _reason(error, state) -> str:
    if isinstance(error, county_steps.EXPECTED_MESSAGES):
        return str(error)
    if isinstance(error, BaseException):   # its text could quote a value: name the type only
        return f"未预期的错误 {type(error).__name__}（详见该区县的运行记录）"
    return state.message or state.name


def _on_pool(pool: str):
    def fan_out(city: CityConfig, city_config: str, month: str, step: str, keys: list[str]) -> dict[str, str | None]:
        """Each county as a run of the deployment on `pool`; waits for all of them."""
        from prefect.client.orchestration import get_client
        from prefect.deployments import run_deployment

        runs = {}
        for key in keys:
            runs[key] = run_deployment(
                DEPLOYMENT, parameters={"month": month, "county": key, "city_config": city_config, "step": step},
                timeout=0, work_queue_name=city.counties[key].queue, flow_run_name=f"county {key} {step} {month}")
        outcomes: dict[str, str | None] = {}
        deadline = time.monotonic() + POOL_WAIT_SECONDS
        with get_client(sync_client=True) as client:
            while len(outcomes) < len(runs):
                for key, run in runs.items():
                    if key in outcomes:
                        continue
                    state = client.read_flow_run(run.id).state
                    if state and state.is_final():
                        outcomes[key] = None if state.is_completed() else _pool_reason(state)
                    elif time.monotonic() > deadline:
                        outcomes[key] = f"等待超过 {POOL_WAIT_SECONDS // 3600} 小时仍未完成（工作池 {pool} 上没有空闲的 worker？）"
                if len(outcomes) < len(runs):
                    time.sleep(POLL_SECONDS)
        return outcomes
    return fan_out


def _pool_reason(state) -> str:
    message = state.message or ""
    prefix = "Flow run encountered an exception: "
    return f"{state.name}: {message.removeprefix(prefix)}" if message else state.name


def deploy_county_flow(pool: str) -> str:
    """Create or update the deployment `county-reconciliation/city` on the work pool.
    Workers import flows.city from the project installed on their machine."""
    from prefect.deployments.runner import EntrypointType

    deployment = county_reconciliation.to_deployment(
        name=DEPLOYMENT_NAME, work_pool_name=pool, entrypoint_type=EntrypointType.MODULE_PATH,
        description="低保/特困跨区县月度比对：一个区县的比对或跨区县结果写回。", tags=["dibao", "city"])
    deployment.apply(work_pool_name=pool)
    return DEPLOYMENT


def run_city(month: str, city_config: Path | str, counties: list[str] | None = None, pool: str | None = None) -> dict:
    """city-reconciliation with at most [city] max_parallel counties at once in this process."""
    city = load_city(city_config)
    flow_with_pool = city_reconciliation.with_options(task_runner=ThreadPoolTaskRunner(max_workers=city.max_parallel))
    return flow_with_pool(month=month, city_config=str(Path(city_config).resolve()), counties=counties, pool=pool)
