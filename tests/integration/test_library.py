"""The library service through the real hub: search, detail, relations, downloads,
authoring, groups, and every path trick refused with a 4xx that names the path."""

from __future__ import annotations

import http.client
import os
import time
from urllib.parse import urlparse

import pytest
import requests
import yaml

from tests.conftest import _user
from tests.hub import ADMIN_PASSWORD, Hub
from tests.openapi import OpenAPIChecker

pytestmark = pytest.mark.integration
API = "/services/library/api"


@pytest.fixture(scope="module")
def admin_api(hub: Hub) -> requests.Session:
    session = hub.login("admin", ADMIN_PASSWORD)
    return hub.api(hub.token(session, "admin"))


@pytest.fixture(scope="module")
def lab_group(hub: Hub, admin_api) -> str:
    """Group 'lab' with ivy in it, and a model in its library."""
    assert admin_api.post(f"{hub.url}/hub/api/groups/lab").status_code in (201, 409)
    assert admin_api.post(f"{hub.url}/hub/api/users/ivy").status_code in (201, 409)
    r = admin_api.post(f"{hub.url}/hub/api/groups/lab/users", json={"users": ["ivy"]})
    assert r.status_code == 200, r.text
    model = hub.data_dir / "groups" / "lab" / "models" / "shared-beam"
    model.mkdir(parents=True, exist_ok=True)
    (model / "asset.yaml").write_text("title: Shared beam model\ntags: [fem, beam]\n")
    (model / "README.md").write_text("# Beam\n\nEuler-Bernoulli beam shared by the lab.\n")
    return "lab"


@pytest.fixture(scope="module")
def ivy(hub: Hub, lab_group) -> dict:
    return _user(hub, "ivy")


@pytest.fixture(scope="module")
def jack(hub: Hub) -> dict:
    return _user(hub, "jack")


@pytest.fixture(scope="module")
def spec(hub: Hub) -> OpenAPIChecker:
    r = requests.get(f"{hub.url}{API}/openapi.json")
    assert r.status_code == 200
    return OpenAPIChecker(r.json())


def call(user: dict, method: str, path: str, spec: OpenAPIChecker | None = None, **kw):
    hub_url = user["server"].split("/user/")[0]
    r = user["api"].request(method, f"{hub_url}{API}{path}", **kw)
    if spec is not None:
        spec.check(method, path.split("?")[0], r)
    return r


def search_until(user: dict, query: str, predicate, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        result = call(user, "GET", f"/search?{query}").json()
        if predicate(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def paths(result: dict) -> set[str]:
    return {i["path"] for i in result["items"]}


def make_function(home, name: str, title: str, tags: list[str], readme: str) -> None:
    folder = home / "functions" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "asset.yaml").write_text(yaml.safe_dump({"title": title, "tags": tags}))
    (folder / "README.md").write_text(readme)
    (folder / "solver.py").write_text("def solve():\n    return 42\n")


def test_search_finds_by_text_filters_and_facets(ivy, spec):
    make_function(
        ivy["home"],
        "damped-solver",
        "Damped solver",
        ["ode", "numerics"],
        "# Solver\n\nIntegrates stiff systems with an implicit Runge-Kutta scheme.\n",
    )
    found = search_until(ivy, "q=runge", lambda r: "functions/damped-solver" in paths(r))
    assert "functions/damped-solver" in paths(found)  # README text, within the refresh time
    item = next(i for i in found["items"] if i["name"] == "damped-solver")
    assert item["scope"] == "private" and item["tags"] == ["ode", "numerics"]
    r = call(ivy, "GET", "/search?q=spring", spec)
    assert "common/digital_twins/mass-spring-damper" in paths(r.json())
    r = call(ivy, "GET", "/search?q=spring&type=models", spec)
    assert "common/digital_twins/mass-spring-damper" not in paths(r.json())
    r = call(ivy, "GET", "/search?tag=ode", spec).json()
    assert paths(r) >= {"functions/damped-solver"}
    assert r["facets"]["type"].get("functions", 0) >= 1 and r["facets"]["tag"]["ode"] >= 1
    r = call(ivy, "GET", "/search?scope=common", spec).json()
    assert r["items"] and all(i["scope"] == "common" for i in r["items"])


def test_group_library_is_visible_to_members_only(ivy, jack, spec):
    mine = call(ivy, "GET", "/search?q=beam", spec).json()
    assert "groups/lab/models/shared-beam" in paths(mine)
    assert next(i for i in mine["items"] if i["name"] == "shared-beam")["scope"] == "group:lab"
    assert (ivy["home"] / "groups" / "lab" / "models" / "shared-beam").is_dir()
    theirs = call(jack, "GET", "/search?q=beam", spec).json()
    assert "groups/lab/models/shared-beam" not in paths(theirs)
    r = call(jack, "GET", "/search?scope=group:lab", spec)
    assert r.status_code == 404 and r.json()["scope"] == "group:lab"
    r = call(jack, "GET", "/assets/group:lab/models/shared-beam", spec)
    assert r.status_code == 404


def test_private_assets_never_leak_to_another_user(ivy, jack, spec):
    make_function(jack["home"], "jack-secret", "Jack's secret sauce", ["secret"], "# Secret\n")
    search_until(jack, "q=sauce", lambda r: "functions/jack-secret" in paths(r))
    assert "functions/jack-secret" not in paths(call(ivy, "GET", "/search?q=sauce").json())
    assert call(ivy, "GET", "/search?tag=secret").json()["total"] == 0
    assert call(ivy, "GET", "/assets/mine/functions/jack-secret", spec).status_code == 404
    # another user's library is a scope only for what was shared with the asker
    assert call(ivy, "GET", "/assets/user:jack/functions/jack-secret").status_code == 404


def test_cursor_pagination_covers_everything_once(ivy, spec):
    for i in range(12):
        (ivy["home"] / "data" / f"sample-{i:02d}.csv").write_text("t,x\n0,1\n")
    search_until(ivy, "scope=mine&type=data", lambda r: r["total"] >= 12)
    seen, cursor = [], None
    while True:
        query = "/search?scope=mine&type=data&sort=name&limit=5"
        r = call(ivy, "GET", query + (f"&cursor={cursor}" if cursor else ""), spec).json()
        seen += [i["name"] for i in r["items"]]
        cursor = r["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == r["total"] >= 12
    bad = call(ivy, "GET", "/search?cursor=not-a-cursor", spec)
    assert bad.status_code == 400 and bad.json()["field"] == "cursor"


def test_detail_relations_and_download(ivy, spec):
    refs = ["group:lab/models/shared-beam", "mine/functions/damped-solver"]
    body = {"name": "beam-twin", "template": "ode-model", "title": "Beam twin"}
    r = call(
        ivy, "POST", "/digital_twins", spec, json={**body, "assets": [*refs, "common/data/nowhere"]}
    )
    assert r.status_code == 400 and r.json()["ref"] == "common/data/nowhere"
    r = call(ivy, "POST", "/digital_twins", spec, json={**body, "assets": refs})
    assert r.status_code == 201, r.text
    assert r.json()["path"] == "digital_twins/beam-twin"
    manifest = yaml.safe_load((ivy["home"] / "digital_twins/beam-twin/dt.yaml").read_text())
    assert manifest["assets"] == ["group:lab/models/shared-beam", "mine/functions/damped-solver"]
    assert (ivy["home"] / "digital_twins/beam-twin/lifecycle/execute.ipynb").is_file()
    again = call(ivy, "POST", "/digital_twins", spec, json={"name": "beam-twin"})
    assert again.status_code == 409 and again.json()["field"] == "name"

    detail = call(ivy, "GET", "/assets/mine/digital_twins/beam-twin", spec).json()
    assert detail["problems"] == [] and detail["manifest"]["title"] == "Beam twin"
    assert "dt.yaml" in {f["path"] for f in detail["files"]}
    assert detail["readme"].startswith("# Beam twin")
    uses = {u["ref"]: u for u in detail["relations"]["uses"]}
    assert not uses["group:lab/models/shared-beam"]["missing"]

    # a referenced asset that goes away is flagged missing
    solver = ivy["home"] / "functions" / "damped-solver"
    solver.rename(solver.with_name(".gone"))
    try:
        rel = search_until(
            ivy,
            "q=zzz",
            lambda r: call(ivy, "GET", "/assets/mine/digital_twins/beam-twin/relations").json()[
                "uses"
            ][1]["missing"],
        )
        assert rel is not None
        rel = call(ivy, "GET", "/assets/mine/digital_twins/beam-twin/relations", spec).json()
        assert rel["uses"][1]["missing"] is True
    finally:
        solver.with_name(".gone").rename(solver)
    search_until(ivy, "q=runge", lambda r: "functions/damped-solver" in paths(r))

    used_by = call(ivy, "GET", "/assets/group:lab/models/shared-beam/relations", spec).json()
    assert "digital_twins/beam-twin" in {a["path"] for a in used_by["used_by"]}

    r = call(ivy, "GET", "/assets/mine/functions/damped-solver/files/solver.py")
    assert r.status_code == 200 and r.text.startswith("def solve")
    assert r.headers["Content-Disposition"].endswith('filename="solver.py"')


def test_manifest_problems_have_file_line_and_field(ivy, spec):
    folder = ivy["home"] / "digital_twins" / "broken-twin"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dt.yaml").write_text(
        "title: Broken\nlifecycle:\n  run: {notebook: x.ipynb}\ntags: oops\n"
    )
    found = search_until(ivy, "q=broken", lambda r: "digital_twins/broken-twin" in paths(r))
    item = next(i for i in found["items"] if i["name"] == "broken-twin")
    assert item["problems"]
    detail = call(ivy, "GET", "/assets/mine/digital_twins/broken-twin", spec).json()
    problems = {(p["field"], p["line"]) for p in detail["problems"]}
    assert ("lifecycle.run", 3) in problems and ("tags", 4) in problems
    (folder / "dt.yaml").write_text("title: [unclosed\n")
    found = search_until(
        ivy, "q=broken-twin", lambda r: any("YAML" in p for i in r["items"] for p in i["problems"])
    )
    assert any("invalid YAML" in p for i in found["items"] for p in i["problems"])
    v = call(
        ivy,
        "POST",
        "/validate",
        spec,
        json={"type": "digital_twins", "text": "title: x\nlifecycle: 3\n"},
    )
    assert v.json()["valid"] is False and v.json()["problems"][0]["line"] == 2


def test_huge_and_non_utf8_manifests_are_problems_not_errors(ivy, spec):
    big = ivy["home"] / "models" / "huge-model"
    big.mkdir(parents=True, exist_ok=True)
    (big / "asset.yaml").write_bytes(b"title: x\n" + b"#" * (2 << 20))
    odd = ivy["home"] / "models" / "latin-model"
    odd.mkdir(parents=True, exist_ok=True)
    (odd / "asset.yaml").write_bytes("title: caf\xe9\n".encode("latin-1"))
    found = search_until(
        ivy,
        "scope=mine&type=models",
        lambda r: {"huge-model", "latin-model"} <= {i["name"] for i in r["items"]},
    )
    items = {i["name"]: i for i in found["items"]}
    assert "larger than" in items["huge-model"]["problems"][0]
    assert "UTF-8" in items["latin-model"]["problems"][0]
    assert call(ivy, "GET", "/assets/mine/models/huge-model", spec).status_code == 200


def raw_get(user: dict, raw_path: str, port: int | None = None) -> tuple[int, dict]:
    """GET a path exactly as written, without any client-side normalisation."""
    url = urlparse(user["server"])
    conn = http.client.HTTPConnection(url.hostname, port or url.port, timeout=20)
    conn.putrequest("GET", API + raw_path, skip_accept_encoding=True)
    conn.putheader("Authorization", f"token {user['token']}")
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    import json

    return resp.status, json.loads(body) if body.startswith(b"{") else {}


@pytest.mark.parametrize(
    ("raw", "status", "named"),
    [
        ("/assets/mine/functions/damped-solver/files/../../../../etc/passwd", 400, "../"),
        ("/assets/mine/functions/damped-solver/files/%2e%2e/%2e%2e/etc/passwd", 400, ".."),
        ("/assets/mine/functions/damped-solver/files/%252e%252e/x", 404, "%2e%2e/x"),
        ("/assets/mine/functions/damped-solver/files//etc/passwd", 400, "/etc/passwd"),
        ("/assets/mine/functions/damped-solver/files/a%00b", 400, "a\x00b"),
        ("/assets/mine/functions/damped-solver/files/" + "n" * 300, 400, "nnn"),
        ("/assets/mine/functions/damped-solver/files/%ff%fe", 400, "\\xff"),
        ("/assets/mine/functions/damped-solver/files/escape/passwd", 403, "escape/passwd"),
        ("/assets/mine/functions/%2e%2e/files/x", 400, ".."),
        ("/assets/group:..%2fx/functions/a", 400, "group:"),
        ("/assets/mine/functions/" + "n" * 300, 400, "nnn"),
    ],
)
def test_path_tricks_are_refused_naming_the_path(hub: Hub, ivy, raw, status, named):
    link = ivy["home"] / "functions" / "damped-solver" / "escape"
    if not link.is_symlink():
        os.symlink("/etc", link)
    # the service itself, as any client reaching its port sees it
    code, body = raw_get(ivy, raw, port=hub.port + 3)
    assert code == status, (raw, body)
    assert named in str(body.get("path", "")) + str(body.get("scope", "")) + body["message"]
    # through the public proxy (which normalises dot segments first): never the file
    code, body = raw_get(ivy, raw)
    assert code != 200 and "root:" not in str(body), (raw, code)


def test_reindex_is_for_admins(ivy, admin_api, hub, spec):
    r = call(ivy, "POST", "/reindex", spec)
    assert r.status_code == 403
    r = admin_api.post(f"{hub.url}{API}/reindex")
    assert r.status_code == 200 and r.json()["assets"] >= 3


def test_no_credentials_no_data(hub: Hub):
    for path in (
        "/search?q=spring",
        "/assets/common/digital_twins/mass-spring-damper",
        "/templates",
        "/me",
    ):
        r = requests.get(f"{hub.url}{API}{path}", headers={"Accept": "application/json"})
        assert r.status_code == 403, path
        assert "credentials" in r.json()["message"]


def test_templates_are_offered(ivy, spec):
    names = {t["name"] for t in call(ivy, "GET", "/templates", spec).json()["templates"]}
    assert {"blank", "ode-model"} <= names
