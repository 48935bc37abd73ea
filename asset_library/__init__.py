"""The library: manifests, catalog and the REST service run by the hub."""
