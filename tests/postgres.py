"""A throwaway PostgreSQL server for the tests: Debian's PostgreSQL 15, its own data
folder, a free port, its socket in that folder. As root the server runs as ``postgres``."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_databases = itertools.count()


class Postgres:
    """A throwaway server: its own data folder, a free port, its socket in that folder."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="dtaas-pg-"))
        self.as_owner: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            shutil.chown(self.base, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.data = self.base / "data"
        self.port = free_port()

    def run(self, *cmd: str | Path) -> None:
        subprocess.run(
            [*self.as_owner, *map(str, cmd)], check=True, capture_output=True, timeout=120
        )

    def start(self) -> Postgres:
        self.run(
            PG_BIN / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
        )
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            PG_BIN / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.base / "log",
            "-w",
            "-o",
            options,
            "start",
        )
        return self

    def stop(self) -> None:
        try:
            self.run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def new_database(self, prefix: str = "library") -> str:
        """A new empty database; its SQLAlchemy URL (psycopg 3, over the socket)."""
        import psycopg

        name = f"{prefix}{next(_databases)}"
        with psycopg.connect(
            host=str(self.base), port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@/{name}?host={self.base}&port={self.port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
