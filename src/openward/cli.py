"""The `openward` command: serve, database, users, demo data and the audit check.

Each command imports what it needs inside its function (the documented exception to
module-level imports, docs/architecture.md): `openward --help` and `openward db upgrade`
start without loading every domain, the app and the ICD-10 table."""

from __future__ import annotations

import asyncio
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from openward.config import ConfigError, Settings, get_settings

app = typer.Typer(help="OpenWard hospital management system.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
catalogue_app = typer.Typer(help="Starter catalogues: medicines, lab tests, imaging exams.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(catalogue_app, name="catalogue")
console = Console()


def _settings() -> Settings:
    try:
        settings = get_settings()
        settings.resolved_secret_key()
        settings.resolved_audit_key()
    except ConfigError as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc
    return settings


async def _run_in_session(settings: Settings, work):
    from openward.db import create_engine, session_factory, session_scope  # lazy: start-up time

    engine = create_engine(settings)
    try:
        async with session_scope(session_factory(engine)) as db:
            return await work(db)
    finally:
        await engine.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Web processes (PostgreSQL for more than 1).")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the web UI and the API."""
    import uvicorn

    settings = _settings()
    if workers > 1 and settings.is_sqlite:
        console.print(
            "[yellow]SQLite is single-writer: serving with 1 worker. Use PostgreSQL "
            "for several web processes.[/yellow]"
        )
        workers = 1
    console.print(f"\nOpenWard is starting on [bold]http://{host}:{port}[/bold]")
    console.print("Sign in with a demo login above (or `openward demo-logins`); Ctrl+C stops.\n")
    uvicorn.run(
        "openward.asgi:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        log_level=settings.log_level.lower(),
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Bring the database schema up to date (safe to run again)."""
    from openward.migrate import upgrade  # lazy: start-up time

    settings = _settings()
    upgrade(settings.database_url, revision)
    console.print(f"Database schema is at [bold]{revision}[/bold].")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision the database is at and the newest one."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from openward.migrate import head_revision  # lazy: start-up time

    async def work(db):
        try:
            return await db.scalar(text("SELECT version_num FROM alembic_version"))
        except SQLAlchemyError:  # no alembic_version table yet
            return None

    current = asyncio.run(_run_in_session(_settings(), work))
    console.print(f"current: {current or 'empty database'}   head: {head_revision()}")


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="Login name.")],
    password: Annotated[str | None, typer.Option(help="Omit to generate a strong one.")] = None,
    full_name: Annotated[str, typer.Option(help="Name shown in the UI.")] = "Administrator",
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
) -> None:
    """Create an administrator account."""
    from pydantic import ValidationError

    from openward.core.actors import Actor  # lazy: start-up time
    from openward.core.errors import DomainError  # lazy: start-up time
    from openward.identity import schemas  # lazy: start-up time
    from openward.identity import service as identity_service  # lazy: start-up time

    generated = not password  # an empty --password (an unset variable) also generates one
    password = password or secrets.token_urlsafe(15)
    settings = _settings()

    async def work(db):
        data = schemas.UserCreate(
            username=username, password=password, full_name=full_name, email=email, role="admin"
        )
        return await identity_service.create_user(db, Actor.system("cli"), data)

    try:
        user = asyncio.run(_run_in_session(settings, work))
    except DomainError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc
    except ValidationError as exc:  # a malformed username or e-mail: say which, no traceback
        for error in exc.errors():
            console.print(f"[red]--{error['loc'][0]}: {error['msg']}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Created administrator [bold]{user.username}[/bold] (id {user.id}).")
    if generated:
        console.print(f"Password (shown once, store it safely): [bold]{password}[/bold]")


@catalogue_app.command("seed")
def catalogue_seed() -> None:
    """Add the starter medicines, lab tests and imaging exams that are not there yet."""
    from openward.catalogues import seed_catalogues  # lazy: start-up time

    settings = _settings()
    added = asyncio.run(_run_in_session(settings, seed_catalogues))
    for name, count in added.items():
        console.print(f"{name}: {count} added")


@app.command()
def demo(
    credentials_file: Annotated[
        Path | None, typer.Option(help="Where to keep the demo logins (default: beside the DB).")
    ] = None,
) -> None:
    """Load demo users for every role (and their records); prints the logins."""
    from openward.core.private_files import write_private_text  # lazy: start-up time
    from openward.demo import demo_steps, load_demo  # lazy: start-up time

    settings = _settings()
    target = credentials_file or demo_credentials_path(settings)
    with Progress(console=console) as progress:
        task = progress.add_task("Loading demo data", total=demo_steps())

        def advance(_name: str) -> None:
            progress.advance(task)

        logins = asyncio.run(load_demo(settings, advance))
    if logins:
        known = _read_logins(target)
        known.update({username: (role, password) for role, username, password in logins})
        lines = [f"{role}\t{username}\t{password}" for username, (role, password) in known.items()]
        write_private_text(  # 0600 even when an older install left it world-readable
            target, "# OpenWard demo logins (role, username, password)\n" + "\n".join(lines) + "\n"
        )
    print_demo_logins(target)


def _read_logins(path: Path) -> dict[str, tuple[str, str]]:
    if not path.exists():
        return {}
    rows = [
        line.split("\t")
        for line in path.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    return {row[1]: (row[0], row[2]) for row in rows if len(row) == 3}


def demo_credentials_path(settings: Settings) -> Path:
    db_file = settings.sqlite_path or Path("openward")
    return db_file.with_name(db_file.name + ".demo-logins")


def print_demo_logins(path: Path) -> None:
    if not path.exists():
        console.print("No demo logins recorded (the demo data was loaded elsewhere).")
        return
    table = Table(title="Demo logins")
    for column in ("role", "username", "password"):
        table.add_column(column)
    for username, (role, password) in _read_logins(path).items():
        table.add_row(role, username, password)
    console.print(table)


@app.command("demo-logins")
def demo_logins() -> None:
    """Print the demo logins again."""
    print_demo_logins(demo_credentials_path(_settings()))


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's keyed chain against its signed checkpoints, then write a new
    checkpoint; exit 1 naming the first problem."""
    from rich.markup import escape

    from openward.core import audit_checkpoints  # lazy: start-up time

    settings = _settings()
    path = settings.audit_checkpoint_file
    try:
        check, checkpoint = asyncio.run(
            _run_in_session(settings, lambda db: audit_checkpoints.verify_and_checkpoint(db, path))
        )
    except OSError as exc:
        console.print(f"[red]Audit checkpoint not written:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    if not check.ok:
        where = f" at event id {check.broken_id}" if check.broken_id is not None else ""
        before = f" ({check.checked} events before it verified)" if where else ""
        console.print(
            f"[red]Audit trail broken{where}:[/red] {escape(check.problem or '')}{before}."
        )
        raise typer.Exit(1)
    held = (
        f"held against {check.checkpoints} signed checkpoints"
        if check.checkpoints
        else "no earlier checkpoints to hold it against"
    )
    console.print(f"[green]Audit trail intact:[/green] {check.checked} events verified, {held}.")
    if check.legacy:
        console.print(
            f"{check.legacy} of them were written before the chain was keyed and carry the "
            "older unkeyed hash."
        )
    if checkpoint is not None:
        written_to = escape(str(path.absolute()))
        console.print(
            f"Checkpoint written to {written_to}: event id {checkpoint.head_id}, "
            f"{checkpoint.count} events."
        )


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="openward")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
