"""The library service, run by the hub as ``python -m asset_library``."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthCallbackHandler
from jupyterhub.utils import url_path_join
from tornado import ioloop, web

from .handlers import AssetsHandler, IndexHandler, NotFoundHandler, WhoAmIHandler

log = logging.getLogger("dtaas.library")


def make_app(data_dir: Path, prefix: str) -> web.Application:
    """The tornado application; ``prefix`` is the service's URL prefix on the proxy."""
    api = url_path_join(prefix, "api")
    return web.Application(
        [
            (prefix, IndexHandler),
            (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
            (url_path_join(api, "assets"), AssetsHandler),
            (url_path_join(api, "me"), WhoAmIHandler),
            (url_path_join(prefix, ".*"), NotFoundHandler),
        ],
        cookie_secret=os.environ.get("DTAAS_LIBRARY_COOKIE_SECRET") or secrets.token_bytes(32),
        dtaas_data_dir=data_dir,
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(name)s] %(message)s")
    data_dir = Path(os.environ["DTAAS_DATA_DIR"]).resolve()
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/library/")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:8003"))
    app = make_app(data_dir, prefix)
    app.listen(url.port or 80, url.hostname or "127.0.0.1")
    log.info("library service on %s serving %s", url.geturl(), data_dir)
    ioloop.IOLoop.current().start()
