"""The `dibao` command: parse arguments, call a flow or a function, print a summary."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from flows import console
from flows.config import DEMO_CONFIG, PROJECT_ROOT, ConfigError
from flows.prefect_env import configure
from flows.errors import SourceFileError

DEMO_SEED = 20200501
DEMO_MONTH = "2020-05"
DEMO_RAW = PROJECT_ROOT / "data" / "raw" / "demo"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    os.umask(0o077)  # every file and folder this command creates is its owner's only
    configure()
    _tune_collector()
    console.enable_progress()
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except (ConfigError, UserFacingError, SourceFileError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断，数据库和输出目录保持运行前的状态。", file=sys.stderr)
        return 130


def _tune_collector() -> None:
    """A `dibao` command is a short batch process whose imports (Prefect, pandas, DuckDB:
    ≈ 2,300 modules, ≈ 400k objects) live until it ends.  Python's default thresholds scan
    them again and again: ≈ 0.9 s of a township's run in collections, ≈ 1 s more in those
    of finalising the interpreter, freeing almost nothing.  Young objects are collected
    after 10,000 allocations instead of 700, and none once the exit handlers start (objects
    are still released by their reference counts; every exit handler, Prefect's log and
    event flush and logging's among them, still runs)."""
    import atexit
    import gc

    if not _tune_collector.done:
        gc.set_threshold(10_000, 10, 10)
        atexit.register(lambda: (gc.freeze(), gc.disable()))
        _tune_collector.done = True


_tune_collector.done = False


class UserFacingError(Exception):
    pass


class UsageError(Exception):
    """A command line that cannot mean anything; exit code 2."""


# argparse's own messages, as a clerk should read them (Python 3.11's wording).
_ARGPARSE_ZH = (
    (r"the following arguments are required: (.*)", "缺少必需的参数：{0}"),
    (r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)", "参数 {0} 的值 {1} 无效，可选：{2}"),
    (r"argument (\S+): expected one argument", "参数 {0} 后面需要一个值"),
    (r"argument (\S+): invalid (\w+) value: (.*)", "参数 {0} 的值 {2} 无效"),
    (r"argument (\S+): not allowed with argument (\S+)", "参数 {0} 不能与 {1} 同时使用"),
    (r"argument (\S+): (.*)", "参数 {0}：{1}"),
    (r"unrecognized arguments: (.*)", "无法识别的参数：{0}"),
    (r"ambiguous option: (.*)", "选项不明确：{0}"),
)


class _ChineseHelp(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix="用法：" if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with its usage errors and headings in Chinese (exit code 2, as before)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _ChineseHelp)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示帮助并退出")

    def error(self, message: str):
        import re

        for pattern, text in _ARGPARSE_ZH:
            found = re.fullmatch(pattern, message)
            if found:
                message = text.format(*found.groups())
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"错误：{message}\n（用 {self.prog} -h 查看用法）\n")


def _parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="dibao", description="低保/特困名册与死亡、户籍数据的月度比对")
    commands = parser.add_subparsers(required=True, metavar="COMMAND", title="命令",
                                     parser_class=ChineseArgumentParser)

    demo = commands.add_parser("demo", help="生成示例乡镇（回龙镇）数据并完成2020-05月度比对；"
                                           "--month 2020-06 续做下一个月（演练用）")
    demo.add_argument("--month", type=_month, default=DEMO_MONTH,
                      help="示例月份：2020-05（默认，第一个月），或其后各月（在上个月的基础上续做）")
    demo.add_argument("--out", type=Path, help="输出目录（默认 data/out/月份/）")
    demo.add_argument("--fill", action="store_true",
                      help="演练：模拟各村填写并交回该月的核实表（写入 data/raw/demo/月份/returned/）")
    demo.set_defaults(handler=cmd_demo)

    gen = commands.add_parser("generate", help="生成合成测试数据及 truth.csv")
    gen.add_argument("--scale", choices=("township", "district", "city"), default="township")
    gen.add_argument("--seed", type=int, default=DEMO_SEED)
    gen.add_argument("--month", default=DEMO_MONTH, type=_month)
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--workers", type=int, default=2, help="city 规模按区县并行生成的进程数（默认 2）")
    gen.add_argument("--continue-from", type=_month, metavar="YYYY-MM",
                     help="在该月（同一种子）的合成数据基础上续做 --month 月：同一批人、同样的身份证号")
    gen.set_defaults(handler=cmd_generate)

    run = commands.add_parser("run", help="月度比对")
    run.add_argument("--month", required=True, type=_month)
    run.add_argument("--config", type=Path)
    _add_path_flags(run)
    run.add_argument("--out", type=Path)
    run.add_argument("--db", type=Path)
    run.set_defaults(handler=cmd_run)

    check = commands.add_parser("check", help="检查某月将读取哪些文件（表头、字段对应、行数、日期范围），不写入任何内容")
    check.add_argument("--month", required=True, type=_month)
    check.add_argument("--config", type=Path)
    _add_path_flags(check)
    check.set_defaults(handler=cmd_check)

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
    settle.add_argument("--case", required=True, metavar="核查编号", type=_case_id)
    settle.add_argument("--result", required=True, choices=("属实", "不属实", "已处理", "停发此处", "保留此处", "是", "否"),
                        help="核实结果；重复享受为停发此处/保留此处；摸排台账（台账编号 L…）为是/否")
    settle.add_argument("--remark")
    settle.add_argument("--db", type=Path)
    settle.add_argument("--config", type=Path)
    settle.set_defaults(handler=cmd_settle)

    decide = commands.add_parser("decide", help="镇级认定：镇民政办对疑点作出核实结果（村报不属实待复核的，须写明理由、依据和经办人）")
    decide.add_argument("--case", required=True, metavar="核查编号", type=_case_id)
    decide.add_argument("--result", required=True, choices=("属实", "不属实", "已处理", "停发此处", "保留此处"))
    decide.add_argument("--reason", default="", help="认定理由")
    decide.add_argument("--evidence", default="", help="依据，如“本人到场核验 2020-06-12”“公安更正户籍”")
    decide.add_argument("--officer", default="", help="经办人姓名")
    decide.add_argument("--month", type=_month, help="核实表月份（默认为该疑点最近一次被发现的月份）")
    decide.add_argument("--db", type=Path)
    decide.add_argument("--config", type=Path)
    decide.set_defaults(handler=cmd_decide)

    recover = commands.add_parser("recover", help="登记多发资金追回金额，或说明原因后核销")
    recover.add_argument("--case", required=True, metavar="核查编号", type=_case_id)
    recover.add_argument("--amount", required=True)
    recover.add_argument("--date", type=_date, help="追回日期 YYYY-MM-DD（默认今天）")
    recover.add_argument("--write-off", action="store_true", help="核销（须同时给出 --reason）")
    recover.add_argument("--reason", default="")
    recover.add_argument("--db", type=Path)
    recover.add_argument("--config", type=Path)
    recover.set_defaults(handler=cmd_recover)

    review = commands.add_parser("review", help="在 JupyterLab 中打开月度核查笔记本（需可选组件：make review 会自动安装）")
    review.add_argument("--config", type=Path, help="配置文件（默认与 dibao 命令相同；make demo 后、尚无真实数据库时为示例的）")
    review.add_argument("--month", type=_month, help="核查月份（默认最近比对的月份）")
    review.add_argument("--port", type=int, help="JupyterLab 端口（默认 8888 或下一个空闲端口）")
    review.set_defaults(handler=cmd_review)

    serve = commands.add_parser("serve", help="按配置中的 cron 定时运行月度比对（Prefect serve）")
    serve.add_argument("--config", type=Path)
    serve.add_argument("--port", type=int, default=4200, help="未设置 PREFECT_API_URL 时本地 Prefect 服务器的端口")
    serve.set_defaults(handler=cmd_serve)

    city = commands.add_parser("city", help="多区县月度比对：各区县比对、跨区县核查、市级汇总")
    city.add_argument("--month", type=_month, help="比对月份 YYYY-MM（--deploy 时不需要）")
    city.add_argument("--config", type=Path, required=True, help="市级配置文件（区县列表）")
    city.add_argument("--county", action="append", default=[], metavar="KEY",
                      help="只运行这些区县（配置中的键名），其余区县沿用本月已有结果")
    city.add_argument("--pool", help="在该 Prefect 工作池上运行各区县（需 PREFECT_API_URL）；默认在本机并行")
    city.add_argument("--deploy", action="store_true", help="只在 --pool 工作池上创建/更新区县部署，不运行")
    city.set_defaults(handler=cmd_city)
    backups = commands.add_parser("backups", help="查看或恢复数据库的备份（最近几次完好的数据库）")
    backup_commands = backups.add_subparsers(required=True, metavar="ACTION")
    listing = backup_commands.add_parser("list", help="列出备份，并检查每个能否打开、最近一次运行是否完整")
    restore = backup_commands.add_parser("restore", help="用编号为 N 的备份替换当前数据库（先检查备份完好）")
    restore.add_argument("number", type=int, metavar="N", help="dibao backups list 显示的编号（1 为最新）")
    for action, handler in ((listing, cmd_backups_list), (restore, cmd_backups_restore)):
        action.add_argument("--config", type=Path)
        action.add_argument("--db", type=Path)
        action.set_defaults(handler=handler)
    key = commands.add_parser("key", help="数据库密钥：创建密钥文件，或把未加密的数据库转为加密")
    key_commands = key.add_subparsers(required=True, metavar="ACTION")
    key_init = key_commands.add_parser("init", help="创建只有本人可读的密钥文件（默认 ~/.config/dibao/warehouse.key）")
    key_init.add_argument("--file", type=Path, help="密钥文件位置（默认 $DIBAO_KEY_FILE 或 ~/.config/dibao/warehouse.key）")
    key_init.set_defaults(handler=cmd_key_init)
    key_migrate = key_commands.add_parser("migrate", help="把未加密的数据库转为加密数据库，核对无误后删除原文件")
    key_migrate.add_argument("--db", type=Path)
    key_migrate.add_argument("--config", type=Path)
    key_migrate.set_defaults(handler=cmd_key_migrate)

    model = commands.add_parser("model", help="疑似死亡匹配模型：按各村核实结果重新估计 m，并用合成数据真值核对")
    model_commands = model.add_subparsers(required=True, metavar="ACTION")
    fit = model_commands.add_parser("fit", help="按已确认/否认的疑似死亡重新估计 m，核对真值后写入模型文件（[model] file）")
    fit.add_argument("--config", type=Path)
    fit.add_argument("--db", type=Path)
    fit.add_argument("--month", type=_month, help="计入截至该月核实表的答复（默认最近比对的月份）")
    fit.add_argument("--truth", type=Path, metavar="truth.csv",
                     help="核对用的合成数据（dibao generate 生成的 truth.csv 或其目录）；默认临时生成一个乡镇")
    fit.add_argument("--truth-month", type=_month, metavar="YYYY-MM", help="--truth 数据的月份（默认取其目录名）")
    fit.add_argument("--seed", type=int, default=None, help="未给 --truth 时临时生成乡镇所用的种子")
    fit.add_argument("--out", type=Path, help="模型文件（默认配置中的 [model] file）")
    fit.set_defaults(handler=cmd_model_fit)

    evaluate = commands.add_parser("evaluate", help="对照 truth.csv 计算各规则的召回率和精确率")
    evaluate.add_argument("--truth", type=Path, required=True)
    evaluate.add_argument("--exceptions", type=Path, required=True)
    evaluate.set_defaults(handler=cmd_evaluate)
    return parser


def _add_path_flags(command: argparse.ArgumentParser) -> None:
    command.add_argument("--roster", action="append", default=[], metavar="PATH")
    command.add_argument("--deaths", action="append", default=[], metavar="PATH")
    command.add_argument("--population", action="append", default=[], metavar="PATH")
    command.add_argument("--source", action="append", default=[], metavar="NAME=PATH")


def _month(text: str) -> str:
    """A month as a clerk types it — 2020-06, 2020-6, 2020/6, 2020.6, 2020年6月, 202006 —
    as YYYY-MM."""
    import re

    found = (re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*", text)
             or re.fullmatch(r"\s*(\d{4})(\d{2})\s*", text))
    if not found or not 1 <= int(found.group(2)) <= 12 or not 1900 <= int(found.group(1)) <= 2200:
        raise argparse.ArgumentTypeError(
            f"月份 {text!r} 无法识别：请写作 YYYY-MM，如 2020-06（也可写 2020-6、2020年6月、202006）")
    return f"{int(found.group(1)):04d}-{int(found.group(2)):02d}"


def _case_id(text: str) -> str:
    """核查编号 as printed on the sheets (C000046); typed in any case."""
    return text.strip().upper()


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

    from flows.config import source_folders

    for name in set(source_folders().values()):
        shutil.rmtree(folder / name, ignore_errors=True)
    (folder / "truth.csv").unlink(missing_ok=True)


def cmd_generate(args) -> int:
    from flows.generate import generate

    if args.continue_from:
        if args.scale == "city" or args.continue_from >= args.month:
            raise UsageError("--continue-from 只用于 township、district 规模，且应早于 --month")
        from flows.generate.next_month import generate_next_month

        _clear_generated(args.out)
        summary = generate_next_month(args.scale, args.seed, args.continue_from, args.out, until=args.month)
        print(f"已在 {args.continue_from} 的基础上续做 {args.month}（同一批人、同样的身份证号）")
        return _print_generated(args, summary)
    _clear_generated(args.out)
    summary = generate(args.scale, args.seed, args.month, args.out, workers=args.workers)
    return _print_generated(args, summary)


def _print_generated(args, summary: dict) -> int:
    print(f"已生成 {args.scale} 规模数据（种子 {args.seed}，月份 {args.month}）到 {args.out}")
    for key, value in summary.items():
        if key != "files":
            print(f"  {key}: {value}")
    return 0


def _settings(args):
    """The command's config, and the key it names ([warehouse] key_file: the demo's own)."""
    from flows.config import load_settings
    from flows.keys import use_key_of

    settings = load_settings(args.config)
    use_key_of(settings)
    return settings


def _existing_warehouse(args, settings) -> Path:
    """The warehouse a command works on; a missing one says what to run first, and after
    `make demo` that the sample township has its own config."""
    db = Path(args.db or settings.warehouse)
    if db.exists():
        return db
    month = getattr(args, "month", None) or "YYYY-MM"
    if args.config is None and args.db is None and os.environ.get("DIBAO_CONFIG") is None:
        from flows.config import load_settings

        demo = load_settings(DEMO_CONFIG)
        if demo.warehouse.exists():
            raise UserFacingError(f"数据库 {db} 不存在（还没有比对过本乡镇的真实数据）。示例乡镇的数据库是 "
                                  f"{_shown(demo.warehouse)}：演练示例时请在命令后加上 --config {_shown(DEMO_CONFIG)}")
    raise UserFacingError(f"数据库 {db} 不存在：请先运行 dibao run --month {month}"
                          + (f" --config {args.config}" if args.config else ""))


def _paths_exist(paths) -> None:
    """A path typed on the command line that names nothing: say so before anything else."""
    for text in paths:
        path = Path(text).expanduser()
        if not any(ch in str(text) for ch in "*?[") and not path.exists():
            raise UserFacingError(f"找不到文件：{text}（请检查路径和文件名是否写对）")


def _dibao() -> str:
    """`dibao` as this command was started (.venv/bin/dibao from the project folder), so
    the next commands printed can be copied as they are."""
    import shutil

    started = Path(sys.argv[0])
    if started.name != "dibao":
        return "dibao"
    on_path = shutil.which("dibao")
    if on_path and Path(on_path).resolve() == started.resolve():
        return "dibao"
    return _shown(started)


def _shown(path: Path) -> str:
    """A project path as the user types it from the project folder."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def cmd_returns(args) -> int:
    from flows.cases.decisions import record_returns
    from flows.pipeline import expand_paths
    from flows.warehouse import WarehouseBusyError

    _paths_exist(args.paths)
    settings = _settings(args)
    db = _existing_warehouse(args, settings)
    check_warehouse_key(db)
    found = expand_paths(args.paths, Path.cwd())
    files = [p for p in found if p.suffix.lower() == ".xlsx"]
    old_format = [p.name for p in found if p.suffix.lower() == ".xls"]
    for name in old_format:
        print(f"未导入：{name} 是旧版 Excel（.xls）格式，请在 Excel 中“另存为”Excel 工作簿（.xlsx）后再导入",
              file=sys.stderr)
    if not files:
        raise UserFacingError("没有可导入的 .xlsx 核实表" if old_format else "没有找到要导入的 .xlsx 核实表")
    try:
        outcomes = record_returns(Path(db), args.month, files)
    except WarehouseBusyError as exc:
        raise UserFacingError(str(exc)) from None
    failed = len(old_format)
    for outcome in outcomes:
        if outcome.error:
            failed += 1
            print(f"未导入：{outcome.error}", file=sys.stderr)
        else:
            money = f"，追回金额 {outcome.recovered} 条" if outcome.recovered else ""
            repeated = (f"（另有 {outcome.repeated} 条与已录入的结果相同，计为同一结果，文件已记入来源）"
                        if outcome.repeated else "")
            print(f"已导入：{outcome.file}（{outcome.village}）核实结果 {outcome.recorded} 条{money}{repeated}")
            _print_return_notes(outcome)
    pending = sum(len(o.remarks_only) for o in outcomes)
    conflicts = sum(len(o.conflicts) for o in outcomes)
    print(f"共 {len(outcomes) + len(old_format)} 个文件，成功 {len(outcomes) + len(old_format) - failed} 个，失败 {failed} 个"
          + (f"；待补核实结果 {pending} 条" if pending else "")
          + (f"；核实结果冲突 {conflicts} 条（用 dibao settle 处理）" if conflicts else ""))
    if not any(o.error is None for o in outcomes):   # every file refused: nothing was recorded
        print("没有导入任何核实结果（拒收的文件已记入审计记录）。请按上面的提示改正后重新导入。")
        return 1
    print(f"核实结果已写入数据库：{db}")
    config = f" --config {args.config}" if args.config else ""
    print(f"下一步：dibao actions{config} --month {args.month}，生成停发调整清单、告知书、督办清单和追缴台账")
    if any(o.disputed for o in outcomes):
        print(f"镇级复核：dibao decide{config} --case 核查编号 --result 结果 --reason 理由 --evidence 依据 --officer 经办人")
    return 1 if failed else 0


def cmd_actions(args) -> int:
    from flows.pipeline import refresh_after_returns
    from flows.warehouse import WarehouseBusyError

    settings = _settings(args)
    db = _existing_warehouse(args, settings)
    out = Path(args.out or settings.out_dir(args.month))
    if not out.is_dir():
        raise UserFacingError(f"找不到{args.month}的比对结果（{out}）：请先运行 dibao run --month {args.month}"
                              + (" --config " + str(args.config) if args.config else ""))
    try:
        counts = refresh_after_returns(db, args.month, out, settings)
    except WarehouseBusyError as exc:
        raise UserFacingError(str(exc)) from None
    print(f"{args.month} 的处理材料已生成：")
    print_written([("停发调整清单（仅限镇民政办使用）", counts["paths"]["actions"]),
                   ("告知书", counts["paths"]["notices"]), ("督办清单", counts["paths"]["supervision"]),
                   ("追缴台账", counts["paths"]["recovery"]),
                   ("镇级复核清单（村报不属实、待镇民政办认定）", counts["paths"]["township_review"])])
    if not counts["paths"]["notices"]:
        print("  本月没有需要新出具的告知书（已出具的不再重复出具）")
    return 0


def print_written(groups: list[tuple[str, list]], *, at_most: int = 20) -> None:
    """Each kind of paper and the files written, by path (a long list cut after `at_most`)."""
    for label, paths in groups:
        if not paths:
            continue
        print(f"  {label}（{len(paths)} 个）：")
        for path in paths[:at_most]:
            print(f"    {path}")
        if len(paths) > at_most:
            print(f"    ……另有 {len(paths) - at_most} 个，见 {Path(paths[0]).parent}")


def out_folder_papers(out: Path) -> list[tuple[str, list]]:
    """The papers of a month's out folder, by kind, for the console after a run."""
    summary = out / "summary"
    return [("各村核实表", sorted((out / "villages").glob("*.xlsx"))),
            ("汇总表（附件4、分村统计）", sorted(summary.glob("*_城乡低保摸排处理汇总表_*.xlsx"))),
            ("摸排台账（附件1-3）", sorted((out / "ledgers").glob("*.xlsx"))),
            ("停发调整清单（仅限镇民政办使用）", sorted((out / "actions").glob("*"))),
            ("告知书", sorted((out / "notices").glob("*.docx"))),
            ("督办清单", sorted(summary.glob("*_督办清单_*.xlsx"))),
            ("追缴台账", sorted(summary.glob("*_追缴台账_*.xlsx"))),
            ("镇级复核清单（村报不属实、待镇民政办认定）", sorted(summary.glob("*_镇级复核清单_*.xlsx")))]


def _print_return_notes(outcome) -> None:
    """Remarks without a result, conflicting answers, denials that go to the township's 复核 and
    answers on cases the township has decided: the office must see all of them."""
    if outcome.disputed:
        print(f"  有公安/火化等登记证据、村（社区）报不属实或已处理的，未关闭，列入镇级复核清单，"
              f"待镇民政办用 dibao decide 认定：核查编号 {'、'.join(outcome.disputed)}")
    if outcome.township_decided:
        print(f"  镇民政办已认定的疑点，村（社区）结果只记入来源、不改变认定：核查编号 {'、'.join(outcome.township_decided)}")
    if outcome.remarks_only:
        print(f"  填写了备注但未选择核实结果（已保存备注，下月表中显示，计为待补核实结果）："
              f"核查编号 {'、'.join(outcome.remarks_only)}")
    for line in outcome.conflicts:
        print(f"  核实结果冲突，两个结果均未采用，请核实后用 dibao settle 确定：{line}")


def cmd_settle(args) -> int:
    from flows.cases.decisions import settle_conflict
    from flows.warehouse import WarehouseBusyError

    db = _existing_warehouse(args, _settings(args))
    try:
        month = settle_conflict(db, args.case, args.result, args.remark or "")
    except ValueError as exc:
        raise UserFacingError(str(exc)) from None
    except WarehouseBusyError as exc:
        raise UserFacingError(str(exc)) from None
    print(f"已确定核查编号 {args.case} 的核实结果为“{args.result}”（{month}核实表），冲突已处理")
    return 0


def cmd_decide(args) -> int:
    from flows.cases import STATUS_ZH
    from flows.cases.township import TownshipDecisionError, decide
    from flows.warehouse import WarehouseBusyError

    settings = _settings(args)
    db = _existing_warehouse(args, settings)
    check_warehouse_key(db)
    try:
        status = decide(db, args.case, args.result, reason=args.reason, evidence=args.evidence,
                        officer=args.officer, month=args.month)
    except (TownshipDecisionError, WarehouseBusyError) as exc:
        raise UserFacingError(str(exc)) from None
    print(f"已记录镇级认定：核查编号 {args.case} 为“{args.result}”（经办人 {args.officer or '未填'}），"
          f"状态：{STATUS_ZH.get(status, status)}。停发调整清单和督办清单在 dibao actions 或下次运行时更新")
    return 0


def cmd_recover(args) -> int:
    from flows.cases.recovery import RecoveryError, record_recovery
    from flows.warehouse import WarehouseBusyError

    db = _existing_warehouse(args, _settings(args))
    try:
        balance = record_recovery(db, args.case, args.amount, on=args.date, write_off=args.write_off,
                                  reason=args.reason)
    except (RecoveryError, WarehouseBusyError) as exc:
        raise UserFacingError(str(exc)) from None
    print(f"已登记核查编号 {args.case} 的{'核销' if args.write_off else '追回'} {args.amount} 元，未追回余额 {balance} 元"
          "（追缴台账在下次运行或 dibao actions 时更新）")
    return 0


def cmd_review(args) -> int:
    """JupyterLab on the review notebook; the notebook finds its warehouse, key and month
    from the config (flows.review.open_workplace), passed on as DIBAO_CONFIG / DIBAO_MONTH."""
    import importlib.util
    import subprocess

    from flows.review import open_workplace

    if importlib.util.find_spec("jupyterlab") is None:
        raise UserFacingError("没有安装 JupyterLab（可选组件）：请运行 make review（会自动安装），"
                              "或 .venv/bin/pip install -e '.[review]'")
    env = dict(os.environ)
    if args.config:
        env["DIBAO_CONFIG"] = str(args.config.resolve())
    if args.month:
        env["DIBAO_MONTH"] = args.month
    try:   # say which warehouse the notebook will open, and stop here if there is none
        place = open_workplace(args.config.resolve() if args.config else None, month=args.month)
    except (FileNotFoundError, ValueError) as exc:
        raise UserFacingError(str(exc)) from None
    print(place.describe())
    notebook = PROJECT_ROOT / "notebooks" / "01_monthly_review.ipynb"
    command = [sys.executable, "-m", "jupyterlab", str(notebook)] + ([f"--port={args.port}"] if args.port else [])
    return subprocess.call(command, env=env, cwd=notebook.parent)


def cmd_serve(args) -> int:
    from flows.serve import serve_monthly

    return serve_monthly(config=args.config, port=args.port)


def cmd_city(args) -> int:
    from flows.city import DEPLOYMENT, deploy_county_flow, run_city

    if args.deploy:
        if not args.pool:
            print("错误：--deploy 需要同时指定 --pool", file=sys.stderr)
            return 2
        print(f"已在工作池 {args.pool} 上创建部署：{deploy_county_flow(args.pool)}")
        return 0
    if not args.month:
        print("错误：请用 --month YYYY-MM 指定比对月份", file=sys.stderr)
        return 2
    if not args.pool:
        # Every county's warehouse on this machine needs the key: say so once, before any county starts.
        from flows.keys import warehouse_key

        warehouse_key()
    result = run_city(args.month, args.config, counties=args.county or None, pool=args.pool)
    print(f"\n{result['month']} 多区县比对{'完成' if not result['missing'] else '未全部完成'}"
          f"（{'工作池 ' + args.pool + '，部署 ' + DEPLOYMENT if args.pool else '本机并行'}）")
    for key, n in result["cross_county_findings"].items():
        print(f"  {key:<16} 跨区县发现 {n:>4} 条")
    for key, reason in result["failed"].items():
        print(f"失败：{key}：{reason}", file=sys.stderr)
    for missing in result["missing"]:
        print(f"汇总表缺报：{missing['name']}（{missing['county']}）：{missing['reason']}", file=sys.stderr)
    if result["missing"]:
        print(f"修复后只重跑这些区县即可补齐本月：dibao city --month {result['month']} --config {args.config} "
              + " ".join(f"--county {m['county']}" for m in result["missing"]), file=sys.stderr)
    print(f"市级汇总表：{result['summary']}")
    return 1 if result["missing"] else 0


def cmd_key_init(args) -> int:
    from flows.keys import create_key_file

    path = create_key_file(args.file)
    print(f"已创建密钥文件 {path}（权限 600，仅本人可读）。")
    print("请另行备份此文件（不要与数据库放在一起）：丢失密钥后加密的数据库将无法打开。")
    return 0


def cmd_key_migrate(args) -> int:
    from flows.keys import warehouse_key
    from flows.migrate import is_encrypted, migrate_to_encrypted

    db = Path(args.db or _settings(args).warehouse)
    if not db.exists():
        raise UserFacingError(f"数据库 {db} 不存在，无需转换。")
    key = warehouse_key()
    if is_encrypted(db):
        print(f"数据库 {db} 已经加密，未做改动。")
        return 0
    tables = migrate_to_encrypted(db, key)
    rows = sum(count for count, _ in tables.values())
    print(f"数据库 {db} 已加密：{len(tables)} 张表、{rows} 行，逐表核对行数和内容校验和一致，原未加密文件已删除。")
    return 0


def cmd_model_fit(args) -> int:
    """Re-estimate m from the villages' answers, check it on the generator's truth, write the
    model file with the check's result; later runs use it only if the check passed."""
    from flows import warehouse
    from flows.matching import model_fit

    settings = _settings(args)
    warehouse.use_engine(settings)
    db = _existing_warehouse(args, settings)
    check_warehouse_key(db)
    world, world_month = None, None
    if args.truth is not None:
        world = args.truth if args.truth.is_dir() else args.truth.parent
        if not (world / "truth.csv").is_file():
            raise UserFacingError(f"找不到文件：{world / 'truth.csv'}")
        try:
            world_month = args.truth_month or _month(world.name)
        except (UsageError, argparse.ArgumentTypeError, ValueError):
            raise UserFacingError(f"请用 --truth-month 说明 {world} 是哪个月的数据") from None
    if not (args.out or settings.model_file):
        raise UserFacingError("配置文件中没有 [model] file：请在配置中写明模型文件位置，或用 --out 指定")
    try:
        fitted = model_fit.fit(settings, db=db, month=args.month, world=world, world_month=world_month,
                           seed=model_fit.CHECK_SEED if args.seed is None else args.seed, out=args.out)
    except ValueError as exc:
        raise UserFacingError(str(exc)) from None
    check = fitted["check"]
    print(f"已按截至 {fitted['answers_up_to']} 的核实结果重新估计 m：确认属实 {fitted['confirmed']} 条，"
          f"否认 {fitted['denied']} 条（先验折合 {fitted['pseudo_answers']} 条）")
    if "deaths_in_truth" in check:
        print(f"真值核对（{check['world']}，阈值 {check['threshold']:g}）：死亡对象 {check['deaths_in_truth']} 人，"
              f"先验找到 {check['deaths_found_priors']} 人、新模型找到 {check['deaths_found_model']} 人；"
              f"在世人员被标记：先验 {check['living_flagged_priors']} 人、新模型 {check['living_flagged_model']} 人")
    print(f"核对结果：{check['note']}")
    print(f"模型文件：{_shown(Path(args.out or settings.model_file))}"
          + ("（此后的月度比对将使用它）" if check["passed"] else "（未通过核对，此后的月度比对仍使用先验 m）"))
    return 0 if check["passed"] else 1


def cmd_evaluate(args) -> int:
    from flows.evaluate import evaluate_files

    for line in evaluate_files(args.truth, args.exceptions).lines():
        print(line)
    return 0


def cmd_demo(args) -> int:
    """The sample township: its first month, a later month carried on from it, or the
    training step that fills the month's village sheets as villages return them."""
    import shutil

    from flows.keys import use_demo_key
    from flows.lifetime import spawn_prefect_server

    if args.fill:
        return _demo_fill(args.month)
    if args.month < DEMO_MONTH:
        raise UsageError(f"示例从 {DEMO_MONTH} 开始：--month 应为 {DEMO_MONTH} 或其后的月份")
    previous = _previous_month(args.month)
    if args.month != DEMO_MONTH and not (_demo_settings().out_dir(previous) / "run.json").exists():
        raise UserFacingError(f"示例的 {previous} 还没有比对：请先运行 dibao demo --month {previous}")
    spawn_prefect_server()    # starts up while the sample township is generated
    key_file = use_demo_key()
    _demo_warehouse_encrypted()
    raw = DEMO_RAW / args.month
    _clear_generated(raw)
    shutil.rmtree(_demo_returned(args.month), ignore_errors=True)   # answers to the sheets replaced
    if args.month == DEMO_MONTH:
        from flows.generate import generate

        generate("township", DEMO_SEED, DEMO_MONTH, raw)
    else:
        from flows.generate.next_month import generate_next_month

        generate_next_month("township", DEMO_SEED, DEMO_MONTH, raw, until=args.month)
    print(f"示例数据库使用示例密钥 {_shown(key_file)}（仅用于示例，真实数据请用 dibao key init 创建自己的密钥；"
          f"configs/demo.toml 指定了此密钥，命令加上 --config configs/demo.toml 即使用它）")
    print(f"示例数据已生成：{_shown(raw)}")
    code = _reconcile(args.month, config=DEMO_CONFIG, inputs=None, out=args.out, db=None)
    if code == 0 and args.out is None:
        _print_demo_next_steps(args.month)
    return code


def _demo_settings():
    from flows.config import load_settings

    return load_settings(DEMO_CONFIG)


def _previous_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year - (number == 1):04d}-{(number - 2) % 12 + 1:02d}"


def _next_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def _demo_returned(month: str) -> Path:
    return DEMO_RAW / month / "returned"


def _print_demo_next_steps(month: str) -> None:
    config, dibao = f"--config {_shown(DEMO_CONFIG)}", _dibao()
    print("\n下一步（在示例乡镇上演练一个月的工作，命令可直接复制）：")
    steps = [
        (f"{dibao} demo --fill --month {month}", "演练：模拟各村填写并交回核实表"),
        (f"{dibao} returns {config} --month {month} {_shown(_demo_returned(month))}", "导入交回的核实表"),
        (f"{dibao} actions {config} --month {month}", "生成停发调整清单、告知书和督办清单"),
        (f"{dibao} demo --month {_next_month(month)}", "续做下一个月"),
        ("make review", "在 JupyterLab 中打开月度核查笔记本（或 dibao review）"),
    ]
    width = max(len(command) for command, _ in steps)
    for command, what in steps:
        print(f"  {command.ljust(width)}  # {what}")


def _demo_fill(month: str) -> int:
    """The training step: the month's village sheets filled in as villages return them."""
    import shutil

    from flows.generate.training import fill_returns

    villages = _demo_settings().out_dir(month) / "villages"
    if not villages.is_dir():
        raise UserFacingError(f"示例的 {month} 还没有比对：请先运行 dibao demo --month {month}")
    target = _demo_returned(month)
    shutil.rmtree(target, ignore_errors=True)
    filled = fill_returns(villages, target, seed=DEMO_SEED + int(month.replace("-", "")))
    answers = "，".join(f"{answer} {n} 条" for answer, n in filled.answers.items())
    print(f"演练：已模拟 {len(filled.files)} 个村（社区）填写并交回核实表，放在 {_shown(target)}")
    print(f"  核实结果：{answers}")
    if filled.pending:
        print(f"  只写了备注、没有选核实结果（待补核实结果）：核查编号 {'、'.join(filled.pending)}")
    if filled.not_returned:
        print(f"  未交回：{'、'.join(filled.not_returned)}（督办清单会列出）")
    config, dibao = f"--config {_shown(DEMO_CONFIG)}", _dibao()
    print("\n下一步：")
    print(f"  {dibao} returns {config} --month {month} {_shown(target)}")
    print(f"  {dibao} actions {config} --month {month}")
    if filled.confirmed_deaths:
        print(f"  {dibao} recover {config} --case {min(filled.confirmed_deaths)} --amount 100"
              "   # 登记追回的多发资金（导入核实表之后）")
    print(f"  {dibao} demo --month {_next_month(month)}")
    return 0


def _demo_warehouse_encrypted() -> None:
    """A demo warehouse left plaintext by an earlier version is encrypted with the demo key."""
    from flows.config import load_settings
    from flows.keys import warehouse_key
    from flows.migrate import is_encrypted, migrate_to_encrypted

    db = load_settings(DEMO_CONFIG).warehouse
    if db.exists() and not is_encrypted(db):
        migrate_to_encrypted(db, warehouse_key())


def _path_overrides(args, settings) -> dict[str, list[str]] | None:
    """Paths named on the command line, by source name; None when none were given.
    Raises UsageError for a --source that names no configured source."""
    inputs: dict[str, list[str]] = {}
    for kind, paths in (("roster", args.roster), ("deaths", args.deaths), ("population", args.population)):
        if paths:
            name = next(n for n, s in settings.sources.items() if s.kind == kind and not s.optional)
            inputs[name] = paths
    for item in args.source:
        name, sep, path = item.partition("=")
        if not sep or name not in settings.sources:
            known = "、".join(settings.sources)
            raise UsageError(f"--source 应写作 NAME=PATH，NAME 为配置中的数据源（{known}）：{item}")
        inputs.setdefault(name, []).append(path)
    _paths_exist([p for paths in inputs.values() for p in paths])
    if not inputs:
        return None
    # Files named on the command line replace the config's; an optional registry not
    # named is left out rather than read from the config's (possibly demo) folder.
    for name, source in settings.sources.items():
        if source.optional:
            inputs.setdefault(name, [])
    return inputs


def cmd_run(args) -> int:
    from flows.lifetime import spawn_prefect_server
    from flows.pipeline import plan_run

    # Prefect's server starts up (≈ 7 s) while the inputs are checked; a check that fails
    # exits at once, and the server dies with this process.
    spawn_prefect_server()
    settings = _settings(args)
    inputs = _path_overrides(args, settings)
    # Paths, files and the month are checked before Prefect starts: a file that cannot be
    # read at all is named at once, and nothing is touched.
    plan_run(settings, args.month, overrides=inputs, out_dir=args.out, db_path=args.db, probe=True)
    return _reconcile(args.month, config=args.config, inputs=inputs, out=args.out, db=args.db)


def cmd_check(args) -> int:
    from flows.check import check_month, stale_warnings

    settings = _settings(args)
    report = check_month(settings, args.month, _path_overrides(args, settings))
    problems = 0
    print(f"{args.month} 将读取的数据（配置文件 {settings.config_path}）：")
    for source in report:
        kind = "可选" if source.optional else "必需"
        print(f"\n【{source.label}】{source.name}（{kind}）  查找位置：{'、'.join(source.patterns)}")
        for file in source.files:
            if file.error:
                print(f"  ✗ {file.path.name}：{file.error}")
                continue
            for sheet in file.sheets:
                where = f"工作表「{sheet.sheet}」" if sheet.sheet else "CSV"
                print(f"  ✓ {file.path.name} {where}：表头在第{sheet.header_row}行，数据 {sheet.rows} 行")
                pairs = [(header, field) for field, header in sheet.mapped.items()]
                for line in console.table(["文件表头", "对应字段"], pairs):
                    print(f"      {line}")
                if sheet.absent:
                    print(f"      未找到的列（这些字段将为空）：{'、'.join(sheet.absent)}")
                for field, (first, last) in sheet.dates.items():
                    print(f"      {field} 范围：{first} 至 {last}")
        if source.problem:
            problems += 1
            print(f"  ！{source.problem}")
        elif not source.files:
            print("  （未找到文件，可选数据源将跳过）")
    warnings = stale_warnings(settings, args.month, report)
    if warnings:
        print()
    for warning in warnings:
        print(f"警告：{warning}")
    verdict = (f"发现 {problems} 个问题，请先处理" if problems
               else f"可以运行 dibao run，但请先看上面的 {len(warnings)} 条警告" if warnings else "可以运行 dibao run")
    print(f"\n检查完成：{verdict}（未写入任何文件）")
    return 1 if problems else 0


class RunCancelled(KeyboardInterrupt):
    """Ctrl-C or SIGTERM: unwinds the run like Ctrl-C (Prefect records it as crashed)."""


def check_warehouse_key(db: Path) -> None:
    """Stop before any work (and before Prefect starts) when the key is missing or wrong."""
    from flows import warehouse
    from flows.keys import warehouse_key

    warehouse_key()
    if db.exists():
        warehouse.connect(db, read_only=True).close()


def _reconcile(month: str, *, config, inputs, out, db) -> int:
    import signal

    from flows.config import load_settings
    from flows.keys import use_key_of

    # Before Prefect is even imported: a missing or wrong key fails in a second.
    settings = load_settings(config)
    use_key_of(settings)
    check_warehouse_key(Path(db) if db else settings.warehouse)
    from flows.errors import RunStepError
    from flows.faults import RunFault, explain
    from flows.lifetime import prefect_api, start_prefect_server
    from flows.reconcile import monthly_reconciliation
    from flows.rules import RULES
    from flows.sources.readers import SourceFileError
    from flows.warehouse import SqlError, WarehouseBusyError

    print("正在启动工作流（Prefect 嵌入式模式）……", file=sys.stderr, flush=True)
    received: list[int] = []

    def cancel(signum, frame):
        received.append(signum)
        raise RunCancelled

    previous = {sig: signal.signal(sig, cancel) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        warming = _warm_up()
        try:
            api = start_prefect_server()     # tied to this process: it ends when dibao ends, however
        except RuntimeError as exc:    # Prefect's "Timed out while attempting to connect ..."
            raise RunFault("Prefect 临时服务器没有按时启动（机器可能过忙），本次比对没有开始。请稍后重试，"
                           "或调大环境变量 PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS（秒）。") from exc
        finally:
            warming.join()
        with prefect_api(api):
            result = monthly_reconciliation(
                month=month, config=str(config) if config else None, inputs=inputs,
                out=str(out) if out else None, db=str(db) if db else None)
    except KeyboardInterrupt:
        how = "收到终止信号（SIGTERM）" if received and received[0] == signal.SIGTERM else "按下了 Ctrl-C"
        print(f"已取消：{how}，本次比对已停止，数据库和输出目录保持运行前的状态，没有任何改动。", file=sys.stderr)
        return 128 + (received[0] if received else signal.SIGINT)
    except (SourceFileError, WarehouseBusyError, SqlError, ConfigError, RunStepError, RunFault) as exc:
        return _run_failed(exc)
    except (OSError, MemoryError) as exc:
        fault = explain(exc)
        if fault is None:
            raise
        return _run_failed(fault)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print_summary(result, RULES)
    return 0


def _warm_up():
    """A thread that does, while this process waits for Prefect's server (≈ 2 s with one
    core idle), what the run would otherwise do on its own time: import the modules the
    flow imports only when it starts (Prefect's flow and task engines, FastAPI's encoders,
    openpyxl) and build
    the wide-character table every workbook measures its text with (≈ 0.3 s).  Nothing it
    does depends on the inputs; a failure here is left for the run to meet and report."""
    import threading

    def work():
        try:
            import fastapi.encoders  # noqa: F401   (Prefect serialises the flow's parameters with it)
            import openpyxl  # noqa: F401
            import prefect.flow_engine  # noqa: F401
            import prefect.task_engine  # noqa: F401

            from flows.reports.excel_style import display_width
            display_width("宽")
        except Exception:    # the run imports the same and says what is wrong
            pass

    thread = threading.Thread(target=work, name="dibao-warm-up", daemon=True)
    thread.start()
    return thread


def print_suspect_matching(matching: dict) -> None:
    if matching:
        print(f"疑似死亡：匹配概率阈值 {matching['threshold']:g}，预计偶然误报 "
              f"{matching['expected_chance_suspicions']:.1f} 人（每万名保障对象 "
              f"{matching['expected_chance_per_10000_recipients']:.2f} 人）")
        model = matching.get("model") or {}
        if model.get("note"):
            print(f"匹配模型：{model['note']}")
        if matching.get("shared_suspicions"):
            print(f"其中 {matching['shared_suspicions']} 人为同一死亡记录符合多名对象（如同村同名同生日），"
                  f"概率已分摊，预计其中 {matching['expected_chance_of_shared']:.1f} 人并非本人")


def _run_failed(exc: Exception) -> int:
    print(f"错误：{exc}", file=sys.stderr)
    print("本次比对未完成，数据库和输出目录保持运行前的状态。", file=sys.stderr)
    return 1


def _backups_place(args) -> tuple[Path, Path, int]:
    from flows.generations import default_folder

    settings = _settings(args)
    db = Path(args.db or settings.warehouse)
    return db, settings.backups_dir or default_folder(db), settings.backups_keep


def cmd_backups_list(args) -> int:
    from flows.generations import inspect, list_generations

    db, folder, keep = _backups_place(args)
    current = inspect(db) if db.exists() else None
    state = "不存在" if current is None else ("完好" if current.ok else current.problem)
    print(f"当前数据库：{db}（{state}）")
    found = list_generations(folder)
    if not found:
        print(f"备份目录 {folder} 中没有备份（每次成功运行后保留上一版数据库，最多 {keep} 个）。")
        return 0
    print(f"备份目录：{folder}（保留最近 {keep} 个）")
    rows = []
    for number, generation in enumerate(found, 1):
        finished = f"{generation.finished:%Y-%m-%d %H:%M:%S}" if generation.finished else "-"
        state = "完好" if generation.ok else f"损坏（{generation.problem}）"
        rows.append((number, state, generation.month or "-", finished, generation.runs,
                     f"{generation.size / 1e6:.1f} MB", generation.path.name))
    for line in console.table(["编号", "状态", "最近一次运行", "完成时间", "运行次数", "大小", "文件"], rows,
                              right=(0, 4, 5)):
        print(line)
    print("恢复：dibao backups restore N（当前数据库会先保留为备份）")
    return 0


def cmd_backups_restore(args) -> int:
    from flows.faults import RunFault
    from flows.generations import restore
    from flows.warehouse import WarehouseBusyError

    db, folder, keep = _backups_place(args)
    try:
        chosen = restore(db, folder, args.number, keep)
    except (RunFault, WarehouseBusyError) as exc:
        raise UserFacingError(str(exc)) from None
    print(f"已恢复：{db} 现为备份 {chosen.path.name}（最近一次运行 {chosen.month}，"
          f"完成于 {chosen.finished:%Y-%m-%d %H:%M:%S}）。此后各月份需要时请重新运行。")
    return 0


def print_summary(result: dict, rules) -> None:
    counts = result["counts"]
    print(f"\n{result['month']} 月度比对完成（运行编号 {result['run_id']}）")
    print(f"读入文件 {len(result['inputs'])} 个，无法识别的值/行 {result['rows_rejected']} 处（见 rejects.csv）")
    print("各规则异常数：")
    rows = [(code, rule.name_zh, counts.get(code, 0)) for code, rule in rules.items()]
    rows.append(("合计", "", sum(counts.values())))
    for line in console.table(["规则", "名称", "人数"], rows, right=(2,)):
        print(f"  {line}")
    print_suspect_matching(result.get("suspect_matching") or {})
    out = Path(result["out_dir"])
    print(f"\n已写入 {out}：")
    print_written(out_folder_papers(out), at_most=10)
    print(f"  异常清单：{out / 'exceptions.csv'}")
    for warning in result.get("warnings", []):
        print(f"警告：{warning}")


if __name__ == "__main__":
    sys.exit(main())
