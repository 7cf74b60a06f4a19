"""Backup and restore of the whole registry database (``manage.py backup``, ``manage.py restore``).

PostgreSQL: ``pg_dump`` in its custom format (one consistent snapshot of every table, sequence, index and the
``pg_trgm`` extension) and ``pg_restore`` in one transaction, so a failed restore leaves nothing behind.
SQLite: the sqlite3 online backup API, a consistent copy of the file while the server runs. Either way every
row comes back as it was (the change log, users, tokens and API keys included) and the sequences continue,
so new rows get new ids.

A restore goes into an empty database unless ``force``: replacing a registry by mistake is not undone. With
``force`` the database ends holding exactly what the backup holds: on PostgreSQL the ``public`` schema (every
table, sequence, view and the ``pg_trgm`` extension in it) is dropped and recreated in the same transaction as
the restore, so tables of migrations newer than the backup go too and ``migrate`` can then apply them again;
on SQLite the file's pages are all replaced by the backup's.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.client import DatabaseClient

POSTGRESQL_MAGIC = b"PGDMP"  # how pg_dump's custom format begins
SQLITE_MAGIC = b"SQLite format 3\x00"
ENGINES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


class BackupError(Exception):
    """The backup or restore was refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class Outcome:
    engine: str  # "PostgreSQL" or "SQLite"
    database: str
    path: Path
    tables: int


def backup(output: Path, *, using: str = DEFAULT_DB_ALIAS, overwrite: bool = False) -> Outcome:
    """Write a backup of database ``using`` to ``output``: a PostgreSQL custom-format archive or an SQLite
    database file. The file appears only when complete (written beside it, then renamed); an existing file is
    replaced only if ``overwrite``."""
    connection = _connection(using)
    vendor = _vendor(connection)
    output = Path(output)
    if output.is_dir():
        raise BackupError(f"{output} is a directory: name the backup file.")
    if output.exists() and not overwrite:
        raise BackupError(f"{output} exists: name a new file, or pass --force to replace it.")
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".partial")
    os.close(handle)
    try:
        if vendor == "postgresql":
            _run("pg_dump", connection.settings_dict, ["--format=custom", "--no-password", "--file", partial])
        else:
            connection.ensure_connection()
            target = sqlite3.connect(partial)
            try:
                connection.connection.backup(target)
                # The copy keeps the source's WAL mode, whose -wal and -shm files a backup should not need.
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return Outcome(ENGINES[vendor], _name(connection), output, len(connection.introspection.table_names()))


def restore(source: Path, *, using: str = DEFAULT_DB_ALIAS, force: bool = False) -> Outcome:
    """Restore the backup ``source`` into database ``using``, which must be empty (no tables) unless
    ``force``: then the database ends holding exactly what the backup holds, nothing else (tables of newer
    migrations included)."""
    connection = _connection(using)
    vendor = _vendor(connection)
    source = Path(source)
    try:
        with open(source, "rb") as file:
            magic = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"Cannot read {source}: {error.strerror}.") from error
    made_by = "postgresql" if magic.startswith(POSTGRESQL_MAGIC) else "sqlite" if magic == SQLITE_MAGIC else None
    if made_by is None:
        raise BackupError(f"{source} is not a backup made by manage.py backup.")
    if made_by != vendor:
        raise BackupError(
            f"{source} is a backup of a {ENGINES[made_by]} database; {_name(connection)} is {ENGINES[vendor]}. "
            f"Restore it into a {ENGINES[made_by]} database (set DATABASE_URL)."
        )
    existing = connection.introspection.table_names()
    if existing and not force:
        raise BackupError(
            f"{_name(connection)} is not empty ({len(existing)} tables): restore into a new, empty database, "
            "or pass --force to replace what it holds by the backup."
        )
    if vendor == "postgresql":
        connection.close()  # pg_restore works on its own connection; this one would only hold a snapshot
        options = ["--exit-on-error", "--no-owner", "--no-privileges", "--no-password"]
        if existing:
            _replace_postgresql(source, connection.settings_dict, options)
        else:
            # Django's psql arguments end with the database name: after --dbname it is pg_restore's target.
            _run("pg_restore", connection.settings_dict, [*options, "--single-transaction", str(source), "--dbname"])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # pg_restore leaves the planner without statistics until autovacuum runs
    else:
        _restore_sqlite(source, connection)
    return Outcome(ENGINES[vendor], _name(connection), source, len(connection.introspection.table_names()))


def _restore_sqlite(source: Path, connection) -> None:
    backup_file = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in backup_file.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "django_migrations" not in tables:
            raise BackupError(f"{source} is an SQLite database, but not a backup of the registry.")
        connection.ensure_connection()
        backup_file.backup(connection.connection)  # page by page: the target becomes an exact copy
    finally:
        backup_file.close()
    connection.close()  # its cached view of the schema predates the copy


# Run by psql before the backup's SQL, in the same transaction: everything in the schema goes, the extension
# (pg_trgm) and the tables of migrations the backup does not know included; the backup recreates what it holds.
REPLACE_PUBLIC_SCHEMA = "BEGIN;\nDROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"


def _replace_postgresql(source: Path, settings_dict: dict, options: list[str]) -> None:
    """Replace the whole ``public`` schema by the backup in one transaction: pg_restore writes the backup as
    SQL, which is fed to psql after ``DROP SCHEMA public CASCADE`` and followed by ``COMMIT`` only if
    pg_restore finished; an error (psql stops on the first) or a cut-short script rolls everything back.
    (``pg_restore --clean`` would drop only the objects the backup holds.)"""
    restore_command = [_executable("pg_restore"), *options, "--file", "-", str(source)]  # a script, no connection
    psql_command, environment = _command(
        "psql", settings_dict, ["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--file", "-", "--dbname"]
    )
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        psql = subprocess.Popen(
            psql_command, env=environment, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_errors
        )
        restored = False
        try:
            psql.stdin.write(REPLACE_PUBLIC_SCHEMA.encode())
            with subprocess.Popen(
                restore_command, env=environment, stdout=subprocess.PIPE, stderr=restore_errors
            ) as pg_restore:
                shutil.copyfileobj(pg_restore.stdout, psql.stdin)
            restored = pg_restore.returncode == 0
            if restored:
                psql.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error: its message says which
        finally:
            try:
                psql.stdin.close()
            except BrokenPipeError:
                pass
            psql.wait()
        if psql.returncode != 0:  # first: when psql stops, pg_restore is cut short too
            psql_errors.seek(0)
            raise BackupError(
                f"psql failed (exit status {psql.returncode}), nothing was changed:\n"
                f"{psql_errors.read().decode().strip()}"
            )
        if not restored:
            restore_errors.seek(0)
            raise BackupError(f"pg_restore failed, nothing was changed:\n{restore_errors.read().decode().strip()}")


def _connection(using: str):
    if using not in connections:
        raise BackupError(f"There is no database {using!r}: the settings have {', '.join(connections)}.")
    return connections[using]


def _vendor(connection) -> str:
    if connection.vendor not in ENGINES:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
    return connection.vendor


def _name(connection) -> str:
    return str(connection.settings_dict["NAME"])


def _command(program: str, settings_dict: dict, parameters: list[str]) -> tuple[list[str], dict]:
    """A PostgreSQL client program's command line with the connection settings Django's own ``dbshell`` would
    use (user, host, port, database; password and TLS settings in the environment, never on the command line),
    and that environment."""
    arguments, environment = DatabaseClient.settings_to_cmd_args_env(settings_dict, parameters)
    return [_executable(program), *arguments[1:]], {**os.environ, **(environment or {})}


def _executable(program: str) -> str:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} was not found: install the PostgreSQL client programs of the server's major version "
            "(Debian: apt-get install postgresql-client)."
        )
    return executable


def _run(program: str, settings_dict: dict, parameters: list[str]) -> None:
    command, environment = _command(program, settings_dict, parameters)
    result = subprocess.run(
        command,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{program} failed (exit status {result.returncode}):\n{result.stderr.strip()}")
