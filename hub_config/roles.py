"""Roles and the library's custom scopes.

JupyterHub does not enforce custom scopes itself: the library service checks
them on every request (see ``asset_library.auth``).
"""

from __future__ import annotations

import os

from asset_library.auth import LIBRARY_CURATE, LIBRARY_READ, LIBRARY_WRITE

LIBRARY_SERVICE = "library"

CUSTOM_SCOPES = {
    LIBRARY_READ: {"description": "Read the digital twin library: own, group and common assets."},
    LIBRARY_WRITE: {"description": "Change assets in one's own private library."},
    LIBRARY_CURATE: {"description": "Approve or reject what users publish to the common library."},
}
CURATOR_ROLE = "dtaas-curator"

ACCESS_LIBRARY = f"access:services!service={LIBRARY_SERVICE}"

# What a workspace's own token ($JUPYTERHUB_API_TOKEN) may do, and no more: report
# activity; start, reach and stop the user's own servers (a run's own server); read the
# user's model (its servers); call the library as its user. Not the user's whole
# ``self``: a server cannot make tokens, nor act on anything but the user's servers.
SERVER_TOKEN_SCOPES = [
    "users:activity!user",
    "access:servers!user",
    "servers!user",
    "read:users!user",
    ACCESS_LIBRARY,
    LIBRARY_READ,
    LIBRARY_WRITE,
    LIBRARY_CURATE,  # kept only when the user holds it (a curator)
    # share the user's own servers from Lab, naming the users and groups shared with
    # (JupyterHub 6.1's ``self`` gives a token only read:shares and users:shares)
    "shares!user",
    "read:users:name",
    "read:groups:name",
]


def _names(env: str) -> list[str]:
    return sorted({n.strip() for n in os.environ.get(env, "").split(",") if n.strip()})


def load_roles() -> list[dict]:
    """Every user reads and writes the library as themselves; the service may look up groups."""
    return [
        {
            "name": "user",
            "description": "Standard user privileges, plus the digital twin library",
            # shares!user: a user may share their own servers (JupyterHub's sharing API),
            # naming the users and groups of the organisation they share with
            "scopes": [
                "self",
                "shares!user",
                "read:users:name",
                "read:groups:name",
                ACCESS_LIBRARY,
                LIBRARY_READ,
                LIBRARY_WRITE,
            ],
        },
        {
            "name": CURATOR_ROLE,
            "description": "Curates the common digital twin library (DTAAS_CURATORS)",
            "scopes": [ACCESS_LIBRARY, LIBRARY_READ, LIBRARY_CURATE],
            "users": _names("DTAAS_CURATORS"),
            "groups": _names("DTAAS_CURATOR_GROUPS"),
        },
        {
            "name": "library-service",
            "description": "The library service resolves users and their groups",
            # read:groups: a group's properties name its admins (dtaas_admins)
            "scopes": ["read:users:name", "read:users:groups", "read:groups"],
            "services": [LIBRARY_SERVICE],
        },
    ]
