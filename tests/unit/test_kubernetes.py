"""The Kubernetes profile without a cluster: KubeSpawner's own code builds the pod and the
volume claim a user's server would get, from the configuration ``hub_config`` writes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.config import kube_config
from traitlets.config import Config

from hub_config import configure
from hub_config.settings import load_settings
from spawner.kubernetes import KubeWorkspaceSpawner

ROOT = Path(__file__).resolve().parents[2]


KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none, namespace: dtaas}}]
current-context: none
"""


@pytest.fixture(autouse=True)
def no_cluster(tmp_path, monkeypatch):
    """KubeSpawner loads a client configuration when made; there is no cluster here, so it
    gets one naming a loopback port that nothing dials (no test reaches the API)."""
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))


@pytest.fixture
def config(tmp_path) -> Config:
    c = Config()
    configure(c, load_settings({"DTAAS_PROFILE": "kubernetes", "DTAAS_DATA_DIR": str(tmp_path)}))
    return c


def pod_for(config: Config, name: str, groups: list[str], options: dict) -> tuple:
    user = SimpleNamespace(
        name=name, id=7, url=f"/user/{name}/", groups=[SimpleNamespace(name=g) for g in groups]
    )
    hub = SimpleNamespace(
        public_host="", url="http://hub:8081/hub/", base_url="/", api_url="http://hub:8081/hub/api"
    )

    async def build() -> tuple:
        # KubeSpawner makes its API client when made: inside a running loop
        spawner = KubeWorkspaceSpawner(config=config, _mock=True, user=user, hub=hub)
        spawner.api_token = "a-token"
        spawner.user_options = options
        await spawner.load_user_options()
        pod = await spawner.get_pod_manifest()
        # the pod as it would be sent to the cluster
        return spawner, ApiClient().sanitize_for_serialization(pod)

    return asyncio.run(build())


def test_the_hub_chooses_our_spawner_and_keeps_the_charts_gateway(config):
    assert config.JupyterHub.spawner_class == "spawner.kubernetes.KubeWorkspaceSpawner"
    # the chart sets the addresses, the proxy and the database: left alone
    for trait in ("ip", "hub_ip", "db_url", "port"):
        assert trait not in config.JupyterHub, trait
    names = [s["name"] for s in config.JupyterHub.services]
    assert names[0] == "library" and "mqtt" not in names
    assert config.JupyterHub.services[0]["url"].startswith("http://hub:")


def test_profiles_map_to_cpu_and_memory_limits(config):
    slugs = [p["slug"] for p in config.KubeWorkspaceSpawner.profile_list]
    assert slugs == ["small", "large"]
    spawner, pod = pod_for(config, "alice", [], {"profile": "large"})
    limits = pod["spec"]["containers"][0]["resources"]["limits"]
    assert float(limits["cpu"]) == 2 and int(limits["memory"]) == 8 * 1024**3
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["DTAAS_SERVER_PROFILE"] == "large"
    _, small = pod_for(config, "alice", [], {"profile": "small"})
    assert float(small["spec"]["containers"][0]["resources"]["limits"]["cpu"]) == 1


def test_the_pod_runs_the_workspace_image_as_a_user_with_its_volumes(config):
    spawner, pod = pod_for(config, "Alice.B", ["lab", "ops"], {})
    container = pod["spec"]["containers"][0]
    assert container["image"] == "dtaas-workspace:latest"
    security = container["securityContext"]
    assert security["runAsUser"] == 1000 and security["allowPrivilegeEscalation"] is False
    assert pod["spec"]["securityContext"]["fsGroup"] == 100

    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    # the user's own claim is the workspace; the same claim for every server of theirs
    claim = volumes["workspace"]["persistentVolumeClaim"]["claimName"]
    assert claim == spawner.pvc_name and claim.startswith("dtaas-workspace-alice")
    assert mounts["workspace"]["mountPath"] == "/home/jovyan"
    # the common library, read-only
    assert volumes["common"]["persistentVolumeClaim"]["readOnly"] is True
    assert mounts["common"]["mountPath"] == "/home/jovyan/common"
    assert mounts["common"]["readOnly"] is True
    # each group library of the user
    assert volumes["group-lab"]["persistentVolumeClaim"]["claimName"] == "dtaas-group-lab"
    assert mounts["group-ops"]["mountPath"] == "/home/jovyan/groups/ops"
    # no Docker socket, no host paths
    assert not any("hostPath" in v for v in pod["spec"]["volumes"])

    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["DTAAS_WORKSPACE"] == "/home/jovyan"
    assert env["DTAAS_LIBRARY_URL"] == "http://proxy-public/services/library/"

    pvc = spawner.get_pvc_manifest()
    assert pvc.metadata.name == claim
    assert pvc.spec.resources.requests["storage"] == "10Gi"


def test_values_for_the_chart_load_hub_config():
    values = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "values.yaml").read_text())
    extra = "\n".join(values["hub"]["extraConfig"].values())
    assert "from hub_config import configure" in extra and "configure(c)" in extra
    env = values["hub"]["extraEnv"]
    assert env["DTAAS_PROFILE"] == "kubernetes"
    assert values["hub"]["image"]["name"] == "dtaas-hub"
    assert values["singleuser"]["image"]["name"] == "dtaas-workspace"
    ports = {p["name"]: p for p in values["hub"]["service"]["extraPorts"]}
    assert ports["library"]["port"] == 8003
