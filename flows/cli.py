"""The `dibao` command: parse arguments, call a flow or a function, print a summary."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flows.config import DEMO_CONFIG, PROJECT_ROOT, ConfigError
from flows.prefect_env import configure

DEMO_SEED = 20200501
DEMO_MONTH = "2020-05"
DEMO_RAW = PROJECT_ROOT / "data" / "raw" / "demo"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configure()
    try:
        return args.handler(args)
    except (ConfigError, UserFacingError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断，数据库和输出目录保持运行前的状态。", file=sys.stderr)
        return 1


class UserFacingError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dibao", description="低保/特困名册与死亡、户籍数据的月度比对")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="生成示例乡镇（回龙镇）数据并完成2020-05月度比对")
    demo.add_argument("--out", type=Path, help="输出目录（默认 data/out/2020-05/）")
    demo.set_defaults(handler=cmd_demo)

    gen = commands.add_parser("generate", help="生成合成测试数据及 truth.csv")
    gen.add_argument("--scale", choices=("township", "district", "city"), default="township")
    gen.add_argument("--seed", type=int, default=DEMO_SEED)
    gen.add_argument("--month", default=DEMO_MONTH, type=_month)
    gen.add_argument("--out", type=Path, required=True)
    gen.set_defaults(handler=cmd_generate)

    run = commands.add_parser("run", help="月度比对")
    run.add_argument("--month", required=True, type=_month)
    run.add_argument("--config", type=Path)
    run.add_argument("--roster", action="append", default=[], metavar="PATH")
    run.add_argument("--deaths", action="append", default=[], metavar="PATH")
    run.add_argument("--population", action="append", default=[], metavar="PATH")
    run.add_argument("--source", action="append", default=[], metavar="NAME=PATH")
    run.add_argument("--out", type=Path)
    run.add_argument("--db", type=Path)
    run.set_defaults(handler=cmd_run)

    returns = commands.add_parser("returns", help="读取村（社区）填好核实结果后交回的核实表")
    returns.add_argument("--month", required=True, type=_month)
    returns.add_argument("--db", type=Path)
    returns.add_argument("--config", type=Path)
    returns.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    returns.set_defaults(handler=cmd_returns)

    actions = commands.add_parser("actions", help="导入核实结果后，生成停发调整清单、告知书和督办清单")
    actions.add_argument("--month", required=True, type=_month)
    actions.add_argument("--db", type=Path)
    actions.add_argument("--out", type=Path, help="输出目录（默认为该月的输出目录）")
    actions.add_argument("--config", type=Path)
    actions.set_defaults(handler=cmd_actions)

    settle = commands.add_parser("settle", help="处理同一疑点的两个不同核实结果（核实结果冲突）")
    settle.add_argument("--case", required=True, metavar="核查编号")
    settle.add_argument("--result", required=True, choices=("属实", "不属实", "已处理"))
    settle.add_argument("--remark")
    settle.add_argument("--db", type=Path)
    settle.add_argument("--config", type=Path)
    settle.set_defaults(handler=cmd_settle)

    recover = commands.add_parser("recover", help="登记多发资金追回金额，或说明原因后核销")
    recover.add_argument("--case", required=True, metavar="核查编号")
    recover.add_argument("--amount", required=True)
    recover.add_argument("--date", type=_date, help="追回日期 YYYY-MM-DD（默认今天）")
    recover.add_argument("--write-off", action="store_true", help="核销（须同时给出 --reason）")
    recover.add_argument("--reason", default="")
    recover.add_argument("--db", type=Path)
    recover.add_argument("--config", type=Path)
    recover.set_defaults(handler=cmd_recover)

    serve = commands.add_parser("serve", help="按配置中的 cron 定时运行月度比对（Prefect serve）")
    serve.add_argument("--config", type=Path)
    serve.add_argument("--port", type=int, default=4200, help="未设置 PREFECT_API_URL 时本地 Prefect 服务器的端口")
    serve.set_defaults(handler=cmd_serve)

    evaluate = commands.add_parser("evaluate", help="对照 truth.csv 计算各规则的召回率和精确率")
    evaluate.add_argument("--truth", type=Path, required=True)
    evaluate.add_argument("--exceptions", type=Path, required=True)
    evaluate.set_defaults(handler=cmd_evaluate)
    return parser


def _month(text: str) -> str:
    from flows.normalize.dates import month_bounds

    try:
        month_bounds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为YYYY-MM-DD格式：{text!r}") from None


def _clear_generated(folder: Path) -> None:
    """A second generation into the same folder must not leave the first one's files
    where the config's globs would pick them up."""
    import shutil

    for name in ("roster", "deaths", "population", "cremation", "poverty", "assistance"):
        shutil.rmtree(folder / name, ignore_errors=True)
    (folder / "truth.csv").unlink(missing_ok=True)


def cmd_generate(args) -> int:
    from flows.generate import generate

    _clear_generated(args.out)
    summary = generate(args.scale, args.seed, args.month, args.out)
    print(f"已生成 {args.scale} 规模数据（种子 {args.seed}，月份 {args.month}）到 {args.out}")
    for key, value in summary.items():
        if key != "files":
            print(f"  {key}: {value}")
    return 0


def cmd_returns(args) -> int:
    from flows.config import load_settings
    from flows.decisions import record_returns
    from flows.pipeline import expand_paths
    from flows.warehouse import WarehouseBusyError

    settings = load_settings(args.config)
    db = args.db or settings.warehouse
    if not Path(db).exists():
        raise UserFacingError(f"数据库 {db} 不存在：请先运行 dibao run --month {args.month}")
    files = [p for p in expand_paths(args.paths, Path.cwd()) if p.suffix.lower() == ".xlsx"]
    if not files:
        raise UserFacingError("没有找到要导入的 .xlsx 核实表")
    try:
        outcomes = record_returns(Path(db), args.month, files)
    except WarehouseBusyError as exc:
        raise UserFacingError(str(exc)) from None
    failed = 0
    for outcome in outcomes:
        if outcome.error:
            failed += 1
            print(f"未导入：{outcome.error}", file=sys.stderr)
        else:
            repeated = f"（另有 {outcome.repeated} 条此前已从该文件导入，未重复计入）" if outcome.repeated else ""
            money = f"，追回金额 {outcome.recovered} 条" if outcome.recovered else ""
            print(f"已导入：{outcome.file}（{outcome.village}）核实结果 {outcome.recorded} 条{money}{repeated}")
            _print_return_notes(outcome)
    pending = sum(len(o.remarks_only) for o in outcomes)
    conflicts = sum(len(o.conflicts) for o in outcomes)
    print(f"共 {len(outcomes)} 个文件，成功 {len(outcomes) - failed} 个，失败 {failed} 个"
          + (f"；待补核实结果 {pending} 条" if pending else "")
          + (f"；核实结果冲突 {conflicts} 条（用 dibao settle 处理）" if conflicts else ""))
    return 1 if failed else 0


def cmd_actions(args) -> int:
    from flows.config import load_settings
    from flows.followup import refresh_after_returns
    from flows.warehouse import WarehouseBusyError

    settings = load_settings(args.config)
    db = Path(args.db or settings.warehouse)
    out = Path(args.out or settings.out_dir(args.month))
    if not db.exists() or not out.is_dir():
        raise UserFacingError(f"找不到{args.month}的比对结果（{db}、{out}）：请先运行 dibao run --month {args.month}")
    try:
        counts = refresh_after_returns(db, args.month, out, settings)
    except WarehouseBusyError as exc:
        raise UserFacingError(str(exc)) from None
    print(f"停发调整清单 {counts['actions']} 个文件（{out / 'actions'}，仅限镇民政办使用），"
          f"告知书 {counts['notices']} 个（{out / 'notices'}），督办清单 {counts['supervision']} 个（{out / 'summary'}）")
    return 0


def _print_return_notes(outcome) -> None:
    """Remarks without a result and conflicting answers: the office must see both."""
    if outcome.remarks_only:
        print(f"  填写了备注但未选择核实结果（已保存备注，下月表中显示，计为待补核实结果）："
              f"核查编号 {'、'.join(outcome.remarks_only)}")
    for line in outcome.conflicts:
        print(f"  核实结果冲突，两个结果均未采用，请核实后用 dibao settle 确定：{line}")


def cmd_settle(args) -> int:
    from flows.config import load_settings
    from flows.decisions import settle_conflict
    from flows.warehouse import WarehouseBusyError

    settings = load_settings(args.config)
    db = Path(args.db or settings.warehouse)
    if not db.exists():
        raise UserFacingError(f"数据库 {db} 不存在")
    try:
        month = settle_conflict(db, args.case, args.result, args.remark or "")
    except ValueError as exc:
        raise UserFacingError(str(exc)) from None
    except WarehouseBusyError as exc:
        raise UserFacingError(str(exc)) from None
    print(f"已确定核查编号 {args.case} 的核实结果为“{args.result}”（{month}核实表），冲突已处理")
    return 0


def cmd_recover(args) -> int:
    from flows.config import load_settings
    from flows.recovery import RecoveryError, record_recovery
    from flows.warehouse import WarehouseBusyError

    settings = load_settings(args.config)
    db = Path(args.db or settings.warehouse)
    if not db.exists():
        raise UserFacingError(f"数据库 {db} 不存在")
    try:
        balance = record_recovery(db, args.case, args.amount, on=args.date, write_off=args.write_off,
                                  reason=args.reason)
    except (RecoveryError, WarehouseBusyError) as exc:
        raise UserFacingError(str(exc)) from None
    print(f"已登记核查编号 {args.case} 的{'核销' if args.write_off else '追回'} {args.amount} 元，未追回余额 {balance} 元"
          "（追缴台账在下次运行或 dibao actions 时更新）")
    return 0


def cmd_serve(args) -> int:
    from flows.serve import serve_monthly

    return serve_monthly(config=args.config, port=args.port)


def cmd_evaluate(args) -> int:
    from flows.evaluate import evaluate_files

    for line in evaluate_files(args.truth, args.exceptions).lines():
        print(line)
    return 0


def cmd_demo(args) -> int:
    from flows.generate import generate

    _clear_generated(DEMO_RAW)
    generate("township", DEMO_SEED, DEMO_MONTH, DEMO_RAW)
    print(f"示例数据已生成：{DEMO_RAW}")
    return _reconcile(DEMO_MONTH, config=DEMO_CONFIG, inputs=None, out=args.out, db=None)


def cmd_run(args) -> int:
    from flows.config import load_settings

    settings = load_settings(args.config)
    inputs: dict[str, list[str]] = {}
    for kind, paths in (("roster", args.roster), ("deaths", args.deaths), ("population", args.population)):
        if paths:
            name = next(n for n, s in settings.sources.items() if s.kind == kind and not s.optional)
            inputs[name] = paths
    for item in args.source:
        name, sep, path = item.partition("=")
        if not sep or name not in settings.sources:
            known = "、".join(settings.sources)
            print(f"错误：--source 应写作 NAME=PATH，NAME 为配置中的数据源（{known}）：{item}", file=sys.stderr)
            return 2
        inputs.setdefault(name, []).append(path)
    if inputs:
        # Files named on the command line replace the config's; an optional registry not
        # named is left out rather than read from the config's (possibly demo) folder.
        for name, source in settings.sources.items():
            if source.optional:
                inputs.setdefault(name, [])
    return _reconcile(args.month, config=args.config, inputs=inputs or None, out=args.out, db=args.db)


def _reconcile(month: str, *, config, inputs, out, db) -> int:
    from flows.reconcile import monthly_reconciliation
    from flows.errors import RunStepError
    from flows.rules import RULES
    from flows.sources.readers import SourceFileError
    from flows.warehouse import SqlError, WarehouseBusyError

    try:
        result = monthly_reconciliation(
            month=month, config=str(config) if config else None, inputs=inputs,
            out=str(out) if out else None, db=str(db) if db else None)
    except (SourceFileError, WarehouseBusyError, SqlError, ConfigError, RunStepError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        print("本次比对未完成，数据库和输出目录保持运行前的状态。", file=sys.stderr)
        return 1
    print_summary(result, RULES)
    return 0


def print_summary(result: dict, rules) -> None:
    counts = result["counts"]
    print(f"\n{result['month']} 月度比对完成（运行编号 {result['run_id']}）")
    print(f"读入文件 {len(result['inputs'])} 个，无法识别的值/行 {result['rows_rejected']} 处（见 rejects.csv）")
    print("各规则异常数：")
    for code, rule in rules.items():
        print(f"  {code:<24} {rule.name_zh:<16} {counts.get(code, 0):>6}")
    print(f"  {'合计':<24} {'':<16} {sum(counts.values()):>6}")
    out = Path(result["out_dir"])
    print(f"\n各村核实表：{out / 'villages'}")
    print(f"汇总表：    {out / 'summary'}")
    if result.get("outputs", {}).get("ledgers"):
        print(f"摸排台账：  {out / 'ledgers'}（附件1-3）")
    print(f"异常清单：  {out / 'exceptions.csv'}")
    for warning in result.get("warnings", []):
        print(f"警告：{warning}")


if __name__ == "__main__":
    sys.exit(main())
