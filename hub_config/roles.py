"""Roles and the library's custom scopes.

JupyterHub does not enforce custom scopes itself: the library service checks
them on every request (see ``asset_library.auth``).
"""

from __future__ import annotations

from asset_library.auth import LIBRARY_READ, LIBRARY_WRITE

LIBRARY_SERVICE = "library"

CUSTOM_SCOPES = {
    LIBRARY_READ: {"description": "Read the digital twin library: own, group and common assets."},
    LIBRARY_WRITE: {"description": "Change assets in one's own private library."},
}

ACCESS_LIBRARY = f"access:services!service={LIBRARY_SERVICE}"

# What a workspace's own token ($JUPYTERHUB_API_TOKEN) may do: the default
# server scopes, plus calling the library as its user.
SERVER_TOKEN_SCOPES = [
    "users:activity!user",
    "access:servers!server",
    "self",
    ACCESS_LIBRARY,
    LIBRARY_READ,
    LIBRARY_WRITE,
]


def load_roles() -> list[dict]:
    """Every user reads and writes the library as themselves; the service may look up groups."""
    return [
        {
            "name": "user",
            "description": "Standard user privileges, plus the digital twin library",
            "scopes": ["self", ACCESS_LIBRARY, LIBRARY_READ, LIBRARY_WRITE],
        },
        {
            "name": "library-service",
            "description": "The library service resolves users and their groups",
            "scopes": ["read:users:name", "read:users:groups", "read:groups:name"],
            "services": [LIBRARY_SERVICE],
        },
    ]
