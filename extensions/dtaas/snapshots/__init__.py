"""Save and respawn: snapshots of a twin's state, outputs and kernel variables."""
