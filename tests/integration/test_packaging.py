"""The one distribution builds as a wheel with the Lab extension prebuilt inside."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def built_wheel(tmp_path: Path) -> Path:
    """The wheel ``make images`` put in the images' wheelhouse (what the workspace image
    installs), else one built here from the files git knows."""
    made = sorted((ROOT / "images" / ".build" / "wheels").glob("dtaas-*.whl"))
    if made:
        return made[-1]
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    src = tmp_path / "src"
    for name in files:
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(src)],
        check=True,
    )
    (wheel,) = tmp_path.glob("dtaas-*.whl")
    return wheel


@pytest.mark.integration
def test_wheel_ships_prebuilt_labextension_and_server_config(tmp_path):
    names = zipfile.ZipFile(built_wheel(tmp_path)).namelist()
    data = "dtaas-0.1.0.data/data/"
    labext = f"{data}share/jupyter/labextensions/dtaas-labextension/"
    assert f"{labext}package.json" in names
    assert any(n.startswith(f"{labext}static/remoteEntry.") for n in names)
    assert f"{data}etc/jupyter/jupyter_server_config.d/dtaas.json" in names
    assert f"{data}share/dtaas/examples/digital_twins/mass-spring-damper/dt.yaml" in names
    for package in ("dtaas/runs/manager.py", "asset_library/app.py", "spawner/local.py"):
        assert package in names
    assert "hub_config/apply.py" in names
