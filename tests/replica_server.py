"""A real PostgreSQL streaming replica of the test suite's server, for the tests of reads from replicas.

``pg_basebackup -R`` copies the primary (the server of ``DATABASE_URL``) into a temporary directory, and
``pg_ctl`` starts the copy on a free port of 127.0.0.1 as a hot standby streaming from the primary. It is
stopped and removed with ``stop()``. PostgreSQL refuses to run as root, so as root the copy belongs to, and
runs as, the ``postgres`` OS user.

The primary must accept replication connections from this machine. When its ``pg_hba.conf`` has no such
line and is a file here that can be written, ``host replication all 127.0.0.1/32 trust`` is added to it and
the configuration reloaded (said on the terminal), and ``stop()`` takes the line out again (the rest of the
file left byte for byte as it is) and reloads; otherwise ``ReplicaUnavailable`` says what to do. A test run
killed before ``stop()`` leaves the line behind.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from registry.gunicorn_process import free_port

STARTUP_SECONDS = 60
# Settings a hot standby must hold at least as high as its primary, or it refuses to start.
AT_LEAST_THE_PRIMARYS = [
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
]
DIRECTORY_PREFIX = "miv-registry-replica-"
OWNER_FILE = "test-run.pid"  # the process of the test run that made the replica
HBA_COMMENT = "# Added by the registry's tests (tests/replica_server.py): streaming replicas on this machine."
HBA_LINE = "host replication all 127.0.0.1/32 trust"
HBA_ADDITION = f"\n{HBA_COMMENT}\n{HBA_LINE}\n"  # what is appended to the primary's pg_hba.conf, and taken out


class ReplicaUnavailable(Exception):
    """The replica could not be made; the message says why and what to do."""


def _conninfo(settings_dict: dict, **overrides) -> dict:
    conninfo = {
        "host": settings_dict.get("HOST") or "127.0.0.1",
        "port": str(settings_dict.get("PORT") or 5432),
        "user": settings_dict.get("USER") or "postgres",
        "dbname": "postgres",
    }
    if settings_dict.get("PASSWORD"):
        conninfo["password"] = settings_dict["PASSWORD"]
    conninfo.update(overrides)
    return conninfo


def _wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise ReplicaUnavailable(f"Timed out after {seconds:.0f} s waiting for {what}.")
        time.sleep(0.05)


@dataclass
class StreamingReplica:
    host: str
    port: int
    user: str
    password: str
    directory: Path
    bindir: Path
    primary: dict  # libpq connection parameters of the primary
    as_postgres: list[str]  # the command prefix that runs a program as the data directory's owner
    hba_file: Path | None = None  # the primary's pg_hba.conf, when HBA_ADDITION was appended to it for this replica

    def url(self, dbname: str) -> str:
        credentials = f"{self.user}:{self.password}" if self.password else self.user
        return f"postgres://{credentials}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, password=self.password or None, dbname=dbname,
            autocommit=True,
        )  # fmt: skip

    def _ask(self, sql: str):
        with self.connect() as connection:
            return connection.execute(sql).fetchone()[0]

    def in_recovery(self) -> bool:
        return self._ask("SELECT pg_is_in_recovery()")

    def pause_replay(self) -> None:
        """Stop applying the primary's changes: from now on the replica reads as the primary was."""
        with self.connect() as connection:
            connection.execute("SELECT pg_wal_replay_pause()")
            _wait_for(
                lambda: connection.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] == "paused",
                seconds=10,
                what="the replica's replay to pause",
            )

    def resume_replay(self) -> None:
        self._ask("SELECT pg_wal_replay_resume()::text")

    def wait_until_caught_up(self, seconds: float = 30) -> None:
        """Until the replica has replayed everything the primary has committed so far."""
        with psycopg.connect(**self.primary, autocommit=True) as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        with self.connect() as connection:
            _wait_for(
                lambda: connection.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [str(target)]).fetchone()[
                    0
                ],
                seconds=seconds,
                what=f"the replica to replay the primary's WAL up to {target}",
            )

    def log_tail(self, lines: int = 30) -> str:
        log = self.directory / "postgres.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"

    def stop(self) -> None:
        data = self.directory / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*self.as_postgres, str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                check=False,
                capture_output=True,
            )
        shutil.rmtree(self.directory, ignore_errors=True)
        if self.hba_file is not None:
            _disallow_replication(self.primary, self.hba_file)
            self.hba_file = None


def _run(command: list[str], what: str, *, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C", **(env or {})})
    if result.returncode != 0:
        raise ReplicaUnavailable(f"{what} failed ({' '.join(command)}):\n{result.stdout}{result.stderr}")


def _bindir(major: int) -> Path:
    """The programs of the primary's own major version (pg_basebackup and the server must match it)."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    if pg_config := shutil.which("pg_config"):
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
        if bindir:
            candidates.append(Path(bindir))
    for candidate in candidates:
        postgres = candidate / "postgres"
        if postgres.exists() and (candidate / "pg_basebackup").exists() and (candidate / "pg_ctl").exists():
            version = subprocess.run([str(postgres), "--version"], capture_output=True, text=True).stdout
            if version.split()[-1].split(".")[0] == str(major):
                return candidate
    raise ReplicaUnavailable(
        f"No PostgreSQL {major} server programs (postgres, pg_ctl, pg_basebackup) found in "
        f"{', '.join(map(str, candidates))}: install the server package of the primary's version "
        f"(Debian: apt-get install postgresql-{major})."
    )


def _accepts_replication(primary: dict) -> bool:
    try:
        psycopg.connect(**primary, replication="true").close()
    except psycopg.OperationalError as error:
        if "replication" in str(error) and "pg_hba.conf" in str(error):
            return False
        raise ReplicaUnavailable(f"Cannot open a replication connection to the primary: {error}") from error
    return True


def _allow_replication(primary: dict, say: Callable[[str], None]) -> Path | None:
    """Add a ``replication`` line for 127.0.0.1 to the primary's pg_hba.conf and reload it, when the primary
    refuses replication connections and its pg_hba.conf is a file on this machine that can be written.
    Returns that file when the line was added (for ``_disallow_replication``), else None."""
    if _accepts_replication(primary):
        return None
    line = HBA_LINE
    with psycopg.connect(**primary, autocommit=True) as connection:
        hba_file = Path(connection.execute("SHOW hba_file").fetchone()[0])
        local = primary["host"] in {"127.0.0.1", "localhost"} or primary["host"].startswith("/")
        if not (local and hba_file.is_file() and os.access(hba_file, os.W_OK)):
            raise ReplicaUnavailable(
                f"The PostgreSQL server at {primary['host']}:{primary['port']} refuses replication connections, "
                f"which the tests of reads from replicas need to make a streaming replica of it, and its "
                f"pg_hba.conf ({hba_file}) cannot be changed from here. Add the line\n    {line}\nto it (on the "
                f"server's machine, as its owner), then run SELECT pg_reload_conf() as a superuser."
            )
        with hba_file.open("a") as hba:
            hba.write(HBA_ADDITION)
        connection.execute("SELECT pg_reload_conf()")
    say(
        f"The primary refused replication connections: added '{line}' to {hba_file} and reloaded its "
        "configuration (until the replica is stopped)."
    )
    try:
        _wait_for(lambda: _accepts_replication(primary), seconds=10, what="the primary to reload pg_hba.conf")
    except ReplicaUnavailable as error:
        _disallow_replication(primary, hba_file)
        raise ReplicaUnavailable(
            f"{error} The line '{line}' was added to {hba_file}, but the primary still refuses replication "
            "connections from 127.0.0.1: an earlier line may reject them (SELECT * FROM pg_hba_file_rules)."
        ) from error
    return hba_file


def _without_addition(text: bytes) -> bytes | None:
    """``text`` less the last ``HBA_ADDITION`` in it, or None when there is none."""
    addition = HBA_ADDITION.encode()
    at = text.rfind(addition)
    return None if at < 0 else text[:at] + text[at + len(addition) :]


def _disallow_replication(primary: dict, hba_file: Path) -> None:
    """Take out of ``hba_file`` what ``_allow_replication`` appended (only that: the rest stays byte for byte,
    whatever else was written to the file meanwhile) and reload the primary's configuration."""
    try:
        restored = _without_addition(hba_file.read_bytes())
        if restored is None:
            return
        hba_file.write_bytes(restored)
        with psycopg.connect(**primary, autocommit=True) as connection:
            connection.execute("SELECT pg_reload_conf()")
    except (OSError, psycopg.Error) as error:
        raise ReplicaUnavailable(
            f"Could not take the line '{HBA_LINE}' out of {hba_file} again ({error}): remove it by hand, then "
            "run SELECT pg_reload_conf() as a superuser."
        ) from error


def start_streaming_replica(settings_dict: dict, *, say: Callable[[str], None] = print) -> StreamingReplica:
    """A hot standby streaming from the server of ``settings_dict`` (Django's settings of the primary),
    accepting connections and in recovery. Raises ``ReplicaUnavailable`` with what to do when it cannot."""
    primary = _conninfo(settings_dict)
    try:
        with psycopg.connect(**primary, autocommit=True) as connection:
            major = connection.info.server_version // 10000
            minimums = {name: connection.execute(f"SHOW {name}").fetchone()[0] for name in AT_LEAST_THE_PRIMARYS}
    except psycopg.OperationalError as error:
        raise ReplicaUnavailable(f"Cannot connect to the primary: {error}") from error
    bindir = _bindir(major)

    as_postgres: list[str] = []
    owner = None
    if os.geteuid() == 0:
        # PostgreSQL will not run as root: the copy belongs to, and runs as, the postgres OS user.
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as error:
            raise ReplicaUnavailable(
                "Running as root, and there is no 'postgres' OS user to run PostgreSQL."
            ) from error
        runuser = shutil.which("runuser")
        if runuser is None:
            raise ReplicaUnavailable("Running as root, and runuser (util-linux) is missing to run PostgreSQL.")
        as_postgres = [runuser, "-u", "postgres", "--"]
    _stop_abandoned(bindir, as_postgres, say)
    # From here on, replica.stop() (on failure too) takes out of pg_hba.conf what this adds to it.
    hba_file = _allow_replication(primary, say)
    directory = Path(tempfile.mkdtemp(prefix=DIRECTORY_PREFIX))
    (directory / OWNER_FILE).write_text(str(os.getpid()))
    if owner is not None:
        os.chown(directory, owner.pw_uid, owner.pw_gid)

    port = free_port()
    replica = StreamingReplica(
        host="127.0.0.1",
        port=port,
        user=primary["user"],
        password=primary.get("password", ""),
        directory=directory,
        bindir=bindir,
        primary=primary,
        as_postgres=as_postgres,
        hba_file=hba_file,
    )
    data = directory / "data"
    try:
        _run(
            [
                *as_postgres,
                str(bindir / "pg_basebackup"),
                f"--dbname=host={primary['host']} port={primary['port']} user={primary['user']}",
                f"--pgdata={data}",
                "--write-recovery-conf",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--no-sync",
            ],
            "pg_basebackup",
            # The primary's password, when its URL has one (pg_basebackup reads no password from its --dbname).
            env={"PGPASSWORD": primary["password"]} if primary.get("password") else None,
        )
        # The copy's own configuration (a Debian server keeps its configuration out of the data directory).
        settings = {
            "port": port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{directory}'",
            "hot_standby": "on",
            "fsync": "off",
            "shared_buffers": "'32MB'",
            **minimums,
        }
        config = "".join(f"{name} = {value}\n" for name, value in settings.items())
        # Only what the tests need: the primary's user, over TCP from this machine (no socket, no other user).
        hba = f'host all "{primary["user"]}" 127.0.0.1/32 trust\n'
        for name, text in [("postgresql.conf", config), ("pg_hba.conf", hba), ("pg_ident.conf", "")]:
            _write_as_owner(as_postgres, data / name, text)
        _run(
            [
                *as_postgres,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(directory / "postgres.log"),
                "-w",
                "-t",
                str(STARTUP_SECONDS),
                "start",
            ],
            "pg_ctl start",
        )
        _wait_for(lambda: _connects(replica), seconds=STARTUP_SECONDS, what="the replica to accept connections")
        if not replica.in_recovery():
            raise ReplicaUnavailable("The copy started but is not in recovery: it is no replica.")
        with replica.connect() as connection:
            _wait_for(
                lambda: (
                    connection.execute(
                        "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'"
                    ).fetchone()[0]
                    == 1
                ),
                seconds=STARTUP_SECONDS,
                what="the replica to stream from the primary",
            )
        replica.wait_until_caught_up()
    except BaseException as error:
        tail = replica.log_tail()
        replica.stop()
        if isinstance(error, ReplicaUnavailable):
            raise ReplicaUnavailable(f"{error}\nThe replica's log ended with:\n{tail}") from error
        raise
    return replica


def _stop_abandoned(bindir: Path, as_postgres: list[str], say: Callable[[str], None]) -> None:
    """Stop and remove the replicas of earlier test runs that ended without stopping theirs (killed)."""
    for directory in Path(tempfile.gettempdir()).glob(f"{DIRECTORY_PREFIX}*"):
        try:
            os.kill(int((directory / OWNER_FILE).read_text()), 0)
            continue  # its test run is still going
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue  # not ours to judge
        abandoned = StreamingReplica("", 0, "", "", directory, bindir, {}, as_postgres)
        abandoned.stop()
        say(f"Stopped and removed the replica that an earlier test run left behind in {directory}.")


def _write_as_owner(as_postgres: list[str], path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as the data directory's owner, so the server may read it."""
    result = subprocess.run([*as_postgres, "tee", str(path)], input=text, capture_output=True, text=True)
    if result.returncode != 0:
        raise ReplicaUnavailable(f"Cannot write {path}: {result.stderr}")


def _connects(replica: StreamingReplica) -> bool:
    try:
        replica.connect().close()
    except psycopg.OperationalError:
        return False
    return True
