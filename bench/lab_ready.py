"""How much the Digital Twins extension adds to JupyterLab's start, and how fast its
sidebar lists a large common library.

Starts the real platform on loopback with ``--assets`` described models in the common
library (1,000 and 10,000 by default), logs one user in with Debian's Chromium, and
opens JupyterLab several times in turn with and without the extension: same hub, same
user, same server; "without" drops the extension from the page's list of federated
extensions, as `jupyter labextension disable` would. Lab is ready when its app says it
has restored its layout. The sidebar is ready when, after a click on its tab, it lists
cards of the common library and says how many assets it has.

Prints one JSON line: vanilla_s, dtaas_s and sidebar_s, each the median seconds by
number of assets. Diagnostics go to stderr.

    python bench/lab_ready.py --assets 1000 10000 --rounds 5
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM, FLAGS  # noqa: E402
from tests.browser.lab import edit_page_config, log_in  # noqa: E402
from tests.dts import write_bulk_models  # noqa: E402
from tests.hub import Hub, traversable  # noqa: E402

EXTENSION = "dtaas-labextension"
USER = "alice"
WORKSPACES = itertools.count()


def wait_indexed(hub: Hub, token: str, count: int, limit: float = 300) -> None:
    """Until the library has indexed the bulk models."""
    api = hub.api(token)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        r = api.get(
            f"{hub.url}/services/library/api/search",
            params={"type": "models", "tag": "bulk", "limit": 1},
        )
        if r.status_code == 200 and r.json()["total"] >= count:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the library did not index {count} models in {limit} s")


def lab_ready(page: Page, hub: Hub) -> float:
    """Seconds from navigation to Lab's layout restored, as the page's clock says. Each
    load opens a new workspace, so every one starts from Lab's default layout."""
    page.bring_to_front()  # a page in the background runs its timers slowly
    page.goto(f"{hub.url}/user/{USER}/lab/workspaces/bench-{next(WORKSPACES)}")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=120_000)
    return page.evaluate("window.jupyterapp.restored.then(() => performance.now() / 1000)")


LISTED = """(total) => {
  const panel = document.querySelector('#dtaas-panel');
  const summary = panel && panel.querySelector('.dtaas-results-summary');
  const card = panel && panel.querySelector(".dtaas-card[data-scope='common']");
  const text = summary ? summary.textContent.replace(/[,\u202f\u00a0 ]/g, '') : '';
  return card !== null && card.offsetHeight > 0 && text.includes(String(total))
    ? performance.now() : false;
}"""


def sidebar_ready(page: Page, total: int) -> float:
    """Seconds from a click on the sidebar's tab to its list of the common library, by the
    page's clock, checked at every animation frame."""
    tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='dtaas-sidebar']")
    tab.wait_for()
    start = page.evaluate("performance.now()")
    tab.click()
    end = page.wait_for_function(LISTED, arg=total, polling="raf", timeout=60_000).json_value()
    return (end - start) / 1000


def measure(root: Path, assets: int, rounds: int) -> dict[str, float]:
    data = root / f"assets-{assets}" / "data"
    write_bulk_models(data / "common", assets)
    hub = Hub(data).start()
    try:
        token = hub.token(hub.login(USER), USER)
        times: dict[str, list[float]] = {"vanilla_s": [], "dtaas_s": [], "sidebar_s": []}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.set_default_timeout(120_000)
            # two pages of one logged-in browser: Lab with and without the extension
            dtaas = context.new_page()
            edit_page_config(dtaas, {"exposeAppInBrowser": "true"})
            log_in(dtaas, hub, USER)
            vanilla = context.new_page()
            edit_page_config(vanilla, {"exposeAppInBrowser": "true"}, [EXTENSION])
            wait_indexed(hub, token, assets)
            total = hub.api(token).get(f"{hub.url}/services/library/api/search").json()["total"]
            for page in (vanilla, dtaas):  # once each, to warm the browser's cache
                lab_ready(page, hub)
            for i in range(rounds):
                for page in (vanilla, dtaas) if i % 2 == 0 else (dtaas, vanilla):
                    ready = lab_ready(page, hub)
                    times["vanilla_s" if page is vanilla else "dtaas_s"].append(ready)
                    if page is dtaas:
                        times["sidebar_s"].append(sidebar_ready(page, total))
            browser.close()
        print(f"{assets} assets ({total} visible): {json.dumps(times)}", file=sys.stderr)
        return {key: round(statistics.median(values), 3) for key, values in times.items()}
    finally:
        hub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dtaas-bench-"))
    traversable(root)
    results = {n: measure(root, n, args.rounds) for n in args.assets}
    print(
        json.dumps(
            {
                key: {str(n): results[n][key] for n in args.assets}
                for key in ("vanilla_s", "dtaas_s", "sidebar_s")
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
