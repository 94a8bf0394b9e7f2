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
    from .local.dev import serve

    serve(host, port, data, engine.value if engine else None, reset)


@keys_app.command("create")
def keys_create(
    scope: ScopeChoice = typer.Option(..., help="storefront or admin"),
    label: str = typer.Option(None, help="who the key is for"),
) -> None:
    """Create an API key in the stack named by LOYALTY_TABLE_NAME (shown once, stored hashed)."""
    from .services import api_keys
    from .services.deps import build

    key, record = api_keys.create(build(require_pii_key=False), scope.value, label)
    typer.echo(f"{scope.value} key: {key}")
    typer.echo(f"key id: {record.key_id} (only its SHA-256 is stored; keep the key safe)")


@table_app.command("create")
def table_create() -> None:
    """Create the table named by LOYALTY_TABLE_NAME if it does not exist."""
    from .services.deps import build
    from .store.models import create_table

    build(require_pii_key=False)  # points the models at the table
    create_table()
    typer.echo("table ready")


@infra_app.command("render")
def infra_render(out: Path = typer.Option(Path("infra/table.json"))) -> None:
    """Write the CloudFormation for the table, derived from the PynamoDB models."""
    from .store.infra import table_template

    out.write_text(json.dumps(table_template(), indent=2) + "\n")
    typer.echo(f"wrote {out}")


@app.command()
def package(
    stage: str = typer.Option("demo", help="the brand's stage in .chalice/config.json"),
    out: Path = typer.Option(Path("build/package")),
    lint: bool = typer.Option(True, help="run cfn-lint on the result"),
) -> None:
    """Package the brand's stack for CloudFormation (offline) and lint the template."""
    import subprocess
    import sys

    from .store.infra import merge_template

    root = Path(__file__).resolve().parents[1]
    config = json.loads((root / ".chalice" / "config.json").read_text())
    stage_env = config["stages"][stage].get("environment_variables", {})
    merge = out.parent / f"merge-{stage}.json"
    merge.parent.mkdir(parents=True, exist_ok=True)
    template = merge_template(
        stage_env["LOYALTY_TABLE_NAME"], stage_env.get("LOYALTY_BRAND", stage)
    )
    merge.write_text(json.dumps(template, indent=2))
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            str(bin_dir / "chalice"),
            "--project-dir",
            str(root),
            "package",
            "--stage",
            stage,
            "--pkg-format",
            "cloudformation",
            "--merge-template",
            str(merge.resolve()),
            str(out.resolve()),
        ],
        check=True,
        env=env,
    )
    from .packaging import slim

    slimmed = slim(out / "deployment.zip")
    typer.echo(f"packaged {stage} into {out}")
    typer.echo(
        f"deployment.zip: {slimmed.size / 1e6:.1f} MB zipped, {slimmed.unzipped / 1e6:.1f} MB "
        f"unzipped, {slimmed.compiled} modules compiled; left to the Lambda runtime: "
        f"{', '.join(slimmed.removed) or 'nothing'}"
    )
    typer.echo(
        "biggest parts (zipped): "
        + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in slimmed.biggest)
    )
    if lint:
        subprocess.run([str(bin_dir / "cfn-lint"), str(out / "sam.json")], check=True)
        typer.echo("cfn-lint: no findings")


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
            "reconcile",
            "all",
        )
    },
)


@jobs_app.command("run")
def jobs_run(
    job: JobChoice = typer.Argument(..., help="the job; all: every job, in order"),
    on: str = typer.Option(..., "--date", help="the brand-local business date, YYYY-MM-DD"),
    until: str = typer.Option(None, help="run every date from --date through this one"),
    dry_run: bool = typer.Option(False, help="count what would happen; write nothing"),
) -> None:
    """Run jobs for dates in the stack named by LOYALTY_TABLE_NAME (for `make dev`'s data, set
    AWS_ENDPOINT_URL_DYNAMODB to the engine it printed); finished partitions are not redone.
    每晚任务：按日期运行（过期、提醒、沉睡、生日、等级复核）。"""
    from datetime import date, timedelta

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from .jobs import nightly
    from .jobs.runner import last_day
    from .services.deps import build

    try:
        first = date.fromisoformat(on)
        last = date.fromisoformat(until) if until else first
    except ValueError as exc:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {exc}") from exc
    if last < first:
        raise typer.BadParameter("--until is before --date")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    deps = build(require_pii_key=False)  # the nightly jobs fingerprint no one
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
    from .contract import RunQuery
    from .jobs.runs import run_page
    from .services.deps import build

    wanted = job.value if job and job.value != "all" else None
    page = run_page(build(require_pii_key=False), RunQuery(job=wanted, limit=limit))
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

    from .contract import BookFigures
    from .services import reconciliation
    from .services.deps import build

    deps = build(require_pii_key=False)
    if member:
        result = reconciliation.member(deps, member)
        mismatches, checked, figures = result.mismatches, 1, result.figures
    else:
        mismatches, checked, cursor = [], 0, None
        figures = BookFigures()
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns) as progress:
            task = progress.add_task("members checked: 0", total=None)
            while True:
                page = reconciliation.brand_page(deps, batch, cursor)
                mismatches += page.mismatches
                checked += page.members_checked
                for name, value in page.figures:
                    setattr(figures, name, getattr(figures, name) + value)
                progress.update(task, description=f"members checked: {checked}")
                cursor = page.next_cursor
                if cursor is None:
                    break
        if page.totals is None:  # checked in several pages: the totals against the whole sum
            mismatches += [
                reconciliation.to_out(m)
                for m in reconciliation.totals_mismatches(figures, deps.totals.read())
            ]
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


def main() -> None:
    app()
