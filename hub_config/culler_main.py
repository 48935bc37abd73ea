"""``python -m hub_config.culler_main``: jupyterhub-idle-culler, stopped with the hub.

A hub killed with SIGKILL cannot stop its services; the culler would poll a dead hub
for ever. Linux sends it SIGTERM instead, as it does for the library.
"""

from asset_library.lifecycle import exit_with_parent

if __name__ == "__main__":
    exit_with_parent()
    from jupyterhub_idle_culler import main

    main()
