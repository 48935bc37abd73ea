"""The MQTT broker: Debian's mosquitto 2.0, run by a small supervisor the hub manages.

``python -m platform_services.mqtt`` (the hub's managed service ``mqtt``) writes the
broker's configuration, starts mosquitto in the foreground and starts it again whenever
it dies; the hub starts the supervisor again if that dies.

On disk, below ``services/mqtt/`` (the services folder is root's, 0700):

- ``secret`` (0600): the key every password is derived from (HMAC-SHA256 of the name);
- ``users.json``: who the broker knows, with their groups (the ACL is made from it);
- ``broker.pid``: the running broker's pid, for a reload (SIGHUP) after a change;
- ``broker/`` (0700, the broker account's): ``mosquitto.conf``, ``passwd``, ``acl``.

Started as root, mosquitto drops to its own account (``mosquitto``) before it reads its
password and ACL files, and again at each reload. That account cannot pass through the
services folder, so the supervisor starts the broker *inside* ``broker/`` and names every
file relative to it: opening a relative name checks the working folder only, not its
parents. Users' accounts reach none of it; the broker's account cannot read the secret.

Topics: a user ``u`` reads and writes ``dt/u/#`` and ``dt/groups/<g>/#`` of each of
their groups; nothing else. Anonymous clients are refused.
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
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

NAME = "mqtt"
# the platform's own credential (health checks): not a valid hub user name, which
# must start with a letter or digit
PLATFORM_USER = "_dtaas"
PLATFORM_TOPICS = "_dtaas/#"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
BIND_ENV = "DTAAS_MQTT_BIND"  # the address the broker listens on (a Docker profile sets its own)
HOST_ENV = "DTAAS_MQTT_HOST"  # the address servers reach it at, when not the bind address
ACCOUNT_ENV = "DTAAS_MQTT_ACCOUNT"  # the account mosquitto drops to when started as root
MOSQUITTO_ENV = "DTAAS_MOSQUITTO"  # the mosquitto binary, when not on PATH or in /usr/sbin
DEFAULT_BIND = "127.0.0.1"
DEFAULT_ACCOUNT = "mosquitto"
# mosquitto's own PBKDF2 format ($7$: PBKDF2-HMAC-SHA512) with its default iterations
PBKDF2_ITERATIONS = 101
SALT_BYTES = 12

log = logging.getLogger("dtaas.mqtt")
_LOCK = threading.Lock()


# --- credentials and files, pure ------------------------------------------------


def password(secret: bytes, user: str) -> str:
    """A user's broker password: HMAC-SHA256 of the name, so nothing per user is kept."""
    return hmac.new(secret, user.encode(), hashlib.sha256).hexdigest()


def password_entry(user: str, secret: bytes) -> str:
    """One line of mosquitto's password file for ``user``: ``user:$7$iter$salt$hash``.

    Written with hashlib rather than ``mosquitto_passwd``: no process per user, and the
    salt can be derived from the secret, so the file is a pure function of the secret
    and the users and a rewrite of an unchanged set is byte-identical (nothing to
    write, no reload). A fixed salt and mosquitto's low iteration count cost nothing
    here: each password is 256 random-looking bits, not something a person chose.
    """
    salt = hmac.new(secret, b"salt\0" + user.encode(), hashlib.sha256).digest()[:SALT_BYTES]
    return f"{user}:{pbkdf2_hash(password(secret, user), salt)}"


def pbkdf2_hash(pw: str, salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> str:
    """``$7$<iterations>$<salt>$<hash>`` as mosquitto 2.0 reads it (base64, SHA-512)."""
    digest = hashlib.pbkdf2_hmac("sha512", pw.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"$7${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def valid_name(name: str) -> bool:
    """A user or group name safe in an ACL line and a topic level (no wildcard, no /)."""
    return bool(NAME_PATTERN.fullmatch(name))


def clean_groups(groups: Iterable[str]) -> list[str]:
    """The groups that can have topics, sorted; others are left out with a warning."""
    kept = set()
    for group in groups:
        if valid_name(group):
            kept.add(group)
        else:
            log.warning("group %r has no MQTT topics: its name cannot be a topic level", group)
    return sorted(kept)


def password_file(secret: bytes, users: Iterable[str]) -> str:
    names = sorted({PLATFORM_USER, *users})
    return "".join(password_entry(u, secret) + "\n" for u in names)


def acl_file(users: Mapping[str, Iterable[str]]) -> str:
    """``user <u>`` may read and write ``dt/<u>/#`` and ``dt/groups/<g>/#`` of its groups."""
    lines = [
        "# written by the platform from users.json; changes here are lost",
        f"user {PLATFORM_USER}",
        f"topic readwrite {PLATFORM_TOPICS}",
    ]
    for user in sorted(users):
        if not valid_name(user):
            raise ValueError(f"user name {user!r} cannot be an MQTT user")
        lines += ["", f"user {user}", f"topic readwrite dt/{user}/#"]
        lines += [f"topic readwrite dt/groups/{g}/#" for g in clean_groups(users[user])]
    return "\n".join(lines) + "\n"


def broker_config(port: int, bind: str, account: str | None) -> str:
    """mosquitto.conf; every file named relative to the broker's folder (see above)."""
    lines = [
        "# written by the platform at each start of the broker; changes here are lost",
        "per_listener_settings false",
        f"listener {port} {bind}",
        "allow_anonymous false",
        "password_file passwd",
        "acl_file acl",
        "persistence false",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",  # starts, stops, reloads; not every connection:
        "connection_messages false",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
    ]
    if account:
        lines.append(f"user {account}")
    return "\n".join(lines) + "\n"


# --- the folder ------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def broker(self) -> Path:
        return self.root / "broker"

    @property
    def secret(self) -> Path:
        return self.root / "secret"

    @property
    def users(self) -> Path:
        return self.root / "users.json"

    @property
    def pid(self) -> Path:
        return self.root / "broker.pid"


def layout(settings) -> Layout:
    return Layout(Path(settings.services_dir) / NAME)


def broker_account(strict: bool = False) -> pwd.struct_passwd | None:
    """The account mosquitto runs as when started as root; None when not root.

    A missing account is the supervisor's error (``strict``); the hub only warns, so
    that servers still start, without a broker.
    """
    if os.geteuid() != 0:
        return None
    name = os.environ.get(ACCOUNT_ENV) or DEFAULT_ACCOUNT
    try:
        return pwd.getpwnam(name)
    except KeyError:
        why = (
            f"the MQTT broker's account {name!r} does not exist (Debian's mosquitto package "
            f"makes it; set {ACCOUNT_ENV} to use another)"
        )
        if strict:
            raise RuntimeError(why) from None
        log.warning("%s", why)
        return None


def ensure_layout(lay: Layout) -> None:
    lay.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    lay.root.chmod(0o700)
    lay.broker.mkdir(mode=0o700, exist_ok=True)
    lay.broker.chmod(0o700)
    account = broker_account()
    if account is not None:
        os.chown(lay.broker, account.pw_uid, account.pw_gid)


def read_secret(lay: Layout) -> bytes:
    """The key passwords derive from, made on first use (0600; two first uses agree)."""
    try:
        return bytes.fromhex(lay.secret.read_text().strip())
    except FileNotFoundError:
        pass
    lay.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = lay.root / f".secret-{uuid.uuid4().hex}"
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
        f.flush()
        os.fsync(f.fileno())
    with contextlib.suppress(FileExistsError):
        os.link(staged, lay.secret)  # never replaces a secret someone made meanwhile
    staged.unlink()
    return bytes.fromhex(lay.secret.read_text().strip())


def write_file(path: Path, text: str, owner: pwd.struct_passwd | None = None) -> bool:
    """Write ``text`` to ``path`` (0600) by staging it and renaming; False when unchanged."""
    with contextlib.suppress(FileNotFoundError):
        if path.read_text() == text:
            return False
    staged = path.with_name(f".{path.name}-{uuid.uuid4().hex}")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if owner is not None:
            os.chown(staged, owner.pw_uid, owner.pw_gid)
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return True


@contextlib.contextmanager
def _locked(lay: Layout):
    """One writer at a time, across threads of the hub and the supervisor's process."""
    lay.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _LOCK, open(lay.root / ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def load_users(lay: Layout) -> dict[str, list[str]]:
    try:
        data = json.loads(lay.users.read_text())
    except FileNotFoundError:
        return {}
    return {str(u): [str(g) for g in gs] for u, gs in data.items()}


def write_broker_files(lay: Layout, users: Mapping[str, Iterable[str]]) -> bool:
    """The password and ACL files for ``users``; True when either changed."""
    secret = read_secret(lay)
    account = broker_account()
    changed = write_file(lay.broker / "passwd", password_file(secret, users), account)
    return write_file(lay.broker / "acl", acl_file(users), account) or changed


def broker_pid(lay: Layout) -> int | None:
    """The running broker's pid, checked to be our mosquitto (a stale pid is None)."""
    try:
        pid = int(lay.pid.read_text().strip())
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except (OSError, ValueError):
        return None
    if comm != "mosquitto" or Path(cwd) != lay.broker.resolve():
        return None
    return pid


def reload_broker(lay: Layout) -> bool:
    """SIGHUP the broker: it reads its password and ACL files again."""
    pid = broker_pid(lay)
    if pid is None:
        return False  # not running: it reads the new files when it starts
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGHUP)
        return True
    return False


# --- what the hub calls ---------------------------------------------------------


def bind_address() -> str:
    return os.environ.get(BIND_ENV) or DEFAULT_BIND


def client_host() -> str:
    """Where servers reach the broker."""
    host = os.environ.get(HOST_ENV)
    if host:
        return host
    bind = bind_address()
    return "127.0.0.1" if bind in ("0.0.0.0", "::", "*") else bind


def mosquitto_binary() -> str:
    found = os.environ.get(MOSQUITTO_ENV) or shutil.which(
        "mosquitto", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin"
    )
    if not found:
        raise RuntimeError(
            f"mosquitto is not installed (make install puts Debian's there; or set {MOSQUITTO_ENV})"
        )
    return found


def service(settings) -> dict:
    """The supervisor, as a hub-managed service (no URL: it speaks MQTT, not HTTP)."""
    lay = layout(settings)
    ensure_layout(lay)
    read_secret(lay)
    return {
        "name": NAME,
        "command": [sys.executable, "-m", "platform_services.mqtt"],
        "cwd": str(lay.root),
        "environment": {
            "DTAAS_DATA_DIR": str(settings.data_dir),
            "DTAAS_MQTT_DIR": str(lay.root),
            "DTAAS_MQTT_PORT": str(settings.mqtt_port),
            BIND_ENV: bind_address(),
            ACCOUNT_ENV: os.environ.get(ACCOUNT_ENV) or DEFAULT_ACCOUNT,
            MOSQUITTO_ENV: os.environ.get(MOSQUITTO_ENV, ""),
            "PYTHONUNBUFFERED": "1",
        },
        "display": False,
    }


def prepare_user(settings, user: str, groups: list[str]) -> None:
    """The user's password and topics in the broker's files, then a reload if they changed."""
    if not valid_name(user):
        raise ValueError(f"user name {user!r} cannot be an MQTT user")
    lay = layout(settings)
    wanted = clean_groups(groups)
    with _locked(lay):
        users = load_users(lay)
        files = (lay.broker / "passwd", lay.broker / "acl")
        if users.get(user) == wanted and all(f.exists() for f in files):
            return
        ensure_layout(lay)
        users[user] = wanted
        write_file(lay.users, json.dumps(users, indent=1, sort_keys=True) + "\n")
        changed = write_broker_files(lay, users)
    if changed:
        reload_broker(lay)


def user_env(settings, user: str) -> dict[str, str]:
    return {
        "DTAAS_MQTT_HOST": client_host(),
        "DTAAS_MQTT_PORT": str(settings.mqtt_port),
        "DTAAS_MQTT_USERNAME": user,
        "DTAAS_MQTT_PASSWORD": password(read_secret(layout(settings)), user),
        "DTAAS_MQTT_PREFIX": f"dt/{user}/",
    }


def health(settings, timeout: float = 3.0) -> dict:
    """Connect with the platform's own credential and pass one message through."""
    import paho.mqtt.client as mqtt

    lay = layout(settings)
    where = f"{client_host()}:{settings.mqtt_port}"
    got = threading.Event()
    topic = f"_dtaas/health/{uuid.uuid4().hex}"
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"_dtaas-health-{os.getpid()}")
    client.username_pw_set(PLATFORM_USER, password(read_secret(lay), PLATFORM_USER))
    client.connect_timeout = timeout
    client.on_message = lambda c, u, m: got.set()
    connected: list = []

    def on_connect(c, u, flags, reason, props):
        connected.append(reason)
        if not reason.is_failure:
            c.subscribe(topic)

    client.on_connect = on_connect
    client.on_subscribe = lambda c, u, mid, codes, props: c.publish(topic, b"ping")
    try:
        client.connect(client_host(), settings.mqtt_port)
    except OSError as e:
        return {"name": NAME, "ok": False, "detail": f"{where}: {e}"}
    client.loop_start()
    try:
        ok = got.wait(timeout)
    finally:
        client.disconnect()
        client.loop_stop()
    if ok:
        return {"name": NAME, "ok": True, "detail": f"mosquitto at {where} passes messages"}
    if connected and connected[0].is_failure:
        return {"name": NAME, "ok": False, "detail": f"{where} refused: {connected[0]}"}
    return {"name": NAME, "ok": False, "detail": f"{where}: no answer within {timeout:g}s"}


# --- the supervisor -------------------------------------------------------------


class Supervisor:
    """Writes the broker's files, runs mosquitto in the foreground, restarts it when it dies."""

    def __init__(self, lay: Layout, port: int, bind: str):
        self.lay = lay
        self.port = port
        self.bind = bind
        self.stopping = False
        self.proc: subprocess.Popen | None = None

    def prepare(self) -> None:
        account = broker_account(strict=True)
        with _locked(self.lay):
            ensure_layout(self.lay)
            config = broker_config(self.port, self.bind, account and account.pw_name)
            write_file(self.lay.broker / "mosquitto.conf", config, account)
            write_broker_files(self.lay, load_users(self.lay))
        self._end_orphan()

    def _end_orphan(self) -> None:
        """A broker left by a supervisor that was killed would hold the port."""
        pid = broker_pid(self.lay)
        if pid is None:
            return
        log.warning("ending the broker (pid %d) a previous supervisor left running", pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while broker_pid(self.lay) == pid and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def start_broker(self) -> None:
        self.proc = subprocess.Popen(
            [mosquitto_binary(), "-c", "mosquitto.conf"], cwd=self.lay.broker
        )
        write_file(self.lay.pid, f"{self.proc.pid}\n")
        log.info("mosquitto (pid %d) listens on %s:%d", self.proc.pid, self.bind, self.port)

    def stop(self, *_args) -> None:
        self.stopping = True

    def forward_reload(self, *_args) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGHUP, self.forward_reload)
        self.prepare()
        delay = 0.25
        while not self.stopping:
            started = time.monotonic()
            self.start_broker()
            while not self.stopping:
                try:
                    code = self.proc.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    continue
            if self.stopping:
                break
            # a broker that keeps dying right away is retried less and less often
            delay = 0.5 if time.monotonic() - started > 10 else min(delay * 2, 10.0)
            log.error("mosquitto exited with %s; starting it again in %.1fs", code, delay)
            end = time.monotonic() + delay
            while not self.stopping and time.monotonic() < end:
                time.sleep(0.05)
        self._end_broker()
        return 0

    def _end_broker(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.lay.pid.unlink(missing_ok=True)


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="[%(levelname).1s %(asctime)s dtaas.mqtt] %(message)s"
    )
    root = os.environ.get("DTAAS_MQTT_DIR")
    port = os.environ.get("DTAAS_MQTT_PORT")
    if not root or not port:
        print("DTAAS_MQTT_DIR and DTAAS_MQTT_PORT must be set (the hub sets them)", file=sys.stderr)
        return 2
    try:
        return Supervisor(Layout(Path(root)), int(port), bind_address()).run()
    except RuntimeError as e:  # no mosquitto, no account: said once, slowly retried
        log.error("%s", e)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)  # a stop meanwhile ends the wait
        time.sleep(10)
        return 1


if __name__ == "__main__":
    sys.exit(main())
