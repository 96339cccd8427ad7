"""A throwaway PostgreSQL with pgvector for the local stack, the tests and the benchmark.

``local_postgres_status()`` says whether this machine can run one, and if not, how to fix
that. ``ThrowawayCluster`` runs ``initdb`` and ``pg_ctl`` in a temporary directory,
listening only on a Unix socket there, and removes it all on ``stop()``. PostgreSQL refuses
to run as root, so as root the server runs as the ``postgres`` system user (``runuser``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from governed_assistant.runtime.retrieval.constants import LOCAL_DIMENSIONS, READER_ROLE
from governed_assistant.runtime.retrieval.exceptions import StoreError
from governed_assistant.runtime.retrieval.migration import apply_migration

INSTALL_HINT = (
    "install PostgreSQL (apt-get install -y postgresql-15 postgresql-server-dev-15) and build pgvector "
    "from Debian's source package as the template's .ci/run does (install_pgvector)"
)
OWNER_ROLE = "governed_owner"
DATABASE = "governed"
_SEARCH = ("/usr/lib/postgresql", "/usr/local/pgsql")


@dataclass(frozen=True)
class LocalPostgresStatus:
    available: bool
    reason: str
    bindir: Path | None = None


def _bindirs() -> list[Path]:
    found = []
    for root in _SEARCH:
        base = Path(root)
        candidates = sorted(base.glob("*/bin"), reverse=True) if base.is_dir() else []
        found += [c for c in [*candidates, base / "bin"] if (c / "initdb").exists()]
    on_path = shutil.which("initdb")
    if on_path:
        found.append(Path(on_path).resolve().parent)
    return found


def _sharedir(bindir: Path) -> Path | None:
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        out = subprocess.run(  # noqa: S603 - pg_config of a found install, fixed args
            [str(pg_config), "--sharedir"], capture_output=True, text=True, check=False
        )
        if out.returncode == 0:
            return Path(out.stdout.strip())
    # Debian: /usr/lib/postgresql/15/bin -> /usr/share/postgresql/15
    return Path("/usr/share/postgresql") / bindir.parent.name


def local_postgres_status() -> LocalPostgresStatus:
    """Whether a throwaway PostgreSQL with pgvector can start here, and if not, why and how to fix it."""
    bindirs = _bindirs()
    if not bindirs:
        return LocalPostgresStatus(False, f"no PostgreSQL server binaries (initdb) found; {INSTALL_HINT}")
    for bindir in bindirs:
        share = _sharedir(bindir)
        if share and (share / "extension" / "vector.control").exists():
            if os.geteuid() == 0 and not _user_exists("postgres"):
                return LocalPostgresStatus(
                    False, "running as root and no 'postgres' user to run the server as; run as a normal user"
                )
            return LocalPostgresStatus(True, f"PostgreSQL with pgvector at {bindir}", bindir)
    return LocalPostgresStatus(False, f"PostgreSQL found at {bindirs[0]} but not pgvector; {INSTALL_HINT}")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    # A port number only names the socket file (.s.PGSQL.<port>); nothing listens on TCP.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayCluster:
    """A private PostgreSQL cluster: superuser ``postgres``, owner ``governed_owner``, the reader role."""

    def __init__(
        self, *, dimensions: int = LOCAL_DIMENSIONS, status: LocalPostgresStatus | None = None
    ) -> None:
        status = status or local_postgres_status()
        if not status.available or status.bindir is None:
            raise StoreError(f"cannot start a local PostgreSQL: {status.reason}")
        self._bindir = status.bindir
        self.dimensions = dimensions
        self.port = _free_port()
        self._root = Path(tempfile.mkdtemp(prefix="governed-pg-"))
        self._data = self._root / "data"
        self.socket_dir = self._root
        self._as_postgres = os.geteuid() == 0
        self._started = False

    def dsn(self, user: str, database: str = DATABASE) -> str:
        return f"host={self.socket_dir} port={self.port} user={user} dbname={database}"

    @property
    def superuser_dsn(self) -> str:
        return self.dsn("postgres")

    @property
    def owner_dsn(self) -> str:
        return self.dsn(OWNER_ROLE)

    @property
    def reader_dsn(self) -> str:
        return self.dsn(READER_ROLE)

    def _run(self, *args: str) -> None:
        command = [str(self._bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(  # noqa: S603 - PostgreSQL binaries, our own arguments
            command, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise StoreError(
                f"{args[0]} failed, returncode={result.returncode}, stderr={result.stderr.strip()[-500:]}"
            )

    def start(self) -> ThrowawayCluster:
        if self._as_postgres:
            shutil.chown(self._root, "postgres", "postgres")
        self._root.chmod(0o700)
        options = (
            f"-c listen_addresses='' -c unix_socket_directories={self.socket_dir} -p {self.port} -c fsync=off"
        )
        log = str(self._root / "log")
        try:
            self._run(
                "initdb", "-D", str(self._data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
            )
            self._run("pg_ctl", "-D", str(self._data), "-o", options, "-w", "-s", "-l", log, "start")
            self._started = True
            self._bootstrap()
        except BaseException:
            # A half-started cluster would outlive us (pg_ctl detaches the server): stop and remove it.
            self.stop()
            raise
        return self

    def _bootstrap(self) -> None:
        """The owner (not a superuser) owns the database and applies the migration, as in Aurora."""
        import psycopg  # type: ignore[import-not-found, import-untyped, unused-ignore]  # optional: local stack only

        from governed_assistant.runtime.retrieval.postgres import PsycopgSession

        with psycopg.connect(self.dsn("postgres", "postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE ROLE {OWNER_ROLE} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS")
            admin.execute(f"CREATE DATABASE {DATABASE} OWNER {OWNER_ROLE}")
        # pgvector is not a trusted extension: a superuser creates it (in Aurora, rds_superuser).
        with psycopg.connect(self.superuser_dsn, autocommit=True) as admin:
            admin.execute("CREATE EXTENSION IF NOT EXISTS vector")
        owner = PsycopgSession(self.owner_dsn)
        try:
            apply_migration(owner, dimensions=self.dimensions)
        finally:
            owner.close()

    def stop(self) -> None:
        try:
            if self._started:
                self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-s", "stop")
                self._started = False
        finally:
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> ThrowawayCluster:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
