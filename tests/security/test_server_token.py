"""A workspace server's own token ($JUPYTERHUB_API_TOKEN, which every kernel of the user
can read) carries only what servers need: the user's servers and model, activity and
the library; never the user's whole ``self`` (it cannot make or list tokens)."""

from __future__ import annotations

import pytest
import requests

from tests.hub import Hub, processes_of

pytestmark = pytest.mark.integration


def server_token(home) -> str:
    """The token in the environment of the user's default server process."""
    for pid in processes_of(home):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = dict(e.split(b"=", 1) for e in f.read().split(b"\0") if b"=" in e)
        except OSError:
            continue
        if b"jupyterhub.singleuser" in cmd and env.get(b"JUPYTERHUB_SERVER_NAME", b"") == b"":
            return env[b"JUPYTERHUB_API_TOKEN"].decode()
    raise AssertionError(f"no server process of {home}")


def test_the_server_token_is_narrow(hub: Hub, alice):
    token = server_token(alice["home"])
    api = requests.Session()
    api.headers["Authorization"] = f"token {token}"
    users = f"{hub.url}/hub/api/users"
    scopes = set(api.get(f"{hub.url}/hub/api/user").json()["scopes"])
    assert "self" not in scopes and "tokens!user=alice" not in scopes
    # what a server needs: its user's model with the servers, and its servers
    model = api.get(f"{users}/alice")
    assert model.status_code == 200 and "" in model.json()["servers"]
    # what it must not do: make or list the user's tokens, touch another user
    assert api.post(f"{users}/alice/tokens", json={}).status_code == 403
    assert api.get(f"{users}/alice/tokens").status_code == 403
    # another user: at most the name (sharing names people), never their servers
    other = api.get(f"{users}/bob")
    assert other.status_code in (200, 403, 404)
    if other.status_code == 200:
        model = other.json()
        assert not {"servers", "groups", "roles", "last_activity"} & set(model), model
    assert api.post(f"{users}/bob/servers/x", json={}).status_code in (403, 404)
