"""The library service, run by the hub as ``python -m asset_library``."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from pathlib import Path
from urllib.parse import urlparse

import yaml
from jupyterhub.services.auth import HubOAuthCallbackHandler
from jupyterhub.utils import url_path_join
from tornado import web

from . import lifecycle
from .groups import HubGroups
from .handlers import (
    AssetDetailHandler,
    AssetsHandler,
    CreateDTHandler,
    FileHandler,
    IndexHandler,
    NotFoundHandler,
    OpenAPIHandler,
    ReindexHandler,
    RelationsHandler,
    SearchHandler,
    TemplatesHandler,
    ValidateHandler,
    WhoAmIHandler,
)
from .index import LibraryIndex
from .results.handlers import ROUTES as RESULT_ROUTES
from .sharing.handlers import ROUTES as SHARING_ROUTES
from .sharing.manager import SharingManager
from .sharing.store import SharingStore

log = logging.getLogger("dtaas.library")
OPENAPI = Path(__file__).parent / "openapi.yaml"
ASSET = r"([^/]+)/([^/]+)/([^/]+)"


def load_openapi(prefix: str) -> dict:
    """The OpenAPI document, with the server URL this service is mounted at."""
    doc = yaml.safe_load(OPENAPI.read_text())
    doc["servers"] = [{"url": url_path_join(prefix, "api")}]
    return doc


def log_request(handler: web.RequestHandler) -> None:
    """Access log: reads that succeed are DEBUG (hundreds a second under load), the rest
    INFO, client errors WARNING, server errors ERROR."""
    status = handler.get_status()
    if status >= 500:
        level = logging.ERROR
    elif status >= 400:
        level = logging.WARNING
    elif handler.request.method == "GET":
        level = logging.DEBUG
    else:
        level = logging.INFO
    access = logging.getLogger("tornado.access")
    if access.isEnabledFor(level):
        access.log(
            level,
            "%d %s %.2fms",
            status,
            handler._request_summary(),
            1000.0 * handler.request.request_time(),
        )


def make_app(
    data_dir: Path, prefix: str, index: LibraryIndex, groups: HubGroups
) -> web.Application:
    """The tornado application; ``prefix`` is the service's URL prefix on the proxy."""
    api = url_path_join(prefix, "api")
    store = SharingStore(index.engine)
    return web.Application(
        [
            (prefix, IndexHandler),
            (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
            (url_path_join(api, "me"), WhoAmIHandler),
            (url_path_join(api, "assets"), AssetsHandler),
            (url_path_join(api, "search"), SearchHandler),
            (url_path_join(api, "assets", ASSET), AssetDetailHandler),
            (url_path_join(api, "assets", ASSET, "relations"), RelationsHandler),
            (url_path_join(api, "assets", ASSET, "files/(.*)"), FileHandler),
            (url_path_join(api, "validate"), ValidateHandler),
            (url_path_join(api, "templates"), TemplatesHandler),
            (url_path_join(api, "digital_twins"), CreateDTHandler),
            (url_path_join(api, "reindex"), ReindexHandler),
            (url_path_join(api, "openapi.json"), OpenAPIHandler),
            *((url_path_join(api, path), handler) for path, handler in SHARING_ROUTES),
            *((url_path_join(prefix, path), handler) for path, handler in RESULT_ROUTES),
            (url_path_join(prefix, ".*"), NotFoundHandler),
        ],
        log_function=log_request,
        cookie_secret=os.environ.get("DTAAS_LIBRARY_COOKIE_SECRET") or secrets.token_bytes(32),
        dtaas_data_dir=data_dir,
        library_index=index,
        library_groups=groups,
        library_sharing=store,
        library_sharing_manager=SharingManager(data_dir, index, store, groups),
        library_openapi=load_openapi(prefix),
    )


async def serve() -> None:
    data_dir = Path(os.environ["DTAAS_DATA_DIR"]).resolve()
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/library/")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:8003"))
    db_url = os.environ.get("DTAAS_LIBRARY_DB_URL") or None
    index = LibraryIndex(data_dir, db_url) if db_url else LibraryIndex(data_dir)
    app = make_app(data_dir, prefix, index, HubGroups())
    # the address to bind: the URL's host, unless that is a name other pods use (Kubernetes)
    app.listen(url.port or 80, os.environ.get("DTAAS_LIBRARY_BIND") or url.hostname or "127.0.0.1")
    lifecycle.stop_on_signals(asyncio.get_running_loop(), index.halt)
    log.info("library service on %s serving %s", url.geturl(), data_dir)
    # the files are the truth: watch() first catches up with what changed while the
    # service was down (a full build on an empty index), then follows every change
    try:
        await index.watch()
    finally:
        index.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(name)s] %(message)s")
    lifecycle.exit_with_parent()
    asyncio.run(serve())
    log.info("library service stopped")
