"""Read-only links to a run's or a snapshot's results, given to chosen users and groups."""
