"""System accounts for workspaces: one per user, one group per group library.

On the local profile, isolation between users comes from the operating system:
each user's servers and kernels run under an account of their own whose home is
the workspace (mode 0700). Group libraries belong to a system group that holds
the accounts of the group's members.
"""

from __future__ import annotations

import grp
import hashlib
import pwd
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

PREFIX = "dtaas-"
GROUP_PREFIX = "dtaas-g-"
# JupyterHub user names never hold "_", so the hashed form cannot meet a plain one
HASHED_PREFIX = "dtaas_"
MAX_ACCOUNT = 32
_PLAIN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NOLOGIN = "/usr/sbin/nologin"


class AccountError(RuntimeError):
    """An account cannot be made or is not the one we made; the message says why."""

    @property
    def jupyterhub_message(self) -> str:
        """What the hub shows the user whose server could not start."""
        return str(self)


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int
    home: str


def _name(prefix: str, name: str) -> str:
    candidate = prefix + name
    if _PLAIN.match(name) and len(candidate) <= MAX_ACCOUNT:
        return candidate
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{HASHED_PREFIX}{prefix.strip('-').replace('-', '_')}_{digest}"


def account_name(user: str) -> str:
    """The system account of a JupyterHub user: ``dtaas-<user>``, hashed if it cannot be."""
    return _name(PREFIX, user)


def group_name(group: str) -> str:
    """The system group of a group library: ``dtaas-g-<group>``, hashed if it cannot be."""
    return _name(GROUP_PREFIX, group)


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise AccountError(f"{' '.join(args)} failed: {done.stderr.strip() or done.returncode}")


def _comment(user: str) -> str:
    return f"DTaaS workspace of {user}"


def ensure_account(user: str, home: Path) -> Account:
    """The user's account, created on first use with ``home`` as its home.

    An existing account of that name is only taken if it says it is this user's
    workspace account, so a system account that happens to have the name is never
    borrowed. Servers get their HOME from the spawner, so an account made by another
    instance of the platform (another data folder) serves as well.
    """
    name = account_name(user)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        _run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                str(home),
                "--shell",
                NOLOGIN,
                "--comment",
                _comment(user),
                name,
            ]
        )
        entry = pwd.getpwnam(name)
    if entry.pw_gecos != _comment(user):
        raise AccountError(
            f"system account {name!r} exists but is not the DTaaS workspace account of "
            f"{user!r} (its comment is {entry.pw_gecos!r})"
        )
    return Account(name=name, uid=entry.pw_uid, gid=entry.pw_gid, home=str(home))


def ensure_group(group: str) -> int:
    """The gid of a group library's system group, created on first use."""
    name = group_name(group)
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        _run(["groupadd", "--system", name])
        return grp.getgrnam(name).gr_gid


def set_groups(account: Account, groups: list[str]) -> list[int]:
    """Make ``account`` a member of exactly these group libraries' system groups."""
    names = [group_name(g) for g in groups]
    for g in groups:
        ensure_group(g)
    current = {g.gr_name for g in grp.getgrall() if account.name in g.gr_mem}
    ours = {n for n in current if n.startswith((GROUP_PREFIX, HASHED_PREFIX))}
    if ours != set(names):
        _run(["usermod", "-G", ",".join(sorted(set(names))), account.name])
    return [grp.getgrnam(n).gr_gid for n in names]


def unreachable_ancestor(path: Path) -> Path | None:
    """The first folder above ``path`` that other accounts cannot pass through, if any."""
    for folder in [*reversed(path.parents), path]:
        try:
            mode = folder.stat().st_mode
        except OSError:
            return folder
        if not mode & 0o001:
            return folder
    return None
