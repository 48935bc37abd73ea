"""``DTAAS_PROFILE=kubernetes``: KubeSpawner under the Zero to JupyterHub chart.

The chart's ``hub.extraConfig`` loads this (deploy/kubernetes/values.yaml). Compute
profiles become KubeSpawner's profile list; each user's workspace is a volume claim of
their own; the common library is one claim, mounted read-only."""

from __future__ import annotations

import os

from .profiles import DEFAULT_PROFILES
from .roles import SERVER_TOKEN_SCOPES
from .settings import Settings

HOME = "/home/jovyan"
WORKSPACE_VOLUME = "workspace"
COMMON_VOLUME = "common"


def profile_list(profiles: list[dict]) -> list[dict]:
    """KubeSpawner's profiles, one per compute profile; a run asks for one by its name."""
    out = []
    for i, p in enumerate(profiles):
        cpu = float(p.get("cpu") or 1)
        out.append(
            {
                "display_name": p["name"],
                "slug": p["name"],
                "description": p.get("description", ""),
                "default": i == 0,
                "kubespawner_override": {
                    "cpu_limit": cpu,
                    "cpu_guarantee": cpu / 4,
                    "mem_limit": p["memory"],
                    "mem_guarantee": p["memory"],
                },
            }
        )
    return out


def configure_kubernetes(c, s: Settings, env: dict[str, str] | None = None) -> None:
    env = dict(os.environ if env is None else env)
    proxy = env.get("DTAAS_K8S_PROXY_URL", "http://proxy-public")
    c.JupyterHub.spawner_class = "spawner.kubernetes.KubeWorkspaceSpawner"
    k = c.KubeWorkspaceSpawner
    k.image = env.get("DTAAS_WORKSPACE_IMAGE", "dtaas-workspace:latest")
    k.profiles = DEFAULT_PROFILES
    k.profile_list = profile_list(DEFAULT_PROFILES)
    k.library_url = f"{proxy}/services/library/"
    k.proxy_url = proxy
    # the image's own user, never root, and no way to become it
    k.uid = 1000
    k.gid = 100
    k.fs_gid = 100
    k.allow_privilege_escalation = False
    k.default_url = "/lab"
    k.notebook_dir = HOME
    k.storage_pvc_ensure = True
    k.pvc_name_template = "dtaas-workspace-{username}"  # every server of a user shares it
    k.storage_capacity = env.get("DTAAS_K8S_STORAGE", "10Gi")
    k.storage_access_modes = ["ReadWriteOnce"]
    k.volumes = [
        {"name": WORKSPACE_VOLUME, "persistentVolumeClaim": {"claimName": "{pvc_name}"}},
        {
            "name": COMMON_VOLUME,
            "persistentVolumeClaim": {"claimName": "dtaas-common", "readOnly": True},
        },
    ]
    k.volume_mounts = [
        {"name": WORKSPACE_VOLUME, "mountPath": HOME},
        {"name": COMMON_VOLUME, "mountPath": f"{HOME}/common", "readOnly": True},
    ]
    k.server_token_scopes = SERVER_TOKEN_SCOPES
    k.start_timeout = 300
    k.http_timeout = 120
