"""A private PostgreSQL server for a gradebook that several graders share.

    python tools/hub/postgres.py start DIR     # prints the gradebook's URL for nbgrader
    python tools/hub/postgres.py stop DIR

Uses Debian's postgresql package (initdb and postgres, found in /usr/lib/postgresql/<v>/bin
when they are not on PATH). The cluster lives in DIR, listens on a Unix socket in DIR only (no
TCP port), trusts local connections, and is stopped by the PID of its postmaster. PostgreSQL
refuses to run as root: as root, it runs as the `postgres` user that Debian's package creates.
The tests and bench/figures_parallel_grading.py start one per run; a course server would use a
managed PostgreSQL instead (docs/instructors.md).
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

DATABASE = "gradebook"
SUPERUSER = "nbgrader"


def pg_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                      key=lambda p: int(Path(p).parents[1].name) if Path(p).parents[1].name.isdigit() else 0)
    if versions:
        return versions[-1]
    raise RuntimeError(f"PostgreSQL's {name} was not found: install Debian's package "
                       "(apt-get install postgresql)")


def service_user() -> str | None:
    """None: run as ourselves; else the account that runs the server because we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        raise RuntimeError("as root, PostgreSQL must run as another user: the `postgres` account that "
                           "Debian's postgresql package creates is missing (apt-get install postgresql)"
                           ) from None


class Cluster:
    """One PostgreSQL server in `folder` (data/, the socket, server.log, postmaster.pid)."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder).resolve()
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.user = service_user()
        self.server: subprocess.Popen | None = None  # when this object started it

    @property
    def url(self) -> str:
        """The SQLAlchemy URL nbgrader takes (`--CourseDirectory.db_url=...`)."""
        return f"postgresql+psycopg://{SUPERUSER}@/{DATABASE}?host={self.folder}"

    def pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        if not pid_file.is_file():
            return None
        pid = int(pid_file.read_text().split("\n", 1)[0])
        try:
            os.kill(pid, 0)
            return pid
        except ProcessLookupError:
            return None

    def _as_service(self) -> dict:
        return {"user": self.user, "group": self.user, "extra_groups": []} if self.user else {}

    def start(self, timeout: float = 60) -> str:
        if len(str(self.folder)) > 90:  # a Unix socket path holds at most 107 bytes
            raise RuntimeError(f"folder {self.folder} is too long for PostgreSQL's socket path")
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.user:
            shutil.chown(self.folder, self.user, self.user)
        if not (self.data / "PG_VERSION").is_file():
            subprocess.run([pg_binary("initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                            "-E", "UTF8", "--locale=C"], check=True, capture_output=True,
                           **self._as_service())
        log = open(self.log, "ab")
        server = self.server = subprocess.Popen(
            [pg_binary("postgres"), "-D", str(self.data), "-k", str(self.folder),
             "-c", "listen_addresses=", "-c", "max_connections=200", "-c", "fsync=off"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, **self._as_service())
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited ({server.returncode}):\n{self._log_tail()}")
            if self._ready():
                break
            time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError(f"PostgreSQL did not start within {timeout} s:\n{self._log_tail()}")
        self._create_database()
        return self.url

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def _psql(self, database: str, sql: str) -> subprocess.CompletedProcess:
        return subprocess.run([pg_binary("psql"), "-h", str(self.folder), "-U", SUPERUSER, "-d", database,
                               "-v", "ON_ERROR_STOP=1", "-Atc", sql], capture_output=True, text=True)

    def _ready(self) -> bool:
        return self._psql("postgres", "SELECT 1").returncode == 0

    def _create_database(self) -> None:
        exists = self._psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
        if exists.stdout.strip() != "1":
            created = self._psql("postgres", f"CREATE DATABASE {DATABASE}")
            if created.returncode != 0:
                raise RuntimeError(f"CREATE DATABASE failed: {created.stderr}")

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown (SIGINT) of the postmaster, by its PID; SIGQUIT if it hangs."""
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGINT)
        if not _gone(pid, self.server, timeout):
            os.kill(pid, signal.SIGQUIT)
            _gone(pid, self.server, 10)


    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _gone(pid: int, child: subprocess.Popen | None, timeout: float) -> bool:
    """Wait until process `pid` has exited (reaping it if it is our child)."""
    if child is not None and child.pid == pid:
        try:
            child.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("folder", help="where the cluster lives (a short path: the socket is there)")
    args = parser.parse_args(argv)
    cluster = Cluster(args.folder)
    try:
        if args.action == "start":
            print(cluster.start())
        else:
            cluster.stop()
    except RuntimeError as error:
        print(f"postgres.py: {error}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
