"""A throwaway PostgreSQL cluster for the tests, from Debian's `postgresql` package.

The cluster lives in a private temporary folder, listens on a free loopback port and trusts local
connections; it is started with initdb and pg_ctl. PostgreSQL refuses to run as root, so under root the
cluster belongs to the `postgres` system user that the package creates. Where the server binaries are
missing (scripts/setup-postgres.sh installs them when run as root) the caller is told why, to skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import free_port

CLUSTER_USER = "axistag"
START_SECONDS = 60


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL cluster can be started here; the message says why."""


def server_binaries() -> Path:
    """The folder holding initdb and pg_ctl (Debian keeps them out of PATH, under /usr/lib/postgresql)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.insert(0, str(Path(found).resolve().parent))
    for folder in map(Path, candidates):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise PostgresUnavailableError(
        "PostgreSQL's initdb and pg_ctl are not installed (Debian package postgresql; "
        "scripts/setup-postgres.sh installs it when run as root)"
    )


def _run_as() -> list[str]:
    """The prefix that runs the server as an ordinary user: PostgreSQL will not run as root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailableError("running as root and there is no 'postgres' user to run the server") from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailableError("running as root and runuser is missing to switch to the 'postgres' user")
    return [runuser, "-u", "postgres", "--"]


@contextmanager
def private_postgres() -> Iterator[str]:
    """A running cluster for the length of the block: yields its SQLAlchemy URL."""
    binaries = server_binaries()
    prefix = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="axistag-postgres-"))
    if prefix:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
    data = folder / "data"
    port = free_port()

    def run(*command: str) -> None:
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=START_SECONDS)
        if done.returncode != 0:
            raise PostgresUnavailableError(f"{Path(command[0]).name} failed: {done.stderr or done.stdout}")

    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", CLUSTER_USER, "--auth=trust", "--no-sync", "-E", "UTF8")
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} -c fsync=on"
        run(str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w", "start")
        try:
            yield f"postgresql+psycopg://{CLUSTER_USER}@127.0.0.1:{port}/postgres"
        finally:
            run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
