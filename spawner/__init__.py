"""The provisioner: lays out each user's workspace and starts their servers."""

from .local import WorkspaceSpawner
from .workspace import LIBRARY_FOLDERS, lay_out_workspace

__all__ = ["LIBRARY_FOLDERS", "WorkspaceSpawner", "lay_out_workspace"]
