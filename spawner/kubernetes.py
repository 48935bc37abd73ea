"""The Kubernetes profile's spawner: KubeSpawner with the DTaaS environment, a volume
claim per user as the workspace, the common library read-only, and the user's group
libraries, each a claim of its own."""

from __future__ import annotations

import re

from kubespawner import KubeSpawner
from traitlets import Unicode

from .platform import PlatformServer

HOME = "/home/jovyan"


def claim_name(kind: str, name: str) -> str:
    """A claim name Kubernetes accepts (DNS label), the same for the same name."""
    safe = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:40] or "x"
    return f"dtaas-{kind}-{safe}"


class KubeWorkspaceSpawner(PlatformServer, KubeSpawner):
    """One pod per server; every server of a user mounts the same workspace claim."""

    common_claim = Unicode(
        "dtaas-common", config=True, help="The claim holding the common library (ReadOnlyMany)."
    )

    def workspace_path(self) -> str:
        return HOME

    async def get_pod_manifest(self):
        """KubeSpawner's pod, plus a read-only mount per group library of the user."""
        groups = sorted(g.name for g in getattr(self.user, "groups", []) or [])
        self.volumes = [v for v in self.volumes if not v["name"].startswith("group-")] + [
            {"name": f"group-{g}", "persistentVolumeClaim": {"claimName": claim_name("group", g)}}
            for g in groups
        ]
        self.volume_mounts = [
            m for m in self.volume_mounts if not m["name"].startswith("group-")
        ] + [{"name": f"group-{g}", "mountPath": f"{HOME}/groups/{g}"} for g in groups]
        return await super().get_pod_manifest()
