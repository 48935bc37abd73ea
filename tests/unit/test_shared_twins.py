"""Twins shared from another user's library: fetched into ``shared/``, checked, bounded,
run like a common twin, and gone when the library refuses them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from asset_library.detail import file_tree
from asset_library.errors import APIError
from dtaas.configs import ConfigStore
from dtaas.digital_twins import RequestError, find_dt, is_fetched, scope_root
from dtaas.runs.context import declared_assets, state_dir
from dtaas.runs.manager import RunManager
from dtaas.shared import FetchError, SharedTwins, check_relpath, owner_refs, plan
from tests.dts import write_dt

GAIN = "def gain(x):\n    return 3 * x\n"


class FakeLibrary:
    """The library's two calls a fetch makes, answered from an owner's folder on disk
    as the service answers them; ``refuse`` makes it answer 404 as after a revoke."""

    def __init__(self, owner: Path, scope: str = "user:alice"):
        self.owner = owner
        self.scope = scope
        self.refuse: int | None = None
        self.listing: dict[str, list] = {}  # endpoint → files, instead of the real ones
        self.downloads: list[str] = []

    def _folder(self, endpoint: str) -> tuple[Path, str]:
        parts = endpoint.split("/")
        assert parts[0] == "assets" and parts[1] == self.scope, endpoint
        folder = self.owner / parts[2] / parts[3]
        return folder, "/".join(parts[5:]) if len(parts) > 4 else ""

    async def get(self, endpoint: str, query: str = ""):
        if self.refuse:
            raise APIError(self.refuse, f"no asset {endpoint[7:]}", path=endpoint)
        folder, _ = self._folder(endpoint)
        if not folder.exists():
            raise APIError(404, f"no asset {endpoint[7:]}")
        manifest = folder / "dt.yaml"
        data = yaml.safe_load(manifest.read_text()) if manifest.is_file() else {}
        return {"manifest": data, "files": self.listing.get(endpoint) or file_tree(folder)}

    async def download(self, endpoint: str, write, limit: int) -> int:
        if self.refuse:
            raise APIError(self.refuse, "gone")
        folder, path = self._folder(endpoint)
        target = folder if folder.is_file() else folder / path
        data = target.read_bytes()
        if len(data) > limit:
            raise APIError(502, f"{endpoint!r} is larger than {limit} bytes")
        self.downloads.append(endpoint)
        write(data)
        return len(data)


@pytest.fixture
def alice_library(tmp_path: Path) -> Path:
    """Alice's own library: a twin that imports a model folder and a model file of hers."""
    home = tmp_path / "alice-home"
    model = home / "models" / "gain"
    model.mkdir(parents=True)
    (model / "asset.yaml").write_text("title: Gain\n")
    (model / "gain_model.py").write_text(GAIN)
    (home / "models" / "offset.py").write_text("OFFSET = 1\n")
    folder = write_dt(
        home,
        "amp",
        ["from gain_model import gain", "import offset", "y = gain(2) + offset.OFFSET"],
        assets=["mine/models/gain", "mine/models/offset.py", "common/digital_twins/incubator"],
    )
    (folder / "state").mkdir()
    (folder / "state" / "alices-state.npy").write_text("hers")
    return home


@pytest.fixture
def shared(workspace: Path, alice_library: Path) -> tuple[SharedTwins, FakeLibrary]:
    library = FakeLibrary(alice_library)
    return SharedTwins(workspace, library), library


def test_scopes_of_shared_twins_map_to_their_copies(workspace: Path):
    assert scope_root("user:alice") == "shared/user-alice"
    assert scope_root("group:lab", workspace) == "shared/group-lab"  # no groups/lab link
    (workspace / "groups").mkdir(exist_ok=True)
    (workspace / "groups" / "lab").mkdir()
    assert scope_root("group:lab", workspace) == "groups/lab"
    assert scope_root("group:lab") == "groups/lab"
    assert is_fetched(workspace, "user:alice") and not is_fetched(workspace, "group:lab")
    assert not is_fetched(workspace, "common") and not is_fetched(workspace, "private")
    assert scope_root("user:../x") is None and scope_root("user:") is None


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "../x",
        "a/../../x",
        "a/./b",
        ".hidden",
        "a/.git/config",
        "a\\b",
        "a\x00b",
        "a//b",
        "",
        "x" * 300,
    ],
)
def test_listed_paths_that_leave_their_folder_are_refused(path: str):
    with pytest.raises(FetchError) as e:
        check_relpath(path)
    assert e.value.status in (400, 502)


def test_plain_paths_pass():
    assert check_relpath("lifecycle/execute.ipynb") == "lifecycle/execute.ipynb"
    assert check_relpath("dt.yaml") == "dt.yaml"


def test_owner_refs_are_mine_and_the_twins_own_group():
    manifest = {
        "assets": [
            "mine/models/a",
            {"ref": "mine/functions/f"},
            "common/models/c",
            "group:lab/data/d",
            "nonsense",
            "mine/models/a",
        ]
    }
    assert owner_refs(manifest, "user:alice") == [("models", "a"), ("functions", "f")]
    assert owner_refs(manifest, "group:lab")[-1] == ("data", "d")


def test_the_twins_state_is_not_planned(alice_library: Path):
    p = plan({"files": file_tree(alice_library / "digital_twins" / "amp")}, "digital_twins", "amp")
    paths = [f for f, _, _ in p.files]
    assert "dt.yaml" in paths and "lifecycle/execute.ipynb" in paths
    assert not any(f.startswith("state") for f in paths)
    single = plan(
        {"files": file_tree(alice_library / "models" / "offset.py")}, "models", "offset.py"
    )
    assert single.single_file and single.files[0][0] == "offset.py"


def test_fetch_copies_the_twin_and_its_owners_assets(workspace: Path, shared):
    twins, library = shared
    fetched = asyncio.run(twins.fetch("user:alice", "amp"))
    root = workspace / "shared" / "user-alice"
    assert fetched.path == "shared/user-alice/digital_twins/amp"
    assert sorted(fetched.assets) == [
        "shared/user-alice/models/gain",
        "shared/user-alice/models/offset.py",
    ]
    assert (root / "digital_twins" / "amp" / "lifecycle" / "execute.ipynb").is_file()
    assert not (root / "digital_twins" / "amp" / "state").exists()  # alice's runs' state
    assert (root / "models" / "gain" / "gain_model.py").read_text() == GAIN
    assert (root / "models" / "offset.py").is_file()
    assert not [e for e in root.iterdir() if e.name.startswith(".")]  # no staging left
    dt = find_dt(workspace, "amp", "user:alice")
    assert dt.scope == "user:alice" and dt.path == "shared/user-alice/digital_twins/amp"
    assets = declared_assets(workspace, dt)
    assert assets["mine/models/gain"] == root / "models" / "gain"
    assert (
        assets["common/digital_twins/incubator"]
        == (workspace / "common" / "digital_twins" / "incubator").resolve()
    )
    state, rel = state_dir(workspace, dt)
    assert rel == "state/user-alice/amp" and state == workspace / "state" / "user-alice" / "amp"
    store = ConfigStore(workspace)
    store.put(dt, "mine", {})
    assert (workspace / "configs" / "user-alice" / "amp" / "mine.yaml").is_file()


def test_a_second_fetch_picks_up_the_owners_change(workspace: Path, shared, alice_library: Path):
    twins, library = shared
    asyncio.run(twins.fetch("user:alice", "amp"))
    (alice_library / "models" / "gain" / "gain_model.py").write_text(GAIN.replace("3", "4"))
    (alice_library / "models" / "gain" / "extra.py").write_text("E = 1\n")
    asyncio.run(twins.fetch("user:alice", "amp"))
    model = workspace / "shared" / "user-alice" / "models" / "gain"
    assert "4 * x" in (model / "gain_model.py").read_text()
    assert (model / "extra.py").is_file()
    # an asset the twin no longer declares goes
    manifest = alice_library / "digital_twins" / "amp" / "dt.yaml"
    data = yaml.safe_load(manifest.read_text())
    data["assets"] = ["mine/models/gain"]
    manifest.write_text(yaml.safe_dump(data))
    asyncio.run(twins.fetch("user:alice", "amp"))
    assert not (workspace / "shared" / "user-alice" / "models" / "offset.py").exists()


def test_files_whose_digest_matches_are_not_downloaded_again(
    workspace: Path, shared, alice_library
):
    import hashlib

    twins, library = shared
    asyncio.run(twins.fetch("user:alice", "amp"))
    endpoint = "assets/user:alice/models/gain"
    listing = file_tree(alice_library / "models" / "gain")
    for entry in listing:
        if entry["type"] == "file":
            data = (alice_library / "models" / "gain" / entry["path"]).read_bytes()
            entry["digest"] = "sha256:" + hashlib.sha256(data).hexdigest()
    library.listing[endpoint] = listing
    library.downloads.clear()
    fetched = asyncio.run(twins.fetch("user:alice", "amp"))
    assert not [d for d in library.downloads if d.startswith(endpoint)]
    assert fetched.downloaded == len(library.downloads) > 0
    assert (
        workspace / "shared" / "user-alice" / "models" / "gain" / "gain_model.py"
    ).read_text() == GAIN


def test_a_refused_twin_is_removed_and_the_refusal_passed_on(workspace: Path, shared):
    twins, library = shared
    asyncio.run(twins.fetch("user:alice", "amp"))
    store = ConfigStore(workspace)
    store.put(find_dt(workspace, "amp", "user:alice"), "kept", {})
    library.refuse = 404
    with pytest.raises(RequestError) as e:
        asyncio.run(twins.fetch("user:alice", "amp"))
    assert e.value.status == 404 and "amp" in e.value.message
    assert not (workspace / "shared" / "user-alice").exists()
    assert (workspace / "configs" / "user-alice" / "amp" / "kept.yaml").is_file()  # the user's own
    with pytest.raises(RequestError) as e:
        find_dt(workspace, "amp", "user:alice")
    assert e.value.status == 404


def test_bad_listings_are_refused_before_anything_is_written(workspace: Path, shared):
    twins, library = shared
    endpoint = "assets/user:alice/digital_twins/amp"
    for bad in ("../../escape.py", "/abs.py", "lifecycle/../../x"):
        library.listing[endpoint] = [
            {"path": "dt.yaml", "type": "file", "size": 1},
            {"path": bad, "type": "file", "size": 1},
        ]
        with pytest.raises(FetchError) as e:
            asyncio.run(twins.fetch("user:alice", "amp"))
        assert e.value.status == 400 and e.value.fields["path"]
    assert not (workspace / "shared" / "user-alice" / "digital_twins").exists()
    assert not (workspace.parent / "escape.py").exists()


def test_size_and_file_count_are_bounded(workspace: Path, shared, alice_library: Path):
    twins, library = shared
    twins.max_bytes = 100
    with pytest.raises(FetchError) as e:
        asyncio.run(twins.fetch("user:alice", "amp"))
    assert e.value.status == 413 and "max_bytes" in e.value.message
    twins.max_bytes = 1 << 20
    twins.max_files = 1
    with pytest.raises(FetchError) as e:
        asyncio.run(twins.fetch("user:alice", "amp"))
    assert e.value.status == 413 and "max_files" in e.value.message
    # a file that grew past what was listed is cut off by the byte budget
    twins.max_files = 999
    twins.max_bytes = 3000
    library.listing["assets/user:alice/models/gain"] = [
        {"path": "gain_model.py", "type": "file", "size": 1}
    ]
    (alice_library / "models" / "gain" / "gain_model.py").write_text("#" * 5000)
    with pytest.raises(FetchError) as e:
        asyncio.run(twins.fetch("user:alice", "amp"))
    assert "larger than" in e.value.message
    root = workspace / "shared" / "user-alice"
    assert not root.exists() or not [e for e in root.iterdir() if e.name.startswith(".")]


def test_a_run_of_a_shared_twin_fetches_it_first(workspace: Path, alice_library: Path):
    manager = RunManager(workspace)
    library = FakeLibrary(alice_library)
    manager.shared.client = library

    async def go():
        record = await manager.start({"dt": "amp", "scope": "user:alice"})
        await manager.wait()
        return manager.store.get(record.id)

    record = asyncio.run(go())
    assert record.status == "succeeded", record.error
    assert record.scope == "user:alice" and record.state_dir == "state/user-alice/amp"
    library.refuse = 403
    with pytest.raises(RequestError) as e:
        asyncio.run(manager.start({"dt": "amp", "scope": "user:alice"}))
    assert e.value.status == 403
    assert not (workspace / "shared" / "user-alice" / "digital_twins" / "amp").exists()


def test_a_link_in_place_of_the_shared_folder_is_refused(workspace: Path, shared, tmp_path):
    twins, _ = shared
    outside = tmp_path / "outside"
    outside.mkdir()
    (workspace / "shared").symlink_to(outside)
    with pytest.raises(FetchError) as e:
        asyncio.run(twins.fetch("user:alice", "amp"))
    assert e.value.status == 403
    assert not any(outside.iterdir())


def test_a_sweep_of_a_revoked_twin_is_refused(workspace: Path, alice_library: Path):
    from dtaas.whatif.manager import SweepManager

    manager = RunManager(workspace)
    library = FakeLibrary(alice_library)
    manager.shared.client = library
    asyncio.run(manager.shared.fetch("user:alice", "amp"))
    library.refuse = 404
    sweeps = SweepManager(manager)
    with pytest.raises(RequestError) as e:
        asyncio.run(sweeps.submit({"dt": "amp", "scope": "user:alice", "ranges": {}}))
    assert e.value.status == 404
    assert not (workspace / "shared" / "user-alice").exists()


def test_a_group_twin_of_a_group_the_user_is_not_in(workspace: Path, alice_library: Path):
    twins = SharedTwins(workspace, FakeLibrary(alice_library, scope="group:lab"))
    fetched = asyncio.run(twins.fetch("group:lab", "amp"))
    assert fetched.path == "shared/group-lab/digital_twins/amp"
    dt = find_dt(workspace, "amp", "group:lab")
    assert dt.path == fetched.path
    assert declared_assets(workspace, dt)["mine/models/gain"].is_relative_to(
        workspace / "shared" / "group-lab"
    )
    assert state_dir(workspace, dt)[1] == "state/group-lab/amp"


def test_an_asset_the_library_no_longer_lets_through_is_removed(workspace: Path, shared):
    twins, library = shared
    asyncio.run(twins.fetch("user:alice", "amp"))
    model = workspace / "shared" / "user-alice" / "models" / "gain"
    assert model.is_dir()
    get = library.get

    async def refusing_the_model(endpoint: str, query: str = ""):
        if endpoint.endswith("models/gain"):
            raise APIError(404, "no asset")
        return await get(endpoint, query)

    library.get = refusing_the_model
    fetched = asyncio.run(twins.fetch("user:alice", "amp"))
    assert not model.exists()
    assert fetched.assets == ["shared/user-alice/models/offset.py"]
    with pytest.raises(RequestError) as e:
        declared_assets(workspace, find_dt(workspace, "amp", "user:alice"))
    assert e.value.status == 400 and "mine/models/gain" in e.value.message


def test_a_listing_the_library_cut_short_is_refused(workspace: Path, shared):
    twins, library = shared
    listing = [{"path": f"f{i}.txt", "type": "file", "size": 1} for i in range(1000)]
    library.listing["assets/user:alice/digital_twins/amp"] = listing
    with pytest.raises(FetchError) as e:
        asyncio.run(twins.fetch("user:alice", "amp"))
    assert e.value.status == 413
