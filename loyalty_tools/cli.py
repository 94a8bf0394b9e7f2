"""`loyalty`: the operator's command line (local server, API keys, table, infra)."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path

import typer

app = typer.Typer(help="Operate a loyalty engine stack.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for storefronts and admins.", no_args_is_help=True)
table_app = typer.Typer(help="The brand's DynamoDB table.", no_args_is_help=True)
infra_app = typer.Typer(help="Deployment templates.", no_args_is_help=True)
jobs_app = typer.Typer(
    help="The nightly jobs: run a date, read the run records.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")
app.add_typer(table_app, name="table")
app.add_typer(infra_app, name="infra")
demo_app = typer.Typer(help="The demo brand. 演示数据。", no_args_is_help=True)
app.add_typer(demo_app, name="demo")


_OPTIONS: dict[str, Path | None] = {"local": None}


@app.callback()
def _options(
    local: Path = typer.Option(
        None,
        "--local",
        help="the data folder of a running `make dev` (default .dev, found by itself unless "
        "LOYALTY_TABLE_NAME names a deployed stack) / 本地开发数据目录",
    ),
) -> None:
    _OPTIONS["local"] = local


def _build(**options: object):  # type: ignore[no-untyped-def]
    """What a command that reads or writes the stack works with: its composition root, after
    finding the stack (a deployed brand by the environment, or this checkout's `make dev`)."""
    from chalicelib.services.deps import build
    from loyalty_tools.local.target import connect

    typer.echo(f"loyalty: {connect(_OPTIONS['local'])}", err=True)
    return build(**options)  # type: ignore[arg-type]


class ScopeChoice(StrEnum):
    storefront = "storefront"
    admin = "admin"


class EngineChoice(StrEnum):
    dynamodb_local = "dynamodb-local"
    moto = "moto"


@app.command()
def dev(
    port: int = typer.Option(int(os.environ.get("PORT", "8000")), help="PORT= overrides too"),
    host: str = typer.Option("127.0.0.1"),
    data: Path = typer.Option(
        Path(".dev"), "--data", "--data-dir", help="where the engine keeps the table"
    ),
    engine: EngineChoice = typer.Option(
        None,
        help="DynamoDB Local (the default where Java is) or moto in process "
        "(LOYALTY_DEV_ENGINE= too)",
    ),
    reset: bool = typer.Option(False, help="start afresh: delete the data folder first"),
) -> None:
    """Serve the API on 127.0.0.1 against a local DynamoDB that keeps its data on disk."""
    from loyalty_tools.local.dev import serve

    serve(host, port, data, engine.value if engine else None, reset)


@keys_app.command("create")
def keys_create(
    scope: ScopeChoice = typer.Option(..., help="storefront or admin"),
    label: str = typer.Option(None, help="who the key is for"),
    pii_read: bool = typer.Option(
        False,
        "--pii-read",
        help="an admin key whose exports show names and birthdays / 导出可见姓名与生日",
    ),
) -> None:
    """Create an API key (shown once, stored hashed) in this checkout's `make dev`, or the
    deployed stack LOYALTY_TABLE_NAME names."""
    from chalicelib.domain.errors import DomainError
    from chalicelib.services import api_keys

    grants: tuple[api_keys.Grant, ...] = ("pii:read",) if pii_read else ()
    try:
        key, record = api_keys.create(_build(require_pii_key=False), scope.value, label, grants)
    except DomainError as exc:
        raise typer.BadParameter(str(exc), param_hint="--pii-read") from exc
    typer.echo(f"{scope.value} key: {key}" + (" (pii:read)" if grants else ""))
    typer.echo(f"key id: {record.key_id} (only its SHA-256 is stored; keep the key safe)")


@table_app.command("create")
def table_create() -> None:
    """Create the table named by LOYALTY_TABLE_NAME if it does not exist."""
    from chalicelib.store.models import create_table

    _build(require_pii_key=False)  # points the models at the table
    create_table()
    typer.echo("table ready")


@infra_app.command("render")
def infra_render(out: Path = typer.Option(Path("infra/table.json"))) -> None:
    """Write the CloudFormation for the table, derived from the PynamoDB models."""
    from chalicelib.store.infra import table_template

    out.write_text(json.dumps(table_template(), indent=2) + "\n")
    typer.echo(f"wrote {out}")


def _project(project: Path | None) -> Path:
    """The project holding `.chalice/config.json` and `brands/`: the one named, else the
    current folder when it is one, else the checkout this CLI runs from."""
    if project is not None:
        return project.resolve()
    here = Path.cwd()
    if (here / ".chalice" / "config.json").exists():
        return here
    return Path(__file__).resolve().parents[1]


PROJECT = typer.Option(None, "--project-dir", help="the checkout (default: here)")


def _brand(project: Path, name: str):  # type: ignore[no-untyped-def]
    from loyalty_tools.stack import brands

    try:
        return brands.load(project, name)
    except FileNotFoundError as exc:
        raise typer.BadParameter(str(exc), param_hint="--brand") from None


def package_brand(brand: str, out: Path, project: Path, lint: bool) -> None:
    """`chalice package` of the brand's stage with the merge template, the zip slimmed, and
    the result linted with cfn-lint (any finding fails)."""
    import subprocess
    import sys

    from loyalty_tools.packaging import slim
    from loyalty_tools.stack.template import merge_template

    settings = _brand(project, brand)
    stage = json.loads((project / ".chalice" / "config.json").read_text())["stages"].get(brand)
    if stage is None or bool(stage.get("xray")) != settings.tracing:
        raise typer.BadParameter(
            f"brands/{brand}/brand.json and the stage {brand!r} of .chalice/config.json disagree "
            f"(tracing {settings.tracing}, xray {None if stage is None else stage.get('xray')}): "
            "set both, or neither",
            param_hint="--brand",
        )
    out.mkdir(parents=True, exist_ok=True)
    merge = out / "merge.json"
    merge.write_text(json.dumps(merge_template(settings), indent=2))
    package_dir = out / "package"
    env = {**os.environ, "AWS_DEFAULT_REGION": settings.region}
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            str(bin_dir / "chalice"),
            "--project-dir",
            str(project),
            "package",
            "--stage",
            brand,
            "--pkg-format",
            "cloudformation",
            "--merge-template",
            str(merge.resolve()),
            str(package_dir.resolve()),
        ],
        check=True,
        env=env,
    )
    slimmed = slim(package_dir / "deployment.zip")
    typer.echo(f"packaged {brand} into {package_dir}")
    typer.echo(
        f"deployment.zip: {slimmed.size / 1e6:.1f} MB zipped, {slimmed.unzipped / 1e6:.1f} MB "
        f"unzipped, {slimmed.compiled} modules compiled; left to the Lambda runtime: "
        f"{', '.join(slimmed.removed) or 'nothing'}; never imported, left out: "
        f"{', '.join(slimmed.unused) or 'nothing'}"
    )
    typer.echo(
        "biggest parts (zipped): "
        + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in slimmed.biggest)
    )
    if lint:
        subprocess.run([str(bin_dir / "cfn-lint"), str(package_dir / "sam.json")], check=True)
        typer.echo("cfn-lint: no findings")


@app.command()
def package(
    brand: str = typer.Option("demo", "--brand", "--stage", help="a brand of `loyalty brand list`"),
    out: Path = typer.Option(None, help="default: dist/<brand>"),
    lint: bool = typer.Option(True, help="run cfn-lint on the result"),
    project: Path = PROJECT,
) -> None:
    """Package the brand's whole stack for CloudFormation (offline) and lint the template.
    打包品牌的完整堆栈并离线校验模板。"""
    root = _project(project)
    package_brand(brand, out or root / "dist" / brand, root, lint)


brand_app = typer.Typer(
    help="Brands, one stack each. 品牌（每个品牌一个堆栈）。", no_args_is_help=True
)
app.add_typer(brand_app, name="brand")


@brand_app.command("add")
def brand_add(
    name: str = typer.Argument(..., help="lower case, digits, hyphens: it names the stack"),
    currency: str = typer.Option(..., help="ISO 4217, e.g. CNY"),
    timezone: str = typer.Option(..., help="IANA zone, e.g. Asia/Shanghai"),
    region: str = typer.Option("us-east-1", help="where the stack is deployed"),
    log_retention_days: int = typer.Option(30, help="how long CloudWatch keeps the logs"),
    tracing: bool = typer.Option(False, help="X-Ray tracing for this brand's stage"),
    alarm_email: str = typer.Option(None, help="who the alarms email"),
    project: Path = PROJECT,
) -> None:
    """Add a brand: its stage in .chalice/config.json and brands/<name>/ with its settings and
    starting program (the demo's, in its currency and time zone). 新增品牌。"""
    from pydantic import ValidationError

    from loyalty_tools.demo import DEMO_PROGRAM, DEMO_TEMPLATES
    from loyalty_tools.stack import brands

    try:
        settings = brands.BrandSettings(
            name=name,
            currency=currency,
            timezone=timezone,
            region=region,
            log_retention_days=log_retention_days,
            tracing=tracing,
            alarm_email=alarm_email,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise typer.BadParameter(message, param_hint=field) from None
    program = DEMO_PROGRAM.model_copy(
        update={"currency": settings.currency, "time_zone": settings.timezone}
    )
    templates = json.dumps(
        [t.model_dump(mode="json") for t in DEMO_TEMPLATES], indent=2, ensure_ascii=False
    )
    try:
        folder = brands.add(
            _project(project), settings, program.model_dump_json(indent=2) + "\n", templates + "\n"
        )
    except brands.BrandExists as exc:
        typer.echo(f"{exc} (品牌已存在)", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"added {name}: stage in .chalice/config.json, settings and program in {folder}")
    typer.echo(f"next: make package BRAND={name}, then make deploy BRAND={name} BUCKET=…")


@brand_app.command("list")
def brand_list(project: Path = PROJECT) -> None:
    """The brands and their settings. 品牌列表。"""
    from loyalty_tools.stack import brands

    root = _project(project)
    for name in brands.names(root):
        b = brands.load(root, name)
        typer.echo(
            f"{b.name}: {b.currency}, {b.timezone}, {b.region}, table {b.table_name}, "
            f"logs {b.log_retention_days} days, tracing {'on' if b.tracing else 'off'}"
        )


program_app = typer.Typer(help="The brand's program document. 会员方案。", no_args_is_help=True)
app.add_typer(program_app, name="program")


@program_app.command("load")
def program_load(
    brand: str = typer.Option(..., "--brand"),
    project: Path = PROJECT,
) -> None:
    """Store brands/<brand>/program.json and its coupon templates in the stack named by
    LOYALTY_TABLE_NAME, if it has no program yet (what is there stays as it is). 载入初始方案。"""
    from chalicelib.domain.coupons import CouponTemplate
    from chalicelib.domain.program import Program
    from loyalty_tools.demo import seed

    folder = _project(project) / "brands" / brand
    if not (folder / "program.json").exists():
        raise typer.BadParameter(f"no {folder / 'program.json'}", param_hint="--brand")
    document = Program.model_validate_json((folder / "program.json").read_text())
    templates = [
        CouponTemplate.model_validate(t)
        for t in json.loads((folder / "coupon-templates.json").read_text())
    ]
    stored = seed(_build(require_pii_key=False), document, templates)
    typer.echo(f"program version {stored.version}: {stored.currency}, {stored.time_zone}")


@app.command()
def deploy(
    brand: str = typer.Option(..., "--brand"),
    bucket: str = typer.Option(..., help="an S3 bucket of yours, in the brand's region"),
    project: Path = PROJECT,
) -> None:
    """Package, then create or update the brand's stack in AWS (needs credentials), store the
    starting program, and print the outputs. 部署品牌堆栈到 AWS。"""
    import boto3

    from loyalty_tools.stack.deploy import ship

    root = _project(project)
    settings = _brand(root, brand)
    out = root / "dist" / brand
    package_brand(brand, out, root, lint=True)
    session = boto3.session.Session(region_name=settings.region)
    stack = settings.stack_name
    outputs = ship(session.client, bucket, brand, stack, out / "package", typer.echo)
    os.environ.update(LOYALTY_TABLE_NAME=outputs["TableName"], AWS_DEFAULT_REGION=settings.region)
    program_load(brand, root)
    for key, value in outputs.items():
        typer.echo(f"{key}: {value}")
    typer.echo(f"first admin key: {outputs.get('FirstAdminKeyCommand')}")


@app.command("deploy-rehearsal")
def deploy_rehearsal(
    brand: str = typer.Option("demo", "--brand"),
    project: Path = PROJECT,
) -> None:
    """Package the brand and deploy it as `loyalty deploy` does, against moto's server on this
    machine (no AWS account): every resource created, every output there, the API's routes
    imported, the program loaded, then the stack deleted. 部署演练（无需 AWS 账号）。"""
    from loyalty_tools.stack.rehearsal import NOT_IN_MOTO, NOT_MADE_BY_MOTO, rehearse

    root = _project(project)
    settings = _brand(root, brand)
    package_brand(brand, root / "dist" / brand, root, lint=True)
    done = rehearse(root, brand, settings.region, settings.stack_name, typer.echo)
    created = sum(done.created.values())
    typer.echo(f"created by CloudFormation (moto), all CREATE_COMPLETE: {created} resources")
    for kind, count in done.created.items():
        typer.echo(f"  {count:>3}  {kind}")
    typer.echo("checked by other means (moto's CloudFormation cannot create them):")
    for kind, count in done.checked_otherwise.items():
        why = {**NOT_IN_MOTO, **NOT_MADE_BY_MOTO}[kind]
        typer.echo(f"  {count:>3}  {kind}: {why}")
    typer.echo(f"the API: {done.routes} methods imported from the RestApi's Body and checked")
    typer.echo(f"outputs: {', '.join(done.outputs)}")
    typer.echo("stack deleted: 演练完成 (rehearsal passed)")


JobChoice = StrEnum(  # type: ignore[misc]
    "JobChoice",
    {
        n: n
        for n in (
            "expiry",
            "vesting",
            "reminders",
            "dormancy",
            "birthdays",
            "tier-review",
            "rfm",
            "figures",
            "reconcile",
            "all",
        )
    },
)  # the names `jobs.nightly.NAMES` answers to (a test keeps them the same; not imported here,
# so that `loyalty --help` does not load the whole engine)


@jobs_app.command("run")
def jobs_run(
    job: JobChoice = typer.Argument(..., help="the job; all: every job, in order"),
    on: str = typer.Option(..., "--date", help="the brand-local business date, YYYY-MM-DD"),
    until: str = typer.Option(None, help="run every date from --date through this one"),
    dry_run: bool = typer.Option(False, help="count what would happen; write nothing"),
) -> None:
    """Run jobs for dates in this checkout's running `make dev` (found by itself), or the
    deployed stack LOYALTY_TABLE_NAME names; finished partitions are not redone.
    每晚任务：按日期运行（过期、提醒、沉睡、生日、等级复核）。"""
    from datetime import date, timedelta

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from chalicelib.jobs import nightly
    from chalicelib.jobs.runner import last_day

    try:
        first = date.fromisoformat(on)
        last = date.fromisoformat(until) if until else first
    except ValueError as exc:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {exc}") from exc
    if last < first:
        raise typer.BadParameter("--until is before --date")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    deps = _build(require_pii_key=False)  # the nightly jobs fingerprint no one
    program = deps.programs.current()
    if program is None:
        typer.echo("no program yet: PUT /v1/admin/program first (还没有会员方案)", err=True)
        raise typer.Exit(1)
    jobs = nightly.jobs_named(job.value)
    now = deps.clock()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[members]} members"),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as progress:
        tasks = {
            j.name: progress.add_task(f"{j.name} {first}…{last}", total=None, members=0)
            for j in jobs
        }

        def on_page(j: object, day: date, done: int, of: int) -> None:
            task = tasks[j.name]  # type: ignore[attr-defined]
            runnable = [d for d in days if d <= last_day(j, program, now)]  # type: ignore[arg-type]
            index = runnable.index(day) if day in runnable else 0
            progress.update(task, total=len(runnable) * of, completed=index * of + done)

        results = nightly.run_jobs(deps, jobs, now=now, days=days, dry_run=dry_run, on_page=on_page)
        for j in jobs:
            members = sum(r.counts.get("members", 0) for r, _ in results if r.job == j.name)
            progress.update(tasks[j.name], members=members)
    for record, _ in results:
        typer.echo(
            f"{record.job} {record.business_date} {record.status}"
            f"{' (dry run)' if record.dry_run else ''}: {record.pages} pages, "
            f"{json.dumps(record.counts)}"
        )
    for j in jobs:
        ran = [r.business_date for r, _ in results if r.job == j.name]
        skipped = [d for d in days if d not in ran]
        if skipped:
            why = "not begun yet" if j.when == "on" else "not over yet"
            typer.echo(f"{j.name}: {skipped[0]}… not run: {why} (还未到运行日期)")
    if not results:
        typer.echo("nothing run")


@jobs_app.command("list")
def jobs_list(
    job: JobChoice = typer.Option(None, help="only this job"),
    limit: int = typer.Option(20, min=1, max=100),
) -> None:
    """The run records, newest first. 运行记录（最新在前）。"""
    from chalicelib.contract.runs import RunQuery
    from chalicelib.jobs.runs import run_page

    wanted = job.value if job and job.value != "all" else None
    page = run_page(_build(require_pii_key=False), RunQuery(job=wanted, limit=limit))
    for run in page.runs:
        typer.echo(
            f"{run.started_at:%Y-%m-%d %H:%M} {run.run_id} {run.job} {run.business_date} "
            f"{run.status}{' (dry run)' if run.dry_run else ''}: {run.pages} pages, "
            f"{json.dumps(run.counts)}" + (f", {len(run.errors)} errors" if run.errors else "")
        )
    if not page.runs:
        typer.echo("no runs yet (还没有运行记录)")


@app.command()
def reconcile(
    member: str = typer.Option(None, "--member", help="check this member only"),
    batch: int = typer.Option(500, min=1, max=2000, help="members per page"),
) -> None:
    """Check the books of the stack named by LOYALTY_TABLE_NAME: every member (or one), then the
    running totals against the sum over members. Exits 1 on any mismatch.
    对账：逐个会员核对积分与储值账目。"""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from chalicelib.contract.figures import BookFigures, mismatch_out
    from chalicelib.domain.books import FIELDS, Totals, add_figures, totals_mismatches
    from chalicelib.services import reconciliation

    deps = _build(require_pii_key=False)
    summed: dict[str, int] = {}
    if member:
        result = reconciliation.member(deps, member)
        found, checked, summed = result.mismatches, 1, result.figures
    else:
        found, checked, cursor = [], 0, None
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns) as progress:
            task = progress.add_task("members checked: 0", total=None)
            while True:
                page = reconciliation.brand_page(deps, batch, cursor)
                found += page.mismatches
                checked += page.members_checked
                add_figures(summed, page.figures)
                progress.update(task, description=f"members checked: {checked}")
                cursor = page.next_cursor
                if cursor is None:
                    break
        if page.totals is None:  # checked in several pages: the totals against the whole sum
            whole = Totals(**{name: summed.get(name, 0) for name in FIELDS})
            found += totals_mismatches(whole, deps.totals.read())
    figures = BookFigures(**summed)
    mismatches = [mismatch_out(m) for m in found]
    typer.echo(
        f"{checked} members: points {figures.points_balance} (+{figures.points_pending} "
        f"pending, -{figures.points_debt} debt), ledger {figures.ledger_points}; stored value "
        f"{figures.wallet_principal} principal + {figures.wallet_bonus} bonus"
    )
    for m in mismatches:
        who = m.member_id or "brand totals"
        typer.echo(f"MISMATCH {who} {m.check}: expected {m.expected}, found {m.actual} {m.detail}")
    if mismatches:
        typer.echo(f"{len(mismatches)} mismatches (账目不一致)", err=True)
        raise typer.Exit(1)
    typer.echo("ok: the books reconcile (账目一致)")


@demo_app.command("seed")
def demo_seed(
    members: int = typer.Option(2000, min=1, max=200_000, help="members to enrol"),
    days: int = typer.Option(180, min=1, max=1_000, help="days of history, ending today"),
    seed: int = typer.Option(2026, help="the same seed writes the same history"),
) -> None:
    """Write a plausible history into this checkout's running `make dev` (or the stack
    LOYALTY_TABLE_NAME names): members enrolling and buying
    over `days`, through the same use cases a storefront calls. Safe to run again.
    写入演示历史：会员入会、消费、退款、积分抵扣。"""
    from datetime import UTC, datetime

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from loyalty_tools.demo import seed as seed_brand
    from loyalty_tools.demo_history import seed_history

    moment = [datetime.now(UTC)]
    deps = _build(clock=lambda: moment[0])
    seed_brand(deps)
    columns = (
        TextColumn("days"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as bar:
        task = bar.add_task("history", total=days)
        done = seed_history(
            deps,
            lambda at: moment.__setitem__(0, at),
            members,
            days,
            seed=seed,
            progress=lambda d: bar.update(task, completed=d),
        )
    typer.echo(
        f"{done.enrolled} members, {done.purchases} purchases, {done.refunds} refunds, "
        f"{done.redemptions} redemptions over {days} days (演示数据已写入)"
    )


class ExportKind(StrEnum):
    members = "members"
    ledger = "ledger"
    coupons = "coupons"


@app.command("export")
def export_csv(
    kind: ExportKind = typer.Argument(..., help="members, ledger or coupons"),
    out: Path = typer.Option(..., "--out", help="the CSV file to write"),
    segment: str = typer.Option(None, help="members: only this segment's / 只导出该人群"),
    pii: bool = typer.Option(False, "--pii", help="names and birthdays unmasked / 显示姓名与生日"),
) -> None:
    """CSV of the stack named by LOYALTY_TABLE_NAME, as `GET /v1/admin/exports/{kind}` pages it.
    导出会员、积分流水或优惠券（CSV，Excel 可直接打开）。"""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from chalicelib.domain.errors import DomainError
    from chalicelib.services import exports

    deps = _build(require_pii_key=False)
    rows, cursor = 0, None
    with (
        out.open("w", encoding="utf-8", newline="") as handle,
        Progress(SpinnerColumn(), TextColumn("{task.description}")) as bar,
    ):
        task = bar.add_task(f"{kind.value}: 0 rows")
        while True:
            try:
                page = exports.page(deps, kind.value, cursor=cursor, segment_id=segment, pii=pii)
            except DomainError as exc:
                hint = f"--{exc.param or 'segment'}"
                raise typer.BadParameter(str(exc), param_hint=hint) from exc
            handle.write(page.csv)
            rows += page.rows
            bar.update(task, description=f"{kind.value}: {rows} rows")
            cursor = page.next_cursor
            if cursor is None:
                break
    typer.echo(f"{rows} rows written to {out} (已导出 {rows} 行)")


import_app = typer.Typer(help="Data from another system. 导入数据。", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("members")
def import_members_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the CSV to import"),
    report: Path = typer.Option(None, help="where the row-by-row report goes (FILE.report.csv)"),
) -> None:
    """Members from a CSV (phone, email, external_id, name, birthday, tags, points,
    points_expire_on, tier) into the stack named by LOYALTY_TABLE_NAME. Each row is checked on
    its own and the refused ones reported with why; the same file again changes nothing.
    导入会员：逐行校验，拒绝的行附原因；重复导入不会重复入账。"""
    from rich.progress import BarColumn, Progress, TextColumn

    from loyalty_tools.imports import import_members, rows_of, write_report

    try:
        total = sum(1 for _ in rows_of(file))
    except (ValueError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(str(exc), param_hint="FILE") from exc
    deps = _build()
    columns = (TextColumn("rows"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    with Progress(*columns) as bar:
        task = bar.add_task("import", total=total)
        done = import_members(deps, file, progress=lambda n: bar.update(task, completed=n))
    where = report or file.with_suffix(".report.csv")
    write_report(done, where)
    typer.echo(
        f"{done.rows} rows: {done.enrolled} enrolled, {done.existing} already members, "
        f"{done.opened} opening balances written, {done.already_opened} already written, "
        f"{done.refused} refused (report: {where})\n"
        f"共 {done.rows} 行：新会员 {done.enrolled}，已有会员 {done.existing}，"
        f"写入期初余额 {done.opened}，拒绝 {done.refused}"
    )
    if done.refused:
        raise typer.Exit(code=1)


segments_app = typer.Typer(help="The merchant's segments. 人群。", no_args_is_help=True)
app.add_typer(segments_app, name="segments")


@segments_app.command("issue")
def segments_issue(
    segment: str = typer.Argument(..., help="the segment id"),
    template: str = typer.Option(..., help="the coupon template to issue"),
    campaign: str = typer.Option(..., help="names the run: the same id again goes on with it"),
) -> None:
    """Issue a coupon template to a segment's members, each once, to the end (定向发券): the
    same run as `POST /v1/admin/segments/{id}/issues`; cut short, run it again."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from chalicelib.contract.common import as_json
    from chalicelib.contract.segments import CampaignOut, CampaignRequest, campaign_out
    from chalicelib.domain.errors import DomainError
    from chalicelib.services import segment_issue

    deps = _build(require_pii_key=False)
    request = CampaignRequest(campaign_id=campaign, template_id=template, max_pages=1)
    with Progress(SpinnerColumn(), TextColumn("{task.description}")) as bar:
        task = bar.add_task("…")
        while True:
            try:
                out = CampaignOut.model_validate_json(
                    segment_issue.issue(deps, segment, request, as_json(campaign_out)).body
                )
            except DomainError as exc:
                raise typer.BadParameter(str(exc), param_hint=exc.param) from exc
            bar.update(
                task, description=f"{out.members_read} members read, {out.issued} coupons issued"
            )
            if out.status != "running":
                break
    typer.echo(
        f"{campaign}: {out.status}; {out.matched} members in {segment}, {out.issued} issued, "
        f"{out.already_issued} had it already, {out.limit_reached} at the template's limit "
        f"(已发券 {out.issued})"
    )


def main() -> None:
    from chalicelib.domain.errors import DomainError, Unavailable

    try:
        app()
    except Unavailable as exc:  # one line and why, not a traceback
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        typer.echo(f"loyalty: the table did not answer{cause}", err=True)
        raise SystemExit(2) from None
    except DomainError as exc:
        typer.echo(f"loyalty: {exc.message}", err=True)
        raise SystemExit(2) from None
