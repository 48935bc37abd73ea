import os
from pathlib import Path

import pytest

from hub_config.passwords import load_passwords
from hub_config.settings import SettingsError, load_settings


def test_ports_derive_from_public_port_so_instances_do_not_collide(tmp_path):
    a = load_settings({"DTAAS_PORT": "8000"}, cwd=tmp_path)
    b = load_settings({"DTAAS_PORT": "8100"}, cwd=tmp_path)
    ports_a = {a.port, a.hub_port, a.proxy_api_port, a.library_port}
    ports_b = {b.port, b.hub_port, b.proxy_api_port, b.library_port}
    assert len(ports_a) == 4 and not ports_a & ports_b
    assert a.data_dir == (tmp_path / ".dtaas").resolve()
    assert a.ip == "127.0.0.1" and a.profile == "local"


def test_each_port_can_be_set_and_bad_values_name_the_variable(tmp_path):
    s = load_settings({"DTAAS_PORT": "9000", "DTAAS_LIBRARY_PORT": "9999"}, cwd=tmp_path)
    assert s.library_port == 9999 and s.hub_port == 9001
    with pytest.raises(SettingsError, match="DTAAS_HUB_PORT"):
        load_settings({"DTAAS_HUB_PORT": "http"}, cwd=tmp_path)
    with pytest.raises(SettingsError, match="DTAAS_PORT"):
        load_settings({"DTAAS_PORT": "70000"}, cwd=tmp_path)
    with pytest.raises(SettingsError, match="DTAAS_PROFILE"):
        load_settings({"DTAAS_PROFILE": "mainframe"}, cwd=tmp_path)


def test_passwords_are_generated_once_and_kept_private(tmp_path):
    path = tmp_path / "hub" / "passwords.json"
    first = load_passwords(path, env={})
    assert first.generated and len(first.user) >= 8 and len(first.admin) >= 32
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    second = load_passwords(path, env={})
    assert not second.generated and (second.user, second.admin) == (first.user, first.admin)


def test_password_from_environment_wins_and_is_checked(tmp_path):
    path = tmp_path / "passwords.json"
    assert load_passwords(path, env={"DTAAS_PASSWORD": "chosen-pass"}).user == "chosen-pass"
    with pytest.raises(ValueError, match="DTAAS_PASSWORD"):
        load_passwords(path, env={"DTAAS_PASSWORD": "short"})
    with pytest.raises(ValueError, match="DTAAS_ADMIN_PASSWORD"):
        load_passwords(path, env={"DTAAS_ADMIN_PASSWORD": "short"})


def test_config_file_loads_into_a_hub_config(tmp_path, monkeypatch):
    from traitlets.config import Config

    from hub_config import configure

    monkeypatch.setenv("DTAAS_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("DTAAS_PORT", "8200")
    c = Config()
    s = configure(c)
    assert c.JupyterHub.port == 8200 and c.JupyterHub.hub_port == 8201
    assert c.JupyterHub.allow_named_servers is True
    assert c.Authenticator.admin_users == {"admin"}
    names = [svc["name"] for svc in c.JupyterHub.services]
    assert names == ["library", "mqtt", "timeseries", "idle-culler"]
    assert "custom:library:read" in c.JupyterHub.custom_scopes
    assert Path(c.JupyterHub.db_url.removeprefix("sqlite:///")).parent == s.hub_dir
    assert (s.common_dir / "digital_twins" / "mass-spring-damper" / "dt.yaml").is_file()
    assert oct(os.stat(s.hub_dir).st_mode & 0o777) == "0o700"
