"""Apply the DTaaS configuration to a JupyterHub config object."""

from __future__ import annotations

import os
import pwd
import shutil
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

import platform_services

from .admin_page import configure_admin_page
from .culling import culler_role, culler_service
from .docker import configure_docker, prepare_docker
from .kubernetes import configure_kubernetes
from .oidc import configure_oidc, discover
from .passwords import load_passwords
from .profiles import DEFAULT_PROFILES
from .roles import CUSTOM_SCOPES, SERVER_TOKEN_SCOPES, load_roles
from .seed import seed_common
from .services import library_service
from .settings import Settings, load_settings
from .sharing import configure_sharing

ROOT = Path(__file__).resolve().parent.parent
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"


def _proxy_command() -> list[str]:
    """configurable-http-proxy from the project's node_modules, through ``proxy.mjs``,
    which answers malformed URLs with 400; else the one on PATH as it is."""
    package = ROOT / "node_modules" / "configurable-http-proxy"
    node = shutil.which("node")
    if package.is_dir() and node:
        return [node, str(Path(__file__).with_name("proxy.mjs")), str(package)]
    found = shutil.which("configurable-http-proxy")
    return [found] if found else ["configurable-http-proxy"]


def configure(c, settings: Settings | None = None) -> Settings:
    """Fill ``c`` for the chosen profile; returns the settings used."""
    s = settings or load_settings()
    if s.profile == "docker":
        # the engine, the image and the network first: the services listen on it
        s = replace(s, service_ip=prepare_docker(s))
    lay_out_data(s)

    # gateway: on Kubernetes the chart owns the addresses, the proxy and the database
    if s.profile != "kubernetes":
        c.JupyterHub.ip = s.ip
        c.JupyterHub.port = s.port
        c.JupyterHub.hub_ip = s.service_ip
        c.JupyterHub.hub_port = s.hub_port
        c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
        c.ConfigurableHTTPProxy.command = _proxy_command()
        c.ConfigurableHTTPProxy.pid_file = str(s.hub_dir / "proxy.pid")
        c.JupyterHub.db_url = s.hub_db_url or f"sqlite:///{s.hub_dir / 'jupyterhub.sqlite'}"
        c.JupyterHub.cookie_secret_file = str(s.hub_dir / "jupyterhub_cookie_secret")
    elif s.hub_db_url:
        c.JupyterHub.db_url = s.hub_db_url
    c.JupyterHub.allow_named_servers = True
    c.JupyterHub.cleanup_servers = True

    # login: a shared password on one machine, the organisation's provider for a team
    passwords = None
    if s.oidc is not None:
        configure_oidc(c, s, discover(s.oidc))
    else:
        passwords = load_passwords(s.hub_dir / "passwords.json")
        c.JupyterHub.authenticator_class = "shared-password"
        c.SharedPasswordAuthenticator.user_password = passwords.user
        c.SharedPasswordAuthenticator.admin_password = passwords.admin
        c.Authenticator.admin_users = {"admin"}
        c.Authenticator.allow_all = True
    c.Authenticator.username_pattern = USERNAME_PATTERN

    # roles, scopes, services
    c.JupyterHub.custom_scopes = CUSTOM_SCOPES
    culler = culler_service(s)
    c.JupyterHub.load_roles = [*load_roles(), *([culler_role()] if culler else [])]
    c.JupyterHub.services = [
        library_service(s),
        # the broker and the store listen where the hub's services do: not for pods
        *(m.service(s) for m in platform_services.modules() if s.profile != "kubernetes"),
        *([culler] if culler else []),
    ]

    # provisioner
    if s.profile == "local":
        c.JupyterHub.spawner_class = "spawner.WorkspaceSpawner"
        c.WorkspaceSpawner.data_dir = str(s.data_dir)
        c.WorkspaceSpawner.library_url = s.library_url
        c.WorkspaceSpawner.proxy_url = f"http://127.0.0.1:{s.port}"
        c.WorkspaceSpawner.profiles = DEFAULT_PROFILES
        c.WorkspaceSpawner.allow_unisolated_users = s.allow_unisolated_users
        c.WorkspaceSpawner.prepare_services = partial(platform_services.prepare_user, s)
        c.WorkspaceSpawner.services_env = partial(platform_services.user_env, s)
        # a server gets SIGINT, then SIGTERM: it stops cleanly within seconds
        c.WorkspaceSpawner.interrupt_timeout = 8
        c.WorkspaceSpawner.term_timeout = 5
        c.Spawner.server_token_scopes = SERVER_TOKEN_SCOPES
        c.Spawner.http_timeout = 60
        c.Spawner.start_timeout = 120
    elif s.profile == "docker":
        configure_docker(c, s, s.service_ip)
        c.DockerWorkspaceSpawner.prepare_services = partial(platform_services.prepare_user, s)
        c.DockerWorkspaceSpawner.services_env = partial(platform_services.user_env, s)
    elif s.profile == "kubernetes":
        configure_kubernetes(c, s)

    configure_sharing(c, s)
    configure_admin_page(c, s)
    seed_common(s.common_dir)
    _announce(s, passwords)
    return s


# who may enter which folder of the data dir: the hub's own state is the hub's alone;
# workspaces are reached by their own accounts only (users/ can be passed, not listed)
DATA_MODES = {
    "hub": 0o700,
    "library": 0o700,
    "services": 0o700,
    "users": 0o711,
    "groups": 0o711,
    "common": 0o755,
}


def lay_out_data(s: Settings) -> None:
    """The data folders, each with the access it must give, whatever they had before."""
    s.data_dir.mkdir(parents=True, exist_ok=True)
    s.data_dir.chmod(s.data_dir.stat().st_mode | 0o711)
    for name, mode in DATA_MODES.items():
        folder = s.data_dir / name
        folder.mkdir(exist_ok=True)
        folder.chmod(mode)


def isolation(s: Settings) -> str:
    """What keeps users apart on this profile, as said at start."""
    if os.geteuid() == 0:
        return "each user's servers and kernels run under their own system account"
    if s.allow_unisolated_users:
        return (
            "WARNING: the hub does not run as root, so every user's servers run as "
            f"{pwd.getpwuid(os.geteuid()).pw_name} and users can read each other's files "
            "(DTAAS_ALLOW_UNISOLATED_USERS is set)"
        )
    return (
        "WARNING: the hub does not run as root, so users cannot be isolated from each "
        "other; only the first user to start a server may use this platform "
        "(DTAAS_ALLOW_UNISOLATED_USERS=1 lets more in, able to read each other's files)"
    )


def _announce(s: Settings, passwords) -> None:
    """Tell the person at the terminal where to go and how to log in."""
    lines = [
        "",
        f"DTaaS is starting at {s.public_url}/ (profile {s.profile}, data in {s.data_dir})",
        f"  isolation: {isolation(s)}",
    ]
    if passwords is not None:
        where = s.hub_dir / "passwords.json"
        lines += [
            f"  log in with any user name and the password: {passwords.user}",
            f"  admin: user 'admin' with the admin password: {passwords.admin}",
            f"  (passwords kept in {where}; set DTAAS_PASSWORD to choose your own)",
        ]
    else:
        lines.append(f"  log in through {s.oidc.issuer} ({s.oidc.login_service})")
    if s.idle_timeout:
        lines.append(f"  servers idle for {s.idle_timeout} s are stopped (DTAAS_IDLE_TIMEOUT)")
    lines.append("")
    print("\n".join(lines), file=sys.stderr, flush=True)
