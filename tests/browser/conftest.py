"""Debian's Chromium driven by Playwright, one fresh browser context per test."""

from __future__ import annotations

import shutil
import time

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.lab import expose_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# without the background-networking flags Chromium keeps dialling out of a closed network
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

# the hub, the servers and Chromium share two cores with the rest of the suite: an answer
# that takes a second when the machine is quiet can take several when it is not
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    """A fresh context per test, so no session leaks from one user to the next. The
    requests still unanswered are kept, for the report of a test that fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    expose_app(pg)
    pending: dict = {}
    pg.on("request", lambda r: pending.__setitem__(r, time.monotonic()))
    pg.on("requestfinished", lambda r: pending.pop(r, None))
    pg.on("requestfailed", lambda r: pending.pop(r, None))
    request.node.pending_requests = pending
    yield pg
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports what the page still waited for, and the hub's log."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    now = time.monotonic()
    pending = getattr(item, "pending_requests", {})
    lines = [f"{now - t:6.1f}s {r.method} {r.url}" for r, t in list(pending.items())]
    report.sections.append(("requests unanswered", "\n".join(lines) or "none"))
    hub = item.funcargs.get("hub")
    if hub is not None:
        report.sections.append(("hub log", hub.log_tail(60)))


@pytest.fixture
def errors(page) -> list[str]:
    """Uncaught exceptions in the page and errors written to its console: a page that
    works says nothing there."""
    found: list[str] = []
    page.on("pageerror", lambda e: found.append(str(e)))
    page.on("console", lambda m: found.append(m.text) if m.type == "error" else None)
    return found
