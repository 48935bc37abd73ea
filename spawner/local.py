"""The local profile's spawner: one process per server, the workspace as its home."""

from __future__ import annotations

import asyncio
import os
import resource
import sys
from collections.abc import Callable as Callable_
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Bool, Unicode, default

from asset_library.fsutil import own_tree

from . import accounts
from .platform import PlatformServer
from .workspace import lay_out_workspace

WORKSPACE_MODE = 0o700
UMASK = 0o007
# one account is made at a time: useradd and usermod lock /etc/passwd themselves,
# but two spawns of one user must not race to create the same account
_ACCOUNTS = asyncio.Lock()


class IsolationError(accounts.AccountError):
    """A server cannot start with the isolation the platform promises."""


class WorkspaceSpawner(PlatformServer, LocalProcessSpawner):
    """Starts ``jupyterhub-singleuser`` in ``$DTAAS_DATA_DIR/users/<name>``.

    Every server of a user (default and named) shares that workspace. When the
    hub runs as root, each user's servers and kernels run under the user's own
    system account (``dtaas-<name>``, home = the workspace, mode 0700), so one
    user's notebooks cannot read another's files or the hub's. Otherwise every
    server runs as the hub's own account, and only one user may use the
    platform unless ``allow_unisolated_users`` is set.
    """

    data_dir = Unicode(config=True, help="The platform's data folder ($DTAAS_DATA_DIR).")
    isolate = Bool(
        config=True,
        help="Run each user's servers under their own system account (needs root).",
    )
    allow_unisolated_users = Bool(
        False,
        config=True,
        help="Without isolation, let more than one user in: they can read each other's files.",
    )
    home_dir = Unicode(help="The user's workspace.")
    _account: accounts.Account | None = None
    _gids: list[int] = []  # noqa: RUF012 (replaced per start, never mutated)

    @default("isolate")
    def _default_isolate(self) -> bool:
        return os.geteuid() == 0

    @default("home_dir")
    def _default_home_dir(self) -> str:
        return str(Path(self.data_dir) / "users" / self.user.name)

    @default("notebook_dir")
    def _default_notebook_dir(self) -> str:
        return self.home_dir

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        return [sys.executable, "-m", "jupyterhub.singleuser"]

    @default("default_url")
    def _default_url(self) -> str:
        return "/lab"

    def get_args(self) -> list[str]:
        args = super().get_args()
        if os.geteuid() == 0 and not self.isolate:
            # the server refuses to start as root without it, and the hub
            # would only see a timeout
            args.append("--allow-root")
        return args

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        env["USER"] = accounts.account_name(self.user.name) if self.isolate else self.user.name
        env["HOME"] = self.home_dir
        env["SHELL"] = "/bin/bash"
        return env

    def workspace_path(self) -> str:
        return self.home_dir

    def make_preexec_fn(self, name):
        """Become the user's account, in the workspace, with the profile's limits.

        The local profile has no containers: CPUs are pinned with the affinity mask
        and memory is capped per process with RLIMIT_DATA. The limits and the
        account hold for every kernel the server starts.
        """
        account = self._account if self.isolate else None
        gids = self._gids
        home = self.home_dir
        cpus = sorted(os.sched_getaffinity(0))
        if self.cpu_limit:
            cpus = cpus[: max(1, int(self.cpu_limit))]
        memory = self.mem_limit
        limit_cpus = bool(self.cpu_limit)

        def preexec():
            if limit_cpus:
                os.sched_setaffinity(0, cpus)
            if memory:
                resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
            if account is not None:
                os.setgid(account.gid)
                os.setgroups(gids)
                os.setuid(account.uid)
            os.umask(UMASK)
            os.chdir(home)

        return preexec

    async def start(self):
        self.apply_profile()
        groups = [g.name for g in self.user.groups]
        async with _ACCOUNTS:
            await asyncio.get_running_loop().run_in_executor(None, self._prepare, groups)
        return await self.listening(await super().start())

    def _prepare(self, groups: list[str]) -> None:
        """Lay out the workspace and, with isolation, give it to the user's account."""
        data = Path(self.data_dir)
        if not self.isolate:
            self._refuse_second_user(data / "users")
        _, self._account, self._gids = prepare_workspace(
            data, self.user.name, groups, self.isolate, self.prepare_services
        )

    def _refuse_second_user(self, users: Path) -> None:
        if self.allow_unisolated_users:
            return
        others = [p.name for p in users.iterdir() if p.is_dir() and p.name != self.user.name]
        if others:
            raise IsolationError(
                "the hub does not run as root, so users are not isolated from each other; "
                f"{self.user.name!r} is refused because {others[0]!r} already has a workspace "
                "(set DTAAS_ALLOW_UNISOLATED_USERS=1 to let users read each other's files)"
            )


def prepare_workspace(
    data: Path,
    user: str,
    groups: list[str],
    isolate: bool,
    prepare_services: Callable_[[str, list[str]], None] | None = None,
) -> tuple[Path, accounts.Account | None, list[int]]:
    """The user's workspace laid out, their services prepared and, with isolation, all of
    it owned by their own system account: (workspace, account, group ids)."""
    users = data / "users"
    home = lay_out_workspace(users, user, data / "common", data / "groups", groups)
    if prepare_services is not None:
        prepare_services(user, groups)
    if not isolate:
        return home, None, []
    for needed in (users, Path(sys.executable)):
        blocked = accounts.unreachable_ancestor(needed.parent)
        if blocked is not None:
            raise IsolationError(
                f"{blocked} is not traversable by other accounts (chmod o+x), so the "
                f"workspace account cannot reach {needed}"
            )
    account = accounts.ensure_account(user, home)
    gids = [account.gid, *accounts.set_groups(account, groups)]
    for group in groups:
        folder = data / "groups" / group
        if folder.is_dir():
            os.chown(folder, 0, accounts.ensure_group(group))
            folder.chmod(0o2770)
    if home.stat().st_uid != account.uid:
        # first start under isolation: the whole workspace becomes the user's
        own_tree(home, account.uid, account.gid)
    else:
        for entry in (home, *home.iterdir()):
            if entry.lstat().st_uid != account.uid:
                own_tree(entry, account.uid, account.gid)
    home.chmod(WORKSPACE_MODE)
    return home, account, gids
