"""The time-series store: a PostgreSQL cluster the hub runs, one database per user and group.

Why PostgreSQL and not Debian's InfluxDB 1.6: PostgreSQL is already a dependency of the
platform at scale (the hub's and the library's databases), it has real roles and
per-database privileges (a user's database is theirs alone, a group's its members'), COPY
writes batches of points fast, plain SQL reads them straight into pandas, and it is
maintained; InfluxDB 1.6 is a release of 2018.

Layout, in ``$DTAAS_DATA_DIR/services/timeseries/``:

- ``data/``: the cluster, owned by the unprivileged account that runs PostgreSQL
  (``dtaas-services`` when the hub runs as root), mode 0700; its ``pg_hba.conf``, written
  at every start, allows only scram-sha-256 password logins over TCP from 127.0.0.1 (and
  the networks of ``DTAAS_TIMESERIES_CLIENTS``); there is no Unix socket;
- ``secret``: the key of every user's password (an HMAC of the user name), 0600;
- ``superuser``: the password of the cluster's superuser ``dtaas``, 0600;
- ``users.json``: each user's groups as last prepared, and whether that is applied.

``services/`` and this folder stay root's alone (0700): postgres is handed its data folder
as an open descriptor rather than walking the path.

``python -m platform_services.timeseries`` is the hub-managed service: it makes the
cluster on first start, runs ``postgres`` in the foreground and starts it again if it
dies. ``prepare_user`` runs before each spawn: role ``u_<user>`` (LOGIN), database
``ts_<user>`` owned by it; for each group a NOLOGIN role ``g_<group>`` and a database
``ts_g_<group>`` only that role may use, the user made a member; memberships of groups
left are revoked. Every database has a table ``points(series, t, value, tags)``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

NAME = "timeseries"
ACCOUNT = "dtaas-services"
SUPERUSER = "dtaas"
# bumped when what prepare_user makes changes, so every user is prepared again
SCHEMA_VERSION = 1
# how long a spawn waits for a store that does not answer: a hub's first spawns may come
# while the cluster is still being made; once it timed out, spawns wait briefly for a while
PREPARE_WAIT_S = 10.0
PREPARE_WAIT_AFTER_TIMEOUT_S = 1.0
_timed_out = {"at": -1e9}
CONNECTION_LIMIT = 32
USER_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# a name kept as it is (its hyphens made underscores): never "__", never a trailing "_"
_PLAIN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_PLAIN_MAX = 48
POINTS_TABLE = """
CREATE TABLE IF NOT EXISTS points (
    series text NOT NULL,
    t timestamptz NOT NULL,
    value double precision,
    tags jsonb
)"""
POINTS_INDEX = "CREATE INDEX IF NOT EXISTS points_series_t ON points (series, t)"

log = logging.getLogger("JupyterHub").getChild(NAME)


class StoreDown(RuntimeError):
    """The cluster does not answer (yet)."""


# --- names and credentials -----------------------------------------------------------


def _body(kind: str, name: str) -> str:
    """A safe identifier part for a user (``u``) or group (``g``), one-to-one.

    Plain names keep their letters and digits, hyphens become underscores; any other name
    is sanitised and suffixed with ``__`` and a hash of it, which no plain name can hold.
    A user whose plain form starts with ``g_`` is hashed too, so that ``ts_<user>`` never
    meets ``ts_g_<group>``.
    """
    if _PLAIN.match(name) and len(name) <= _PLAIN_MAX and not (kind == "u" and name[:2] == "g-"):
        return name.replace("-", "_")
    digest = hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:16]
    readable = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:32]
    return f"{readable}__{digest}"


def role_name(user: str) -> str:
    return f"u_{_body('u', user)}"


def group_role(group: str) -> str:
    return f"g_{_body('g', group)}"


def user_database(user: str) -> str:
    return f"ts_{_body('u', user)}"


def group_database(group: str) -> str:
    return f"ts_{group_role(group)}"  # ts_g_<group>


def folder(settings) -> Path:
    return Path(settings.services_dir) / NAME


def _secret_file(path: Path, size: int = 32) -> str:
    """A random secret kept in ``path`` (0600), made on first use (two first uses agree)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}-{secrets.token_hex(8)}")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(size) + "\n")
        f.flush()
        os.fsync(f.fileno())
    with contextlib.suppress(FileExistsError):
        os.link(staged, path)  # never replaces one made meanwhile
    staged.unlink()
    return path.read_text().strip()


def password(settings, user: str) -> str:
    """The user's password: an HMAC of the name with the store's secret."""
    key = _secret_file(folder(settings) / "secret").encode()
    return hmac.new(key, user.encode(), hashlib.sha256).hexdigest()


def superuser_password(settings) -> str:
    return _secret_file(folder(settings) / "superuser")


def scram_verifier(secret: str, iterations: int = 4096) -> str:
    """What PostgreSQL stores for a scram-sha-256 password, computed here so the password
    itself never travels to the server or into its logs."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def client_host() -> str:
    """Where servers reach the store (another address for a containerised profile)."""
    return os.environ.get("DTAAS_TIMESERIES_HOST") or "127.0.0.1"


# --- the hub's side: service entry, users, environment, health ---------------------------


def service(settings) -> dict:
    """The hub-managed supervisor of the cluster."""
    env = {
        "DTAAS_DATA_DIR": str(settings.data_dir),
        "DTAAS_PORT": str(settings.port),
        "DTAAS_TIMESERIES_PORT": str(settings.timeseries_port),
    }
    for name in ("DTAAS_TIMESERIES_LISTEN", "DTAAS_TIMESERIES_CLIENTS", "DTAAS_PG_BIN"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return {
        "name": NAME,
        "command": [sys.executable, "-m", "platform_services.timeseries"],
        "environment": env,
        "cwd": str(settings.services_dir),
        "display": False,
    }


class _Users:
    """``users.json``: each user's groups and the digest of what was last applied."""

    def __init__(self, settings):
        self.path = folder(settings) / "users.json"

    @contextlib.contextmanager
    def locked(self) -> Iterator[dict]:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            users = self.read()
            before = json.dumps(users, sort_keys=True)
            yield users
            if json.dumps(users, sort_keys=True) != before:
                staged = self.path.with_suffix(".tmp")
                fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as f:
                    json.dump(users, f, sort_keys=True)
                os.replace(staged, self.path)

    def read(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return {}


def _cluster_id(settings) -> str | None:
    try:
        return (folder(settings) / "cluster-id").read_text().strip()
    except FileNotFoundError:
        return None


def _digest(settings, user: str, groups: list[str]) -> str | None:
    cluster = _cluster_id(settings)
    if cluster is None:
        return None
    raw = json.dumps([SCHEMA_VERSION, cluster, user, groups, password(settings, user)])
    return hashlib.sha256(raw.encode()).hexdigest()


def _connect(settings, dbname: str = "postgres", timeout: float = 2.0):
    import psycopg

    try:
        return psycopg.connect(
            host="127.0.0.1",
            port=settings.timeseries_port,
            user=SUPERUSER,
            password=superuser_password(settings),
            dbname=dbname,
            connect_timeout=max(1, round(timeout)),
            autocommit=True,
            application_name="dtaas-hub",
        )
    except psycopg.OperationalError as e:
        raise StoreDown(str(e).strip()) from None


def _wait_connect(settings, wait: float):
    deadline = time.monotonic() + wait
    while True:
        try:
            return _connect(settings)
        except StoreDown:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def prepare_user(settings, user: str, groups: list[str]) -> None:
    """The user's role and database, their groups' roles and databases, the memberships.

    Skipped when nothing changed since the last time. If the store does not answer within
    ``PREPARE_WAIT_S`` the server starts anyway; the service applies it once it is up.
    """
    groups = sorted(set(groups))
    users = _Users(settings)
    with users.locked() as state:
        entry = state.setdefault(user, {})
        entry["groups"] = groups
        digest = _digest(settings, user, groups)
        if digest is not None and entry.get("applied") == digest:
            return
    recently = time.monotonic() - _timed_out["at"] < 60
    try:
        wait = PREPARE_WAIT_AFTER_TIMEOUT_S if recently else PREPARE_WAIT_S
        with _wait_connect(settings, wait) as conn:
            apply_user(settings, conn, user, groups)
    except StoreDown as e:
        _timed_out["at"] = time.monotonic()
        log.warning("time-series store not ready, %s is prepared when it is: %s", user, e)
        return
    _mark_applied(settings, user, groups)


def _mark_applied(settings, user: str, groups: list[str]) -> None:
    with _Users(settings).locked() as state:
        entry = state.setdefault(user, {})
        if entry.get("groups", groups) == groups:
            entry["groups"] = groups
            entry["applied"] = _digest(settings, user, groups)


def apply_user(settings, conn, user: str, groups: list[str]) -> None:
    """Make the user's roles, databases, tables and memberships (idempotent)."""
    from psycopg import sql

    role = role_name(user)
    conn.execute("SELECT pg_advisory_lock(7171)")  # one preparation at a time
    try:
        verifier = sql.Literal(scram_verifier(password(settings, user)))
        if _exists(conn, "pg_roles", "rolname", role):
            conn.execute(
                sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                    sql.Identifier(role), verifier
                )
            )
        else:
            conn.execute(
                sql.SQL("CREATE ROLE {} WITH LOGIN INHERIT CONNECTION LIMIT {} PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(CONNECTION_LIMIT), verifier
                )
            )
        database = user_database(user)
        _database(settings, conn, database, owner=role)
        wanted = set()
        for group in groups:
            grole = group_role(group)
            wanted.add(grole)
            if not _exists(conn, "pg_roles", "rolname", grole):
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(grole)))
            _database(settings, conn, group_database(group), member=grole)
            conn.execute(
                sql.SQL("GRANT {} TO {}").format(sql.Identifier(grole), sql.Identifier(role))
            )
        held = conn.execute(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
            " JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
            [role],
        ).fetchall()
        for (grole,) in held:
            if grole not in wanted:
                conn.execute(
                    sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(grole), sql.Identifier(role))
                )
                # sessions opened while a member keep no access
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE usename = %s AND datname = %s",
                    [role, f"ts_{grole}"],
                )
    finally:
        conn.execute("SELECT pg_advisory_unlock(7171)")


def _exists(conn, table: str, column: str, value: str) -> bool:
    from psycopg import sql

    query = sql.SQL("SELECT 1 FROM {} WHERE {} = %s").format(
        sql.Identifier(table), sql.Identifier(column)
    )
    return conn.execute(query, [value]).fetchone() is not None


def _database(settings, conn, name: str, owner: str | None = None, member: str | None = None):
    """A database with its ``points`` table: the owner's alone, or usable by ``member``."""
    from psycopg import sql

    ident = sql.Identifier(name)
    if not _exists(conn, "pg_database", "datname", name):
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8'").format(
                ident, sql.Identifier(owner or SUPERUSER)
            )
        )
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident))
    if member:
        conn.execute(
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                ident, sql.Identifier(member)
            )
        )
    with _connect(settings, name) as db:
        db.execute(POINTS_TABLE)
        db.execute(POINTS_INDEX)
        if owner:
            db.execute(sql.SQL("ALTER TABLE points OWNER TO {}").format(sql.Identifier(owner)))
        if member:
            who = sql.Identifier(member)
            db.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON points TO {}").format(who))
            db.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(who))


def user_env(settings, user: str) -> dict[str, str]:
    """Endpoint and credentials of the user's store, and their groups' databases."""
    from urllib.parse import quote

    groups = _Users(settings).read().get(user, {}).get("groups", [])
    return {
        "DTAAS_TS_HOST": client_host(),
        "DTAAS_TS_PORT": str(settings.timeseries_port),
        "DTAAS_TS_USER": role_name(user),
        "DTAAS_TS_PASSWORD": password(settings, user),
        "DTAAS_TS_DATABASE": user_database(user),
        "DTAAS_TS_GROUP_DATABASES": ",".join(
            f"{quote(g, safe='')}={group_database(g)}" for g in groups
        ),
    }


def health(settings) -> dict:
    try:
        with _connect(settings, timeout=2) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            (count,) = conn.execute(
                "SELECT count(*) FROM pg_database WHERE datname LIKE 'ts\\_%'"
            ).fetchone()
    except StoreDown as e:
        return {"name": NAME, "ok": False, "detail": f"not reachable: {e}"}
    detail = f"PostgreSQL {version} on 127.0.0.1:{settings.timeseries_port}, {count} databases"
    return {"name": NAME, "ok": True, "detail": detail}


# --- the service: make the cluster, run postgres, restart it ------------------------------


def pg_bin() -> Path:
    """The newest of Debian's PostgreSQL server binaries (or ``DTAAS_PG_BIN``)."""
    if os.environ.get("DTAAS_PG_BIN"):
        return Path(os.environ["DTAAS_PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise RuntimeError(
            "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/postgres): "
            "make install installs Debian's postgresql"
        )
    return found[-1].parent


def service_account() -> pwd.struct_passwd | None:
    """The unprivileged account the platform's services run as when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(ACCOUNT)
    except KeyError:
        pass
    done = subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent"]
        + ["--shell", "/usr/sbin/nologin", "--comment", "DTaaS platform services", ACCOUNT],
        capture_output=True,
        text=True,
        timeout=60,
    )
    try:  # made meanwhile by another service is as good
        return pwd.getpwnam(ACCOUNT)
    except KeyError:
        raise RuntimeError(f"useradd {ACCOUNT} failed: {done.stderr.strip()}") from None


class Supervisor:
    """Runs the cluster in the foreground and starts it again whenever it dies."""

    def __init__(self, settings):
        self.settings = settings
        self.home = folder(settings)
        self.data = self.home / "data"
        self.bin = pg_bin()
        self.account = service_account()
        self.stopping = threading.Event()
        self.proc: subprocess.Popen | None = None

    # one-time layout
    def lay_out(self) -> None:
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.home.chmod(0o700)
        superuser_password(self.settings)
        _secret_file(self.home / "secret")
        if not (self.data / "PG_VERSION").exists():
            self.initdb()
        self.write_hba()

    def _owned(self, path: Path, mode: int) -> None:
        path.chmod(mode)
        if self.account is not None:
            os.chown(path, self.account.pw_uid, self.account.pw_gid)

    def _as_account(self):
        account = self.account

        def preexec():
            if account is not None:
                os.setgid(account.pw_gid)
                os.setgroups([])
                os.setuid(account.pw_uid)
            with contextlib.suppress(OSError, AttributeError):
                import ctypes

                # PR_SET_PDEATHSIG: a postgres whose supervisor is gone shuts down
                ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT)

        return preexec

    def _env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "DTAAS_DATA_DIR": str(self.settings.data_dir),
        }

    def initdb(self) -> None:
        """Make the cluster in a scratch folder of the data folder, which the cluster's
        account can reach (``services/`` is root's alone), then move it into place."""
        if self.data.exists():
            shutil.rmtree(self.data)  # a first start cut short
        scratch = Path(self.settings.data_dir) / f".timeseries-init-{secrets.token_hex(8)}"
        scratch.mkdir(mode=0o700)
        self._owned(scratch, 0o700)
        pwfile = scratch / "pw"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(superuser_password(self.settings) + "\n")
        self._owned(pwfile, 0o600)
        log.info("making the time-series cluster in %s", self.data)
        try:
            done = subprocess.run(
                [str(self.bin / "initdb"), "-D", str(scratch / "data"), "-U", SUPERUSER]
                + [f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"],
                capture_output=True,
                text=True,
                timeout=300,
                preexec_fn=self._as_account(),
                env=self._env(),
                cwd="/",
            )
            if done.returncode != 0:
                raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
            os.rename(scratch / "data", self.data)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        # a new cluster: every user is prepared again
        (self.home / "cluster-id").write_text(secrets.token_hex(16) + "\n")
        (self.home / "cluster-id").chmod(0o600)

    def write_hba(self) -> None:
        clients = ["127.0.0.1/32"] + [
            c.strip()
            for c in os.environ.get("DTAAS_TIMESERIES_CLIENTS", "").split(",")
            if c.strip()
        ]
        lines = ["# written by platform_services.timeseries at every start: edits are lost"]
        lines += [f"host all all {c} scram-sha-256" for c in clients]
        hba = self.data / "pg_hba.conf"
        hba.write_text("\n".join(lines) + "\n")
        self._owned(hba, 0o600)

    def command(self, data_fd: int) -> list[str]:
        """postgres reaches its folder through an open descriptor the supervisor passes it:
        the account cannot walk the path, whose ``services/`` is root's alone."""
        listen = ["127.0.0.1"] + [
            a.strip()
            for a in os.environ.get("DTAAS_TIMESERIES_LISTEN", "").split(",")
            if a.strip() and a.strip() != "127.0.0.1"
        ]
        options = {
            "listen_addresses": ",".join(listen),
            "port": str(self.settings.timeseries_port),
            "unix_socket_directories": "",
            # where the cluster is, for whoever reads the process list
            "dtaas.cluster": str(self.data),
            "password_encryption": "scram-sha-256",
            "max_connections": "200",
            "lc_messages": "C",
        }
        cmd = [str(self.bin / "postgres"), "-D", f"/proc/self/fd/{data_fd}"]
        for key, value in options.items():
            cmd += ["-c", f"{key}={value}"]
        return cmd

    # the running cluster
    def start(self) -> subprocess.Popen:
        data_fd = os.open(self.data, os.O_RDONLY | os.O_DIRECTORY)
        try:
            return subprocess.Popen(
                self.command(data_fd),
                preexec_fn=self._as_account(),
                env=self._env(),
                cwd="/",
                stdin=subprocess.DEVNULL,
                pass_fds=[data_fd],
            )
        finally:
            os.close(data_fd)

    def wait_ready(self, proc: subprocess.Popen) -> bool:
        while proc.poll() is None and not self.stopping.is_set():
            try:
                with _connect(self.settings, timeout=1) as conn:
                    self.bootstrap(conn)
                return True
            except StoreDown as e:
                if "password authentication failed" in str(e):
                    log.error(
                        "the cluster refuses the password in %s: users cannot be prepared",
                        self.home / "superuser",
                    )
                    return False
                time.sleep(0.2)
            except Exception as e:  # the store still serves the users already prepared
                log.error("preparing the time-series store failed: %s", e)
                return False
        return False

    def bootstrap(self, conn) -> None:
        """Databases nobody needs are closed to users; pending users are prepared."""
        conn.execute("REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC")
        for user, entry in _Users(self.settings).read().items():
            groups = entry.get("groups", [])
            if self.stopping.is_set():
                return
            if entry.get("applied") != _digest(self.settings, user, groups):
                try:
                    apply_user(self.settings, conn, user, groups)
                except Exception as e:  # one user's problem must not keep the store down
                    log.error("preparing %s in the time-series store failed: %s", user, e)
                    continue
                _mark_applied(self.settings, user, groups)

    def run(self) -> int:
        self.lay_out()
        backoff = 0.5
        while not self.stopping.is_set():
            started = time.monotonic()
            self.proc = proc = self.start()
            log.info("postgres %s listening on port %s", proc.pid, self.settings.timeseries_port)
            if self.wait_ready(proc):
                log.info("time-series store ready")
            while proc.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(0.5)
            if self.stopping.is_set():
                break
            if time.monotonic() - started > 30:
                backoff = 0.5
            log.error(
                "postgres exited with %s; starting it again in %.1fs", proc.returncode, backoff
            )
            self.stopping.wait(backoff)
            backoff = min(backoff * 2, 4.0)
        return 0

    def stop(self, *_args) -> None:
        self.stopping.set()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # fast shutdown: sessions ended, data safe


def main() -> int:
    from hub_config.settings import load_settings

    logging.basicConfig(
        level=logging.INFO, format="[%(levelname).1s %(asctime)s timeseries] %(message)s"
    )
    supervisor = Supervisor(load_settings())
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, supervisor.stop)
    code = supervisor.run()
    proc = supervisor.proc
    if proc is not None:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGQUIT)
            proc.wait(10)
    return code


if __name__ == "__main__":
    sys.exit(main())
