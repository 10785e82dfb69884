"""The `claimdb` command: serve, migrate, load the demo, manage keys, verify the ledger, run the log's tools.

A user's mistake (a missing file, a closed pipe, a database not yet migrated) ends the command with one line
on standard error saying what to do, and a non-zero exit status: never a traceback (`main`).

One module, a little over 400 lines: each command is a thin parser over a service, and keeping the parsers
together keeps `claimdb --help` and the error handling in one place (the log's own commands are in
api/log_cli.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from api import log_cli
from api.database import Database
from api.errors import DomainError
from api.settings import get_settings
from models.vocabulary import Role, Status


class UserError(Exception):
    """Something the user can put right; `main` prints it as one line and exits with status 2."""


def _database(*, migrated: bool = True) -> Database:
    """The configured database; unless `migrated=False`, only once it exists and is at the latest migration."""
    settings = get_settings()
    database = Database(
        settings.database_url,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        prepared_statements=settings.postgres_prepared_statements,
    )
    if migrated:
        try:
            _require_migrated(database)
        except BaseException:
            database.dispose()
            raise
    return database


def _require_migrated(database: Database) -> None:
    from api.migrate import current_revision, head_revision

    where = database.url.render_as_string(hide_password=True)
    if database.is_sqlite:
        path = database.url.database
        # Connecting would create an empty file, which is not a database anyone meant to use.
        if path and path != ":memory:" and not os.path.exists(path):
            raise UserError(f"there is no database at {path}: run `claimdb migrate` to create it")
    with database.read_engine.connect() as connection:
        revision = current_revision(connection)
    expected = head_revision()
    if revision is None:
        raise UserError(f"the database {where} is not migrated: run `claimdb migrate` first")
    if revision != expected:
        raise UserError(f"the database {where} is at migration {revision}, not {expected}: run `claimdb migrate`")


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.server import bounded_protocol, served_app
    from api.settings import worker_count

    settings = get_settings()
    try:
        workers = worker_count(args.workers if args.workers is not None else settings.workers)
    except ValueError as error:
        raise UserError(str(error)) from None
    _database().dispose()  # refuse to start on a database that is missing or not migrated
    try:
        app = served_app()  # built here too when there are workers: a bad setting stops the start, once
    except ValueError as error:  # a log key that cannot sign for this origin, a bad witness URL
        print(f"claimdb: {error}", file=sys.stderr)
        return 2
    options = {
        "host": args.host or settings.host,
        "port": args.port or settings.port,
        "log_level": settings.log_level,
        # claimdb writes its own JSON access log with request ids (api/observability.py).
        "access_log": False,
    }
    if workers == 1:
        # httptools, with the bound on a request's head that uvicorn gives only its h11 protocol (api/server.py).
        uvicorn.run(app, http=bounded_protocol(settings.max_header_bytes), **options)  # type: ignore[arg-type]
    else:
        # Each worker process imports the app and the protocol by name and builds them from the environment.
        uvicorn.run(
            "api.server:served_app",
            factory=True,
            workers=workers,
            http="api.server:SettingsBoundedHttpToolsProtocol",
            **options,  # type: ignore[arg-type]
        )
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    from api.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database migrated to head")
    return 0


def cmd_demo(_args: argparse.Namespace) -> int:
    from api.services import demo

    database = _database()
    with database.transaction() as session:
        revoked = demo.revoke_demo_keys(session)
        keys = demo.issue_demo_keys(session)
        if demo.has_claims(session):
            print("demo data: the database already holds claims; nothing loaded")
        else:
            count = demo.load(session)
            print(f"demo data: loaded {count} claims from UPI's report of 14 May 2022")
    database.dispose()
    if revoked:
        print(f"revoked the {revoked} demo keys printed by earlier runs; only these work now")
    print("API keys (shown once; each `claimdb demo` revokes the previous demo keys and prints new ones):")
    for role, name, secret in keys:
        print(f"  {role.value:<9} {name:<14} {secret}")
    return 0


def cmd_gazetteer_load(_args: argparse.Namespace) -> int:
    import time

    from api.services.claims.writing import geocode_recorded
    from api.services.places import gazetteer

    started = time.perf_counter()
    database = _database()
    with database.transaction() as session:
        result = gazetteer.load(session)
        geocoded = geocode_recorded(session)
    database.dispose()
    print(
        f"gazetteer: {result.added} places added, {result.already} already there; "
        f"{geocoded} claims' places resolved ({time.perf_counter() - started:.1f} s)"
    )
    return 0


def cmd_key_create(args: argparse.Namespace) -> int:
    from api.services.auth import create_key

    database = _database()
    with database.transaction() as session:
        actor, _key, secret = create_key(session, args.name, Role(args.role))
    database.dispose()
    print(f"key created for {actor.name} ({actor.role}); it is shown only now:")
    print(secret)
    return 0


def cmd_key_revoke(args: argparse.Namespace) -> int:
    from api.services.auth import revoke_key

    database = _database()
    with database.transaction() as session:
        key = revoke_key(session, args.prefix)
    database.dispose()
    print(f"key {key.prefix} revoked")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from api.services.audit import verify, verify_in_processes

    database = _database()
    jobs = args.jobs if args.jobs is not None else min(os.cpu_count() or 1, 4)
    if jobs > 1:
        result = verify_in_processes(database, jobs)
    else:
        with database.transaction(write=False) as session:
            result = verify(session)
    database.dispose()
    if result["ok"]:
        checked = ", ".join(f"{count} {table}" for table, count in result["checked"].items())
        print(
            f"ledger ok: {result['events']} events, hash chain and Merkle tree intact; "
            f"every table matches the ledger ({checked})"
        )
        return 0
    if result["first_broken_seq"] is not None:
        print(f"ledger BROKEN at seq {result['first_broken_seq']}: {result['reason']}", file=sys.stderr)
    else:
        print(f"ledger ok: {result['events']} events, hash chain intact", file=sys.stderr)
    if result["mismatches_found"]:
        print(
            f"{result['mismatches_found']} stored value(s) differ from what the ledger implies"
            + (
                f" (the first {len(result['mismatches'])} listed)"
                if result["mismatches_found"] > len(result["mismatches"])
                else ""
            )
            + ":",
            file=sys.stderr,
        )
        for item in result["mismatches"]:
            print(
                f"  {item['table']} {item['id']} {item['field']}: stored {item['stored']!r}, ledger {item['ledger']!r}",
                file=sys.stderr,
            )
    return 1


def cmd_backup(args: argparse.Namespace) -> int:
    import sqlite3

    database = _database(migrated=False)
    if not database.is_sqlite:
        url = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
        print(
            "claimdb backup copies SQLite databases. For PostgreSQL use its own consistent dump:\n"
            f"  pg_dump --format=custom --file={args.path} '{url}'\n"
            f"and restore with: pg_restore --dbname=<empty database> {args.path}",
            file=sys.stderr,
        )
        return 2
    database.dispose()
    target = Path(args.path)
    if target.exists():
        raise UserError(f"{target} exists; choose a new path")
    if not target.parent.is_dir():
        raise UserError(f"the folder {target.parent} does not exist; create it or choose another path")
    source_path = database.url.database
    if not source_path or source_path == ":memory:":
        raise UserError("an in-memory database cannot be backed up")
    if not os.path.isfile(source_path):
        # sqlite3.connect would create it, and the "backup" would be an empty file.
        raise UserError(f"there is no SQLite database at {source_path} to back up")
    # SQLite's online backup API copies a consistent snapshot while the server keeps writing. The source is
    # opened read-only, so that a mistaken path never creates or changes anything.
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy, pages=1024)
        finally:
            copy.close()
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise UserError(f"the backup of {source_path} to {target} failed: {error}") from None
    finally:
        source.close()
    print(f"backed up {source_path} to {target}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from api.errors import InvalidInput
    from api.progress import ProgressReporter
    from api.services import importing

    if args.file != "-" and not os.path.isfile(args.file):
        raise UserError(f"{args.file}: no such file" if not os.path.exists(args.file) else f"{args.file}: not a file")
    database = _database()  # checked before standard input is read, which may be long
    try:
        with tempfile.TemporaryFile() if args.file == "-" else open(args.file, "rb") as stream:
            if args.file == "-":
                # The import reads its input twice (check, then write): standard input is spooled to disk first.
                shutil.copyfileobj(sys.stdin.buffer, stream)
                stream.seek(0)
            progress = ProgressReporter(os.fstat(stream.fileno()).st_size, sys.stderr)
            try:
                with database.transaction() as session:
                    summary = importing.import_claims(session, None, stream, progress)
            except InvalidInput as error:
                progress.close()
                print(f"claimdb: {error.detail}", file=sys.stderr)
                for item in error.extra.get("errors", []):
                    print(f"  line {item['line']}: {item['reason']}", file=sys.stderr)
                return 2
            progress.close()
    finally:
        database.dispose()
    print(
        f"imported: {summary.created} created, {summary.unchanged} unchanged "
        f"({summary.sources_created} sources and {summary.documents_created} documents created)"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import contextlib

    from api.services import claims, exporting, times

    settings = get_settings()
    query = claims.ClaimQuery(
        sources=args.source,
        include_children=args.include_children,
        statuses=[Status(value) for value in args.status],
        stated_from=times.parse_time_bound(args.stated_from, "--stated-from"),
        stated_to=times.parse_time_bound(args.stated_to, "--stated-to", end_of_day=True),
    )
    if args.output and not Path(args.output).parent.is_dir():
        raise UserError(f"the folder {Path(args.output).parent} does not exist; create it or choose another path")
    publisher = exporting.Publisher(settings.publisher_name, settings.public_base_url)
    database = _database()
    try:
        with database.transaction(write=False) as session:
            exporting.check_export(session, query, settings.secret_key)
        # A session of its own: the export reads every page from one snapshot, set before its first query.
        with (
            database.transaction(write=False) as session,
            open(args.output, "wb") if args.output else contextlib.nullcontext(sys.stdout.buffer) as out,
        ):
            for chunk in exporting.export_chunks(
                session, query, exporting.ExportFormat(args.format), publisher, settings.secret_key
            ):
                out.write(chunk)
            out.flush()
    finally:
        database.dispose()
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    """Print the candidate claims found in a text file, as POST /v1/extract answers them."""
    import os

    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from api.schemas.extract import ExtractIn, ExtractOut
    from api.services import extraction

    try:
        with open(args.file, encoding="utf-8") as stream:
            text = stream.read()
    except UnicodeDecodeError:
        raise UserError(f"{args.file} is not UTF-8 text") from None
    try:
        body = ExtractIn(text=text, published_at=args.published_at, outlet=args.outlet)
    except ValidationError as error:
        print(f"claimdb: {error.errors()[0]['loc'][0]}: {error.errors()[0]['msg']}", file=sys.stderr)
        return 2
    database = _database(migrated=False)
    database_file = database.url.database if database.is_sqlite else None
    try:
        if database_file and not os.path.exists(database_file):
            raise FileNotFoundError(database_file)  # connecting would create an empty database file
        with database.transaction(write=False) as session:
            candidates = extraction.extract(session, body.text, published_at=body.published_at, outlet=body.outlet)
    except (SQLAlchemyError, FileNotFoundError):
        # No database yet (or not migrated): the names simply match no recorded source.
        print("claimdb: no migrated database; source_id is null throughout", file=sys.stderr)
        found = extraction.extract_candidates(text, published_at=body.published_at, outlet=body.outlet)
        candidates = [candidate.as_dict() for candidate in found]
    finally:
        database.dispose()
    print(ExtractOut.model_validate({"candidates": candidates}).model_dump_json(indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claimdb", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API (CLAIMDB_HOST, CLAIMDB_PORT)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--workers",
        default=None,
        help="server processes behind the one port: a number, or auto for the machine's cores (CLAIMDB_WORKERS; 1)",
    )
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="upgrade the database to the latest schema").set_defaults(handler=cmd_migrate)
    commands.add_parser(
        "demo",
        help="load the demo data if the database has no claims; revoke earlier demo keys, print a new key per role",
    ).set_defaults(handler=cmd_demo)
    verify = commands.add_parser(
        "verify",
        help="check the ledger's hash chain, Merkle tree and every table against the ledger; exit 1 on any mismatch",
    )
    verify.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="processes replaying the claims, each a share of them (default: the machine's cores, at most 4)",
    )
    verify.set_defaults(handler=cmd_verify)
    extract = commands.add_parser("extract", help="print the candidate claims found in a text file, as JSON")
    extract.add_argument("file")
    extract.add_argument("--published-at", default=None, help="publication date (or time), e.g. 2022-05-14")
    extract.add_argument("--outlet", default=None, help="the outlet that published it")
    extract.set_defaults(handler=cmd_extract)

    backup = commands.add_parser("backup", help="copy a live SQLite database consistently (online backup API)")
    backup.add_argument("path")
    backup.set_defaults(handler=cmd_backup)

    importing = commands.add_parser(
        "import", help="import claims from NDJSON (FILE or - for stdin), all or nothing; see POST /v1/import"
    )
    importing.add_argument("file")
    importing.set_defaults(handler=cmd_import)
    export = commands.add_parser("export", help="export claims as NDJSON (re-importable), CSV or ClaimReview")
    export.add_argument("--format", choices=["ndjson", "csv", "claimreview", "geojson", "acled_csv"], default="ndjson")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    export.add_argument("--source", action="append", default=[], help="source id, name or alias; repeatable")
    export.add_argument("--include-children", action="store_true")
    export.add_argument("--status", action="append", default=[], choices=[status.value for status in Status])
    export.add_argument("--stated-from")
    export.add_argument("--stated-to")
    export.set_defaults(handler=cmd_export)

    gazetteer = commands.add_parser("gazetteer", help="the places claims are resolved to").add_subparsers(
        dest="gazetteer_command", required=True
    )
    gazetteer.add_parser(
        "load",
        help="load Ukraine's settlements, regions and every country (offline, idempotent); resolve recorded claims",
    ).set_defaults(handler=cmd_gazetteer_load)

    key = commands.add_parser("key", help="manage API keys").add_subparsers(dest="key_command", required=True)
    create = key.add_parser("create", help="create a key (and its actor if new); prints the key last")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.set_defaults(handler=cmd_key_create)
    revoke = key.add_parser("revoke", help="revoke a key by its prefix")
    revoke.add_argument("prefix")
    revoke.set_defaults(handler=cmd_key_revoke)
    log_cli.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (DomainError, UserError) as error:
        print(f"claimdb: {error.detail if isinstance(error, DomainError) else error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`claimdb export | head`): nothing more can be written, and Python's own attempt
        # to flush standard output at exit would print a second error, so it is pointed at nowhere first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("claimdb: the output was closed before everything was written", file=sys.stderr)
        return 1
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"claimdb: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"claimdb: the database refused: {reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("claimdb: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
