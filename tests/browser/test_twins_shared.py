"""Sharing in Debian's Chromium: an owner shares a twin in its Sharing tab (a refused
name shown next to its field) and a run of it, the grantee finds both under Shared with
me and opens the twin, the owner asks to publish it, a curator approves it in the
curation queue, the owner's tab shows it approved; then a role changed and the grant
revoked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.lab import expose_app, log_in, open_sidebar, run_command, wait_until_indexed
from tests.dts import write_dt
from tests.hub import CURATOR, Hub

pytestmark = pytest.mark.browser

OWNER = "sharon"
GRANTEE = "shane"
TWIN = "shared-heater"
BROKEN = "broken-heater"
SHARED_REF = f"user:{OWNER}/digital_twins/{TWIN}"
# decisions take a poll of the owner's page; the pending request is checked every 3 s
DECIDED_TIMEOUT = 30_000
RUN_TIMEOUT = 120_000


def new_page(browser: Browser) -> Page:
    """A second person at their own browser."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    expose_app(page)
    return page


def listen(page: Page, name: str, errors: list[str]) -> None:
    """Uncaught errors and console errors of another person's page, named by them."""
    page.on("pageerror", lambda e: errors.append(f"{name}: {e}"))
    page.on("console", lambda m: errors.append(f"{name}: {m.text}") if m.type == "error" else None)


def sharing_tab(page: Page, ref: str) -> Locator:
    twin = page.locator(f".dtaas-page[data-ref='{ref}']")
    expect(twin).to_be_visible()
    twin.locator(".dtaas-page-tab[data-tab='sharing']").click()
    body = twin.locator(".dtaas-page-body[data-tab='sharing'] .dtaas-sharing")
    expect(body).to_be_visible()
    return body


def test_share_open_publish_and_approve(hub: Hub, page: Page, browser: Browser, errors, artifacts):
    hub.login(GRANTEE)  # the hub knows a user once they have logged in
    workspace = log_in(page, hub, OWNER)
    write_dt(workspace, TWIN, ["x = 1"], title="Shared heater", description="A heater to share")
    wait_until_indexed(page, hub, OWNER, "digital_twins", TWIN)
    run_command(page, "dtaas:open", {"scope": "private", "type": "digital_twins", "name": TWIN})
    sharing = sharing_tab(page, f"mine/digital_twins/{TWIN}")
    expect(sharing).to_have_attribute("data-role", "owner")
    access = sharing.locator(".dtaas-access-section")
    expect(access.locator(".dtaas-grants-none")).to_be_visible()

    # an unknown user is refused, and the refusal names them next to the name field
    form = access.locator(".dtaas-grant-form")
    form.locator("input.dtaas-grant-name").fill("nobody-at-all")
    form.locator("select.dtaas-grant-new-role").select_option("run")
    form.locator(".dtaas-grant-add").click()
    refused = form.locator(".dtaas-grant-name-field .dtaas-grant-name-error")
    expect(refused).to_contain_text("nobody-at-all")
    expect(form.locator("input.dtaas-grant-name")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(artifacts / "sharing-refused.png"))
    noted = [e for e in errors if "status of 404" in e]
    assert len(noted) == 1, errors  # the browser notes the refused request; the one expected
    errors.remove(noted[0])

    # the grantee gets run
    form.locator("input.dtaas-grant-name").fill(GRANTEE)
    form.locator(".dtaas-grant-add").click()
    grant = access.locator(f".dtaas-grant[data-subject='{GRANTEE}']")
    expect(grant).to_have_attribute("data-role", "run")
    expect(grant.locator("select.dtaas-grant-role")).to_have_value("run")
    expect(refused).to_have_count(0)

    # a run of it shared read-only with the grantee: its grant and the link to open
    run_command(page, "dtaas:run", {"scope": "private", "type": "digital_twins", "name": TWIN})
    run = page.locator(".dtaas-page-body[data-tab='runs'] .dtaas-run-detail")
    expect(run).to_have_attribute("data-status", "succeeded", timeout=RUN_TIMEOUT)
    run_id = run.get_attribute("data-run-id")
    run.locator(".dtaas-result-share-toggle").click()
    run.locator("input.dtaas-result-share-name").fill(GRANTEE)
    run.locator(".dtaas-result-share-add").click()
    expect(run.locator(".dtaas-result-grant-subject")).to_have_text(GRANTEE)
    link = f"/services/library/results/runs/{OWNER}/{TWIN}/{run_id}"
    expect(run.locator("a.dtaas-result-url")).to_have_attribute("href", re.compile(f"{link}$"))
    sharing = sharing_tab(page, f"mine/digital_twins/{TWIN}")

    # ask to publish it to the common library
    publish = sharing.locator(".dtaas-publish-section")
    publish.locator("input.dtaas-publish-version").fill("1.0")
    publish.locator("textarea.dtaas-publish-note").fill("A first version")
    publish.locator(".dtaas-publish-request-button").click()
    request = publish.locator(".dtaas-publish-request").first
    expect(request).to_have_attribute("data-status", "pending")
    request_id = request.get_attribute("data-request-id")
    page.screenshot(path=str(artifacts / "sharing-owner.png"))

    # a twin with a problem in its manifest is refused, and the problems are listed
    bad = {"type": "object", "properties": {"k": {"type": "bogus"}}}
    write_dt(workspace, BROKEN, ["x = 1"], bad, title="Broken heater")
    wait_until_indexed(page, hub, OWNER, "digital_twins", BROKEN)
    run_command(page, "dtaas:open", {"scope": "private", "type": "digital_twins", "name": BROKEN})
    broken = sharing_tab(page, f"mine/digital_twins/{BROKEN}")
    broken.locator(".dtaas-publish-request-button").click()
    problems = broken.locator(".dtaas-publish-problems .dtaas-problem")
    expect(problems).to_have_count(1)
    expect(problems).to_have_attribute("data-field", "parameters.properties.k.type")
    expect(problems).to_contain_text("bogus")
    expect(broken.locator(".dtaas-publish-form-error")).to_contain_text("problem")
    expect(broken.locator(".dtaas-publish-request")).to_have_count(0)
    noted = [e for e in errors if "status of 400" in e]
    assert len(noted) == 1, errors
    errors.remove(noted[0])

    # the grantee sees it under Shared with me, with its owner and role, and opens it
    other = new_page(browser)
    try:
        listen(other, GRANTEE, errors)
        log_in(other, hub, GRANTEE)
        panel = open_sidebar(other, "dtaas-sidebar", "Digital Twins", "#dtaas-panel")
        panel.locator("select.dtaas-scope-select").select_option("shared")
        card = panel.locator(f".dtaas-card[data-scope='user:{OWNER}'][data-type='digital_twins']")
        card = card.filter(has_text="Shared heater")
        expect(card.locator(".dtaas-scope-badge")).to_have_text(OWNER)
        expect(card.locator(".dtaas-role-badge")).to_have_text("run")
        result = panel.locator(f".dtaas-shared-result[data-kind='runs'][data-id='{run_id}']")
        expect(result.locator("a.dtaas-shared-result-open")).to_have_attribute("href", link)
        card.click()
        shared = sharing_tab(other, SHARED_REF)
        expect(shared.locator(".dtaas-shared-with-you")).to_have_text(
            f"Shared with you as run by {OWNER}"
        )
        expect(shared.locator(".dtaas-grant-form")).to_have_count(0)  # not theirs to manage
        other.screenshot(path=str(artifacts / "sharing-grantee.png"))
    finally:
        other.context.close()

    # a curator finds the request in the queue, with its files, and approves it
    curator = new_page(browser)
    try:
        listen(curator, CURATOR, errors)
        log_in(curator, hub, CURATOR)
        open_sidebar(curator, "dtaas-sidebar", "Digital Twins", "#dtaas-panel")
        expect(curator.locator(".dtaas-curation-link")).to_be_visible()
        run_command(curator, "dtaas:curation-queue")
        queued = curator.locator(f".dtaas-curation-request[data-request-id='{request_id}']")
        expect(queued.locator(".dtaas-curation-target")).to_have_text(
            f"common/digital_twins/{TWIN}"
        )
        expect(queued.locator(".dtaas-diff-file[data-path='dt.yaml']")).to_have_attribute(
            "data-status", "added"
        )
        expect(queued.locator(".dtaas-curation-reject")).to_be_disabled()  # a reason first
        curator.screenshot(path=str(artifacts / "sharing-curation.png"))
        queued.locator(".dtaas-curation-approve").click()
        decided = curator.locator(
            f".dtaas-curation-decided-request[data-request-id='{request_id}']"
        )
        expect(decided).to_have_attribute("data-status", "approved")
        expect(queued).to_have_count(0)
    finally:
        curator.context.close()

    # the owner's tab follows its pending request to the decision
    page.bring_to_front()
    run_command(page, "dtaas:open", {"scope": "private", "type": "digital_twins", "name": TWIN})
    expect(request).to_have_attribute("data-status", "approved", timeout=DECIDED_TIMEOUT)
    expect(request.locator(".dtaas-publish-status")).to_have_text(
        re.compile(f"^approved by {CURATOR}$")
    )
    page.screenshot(path=str(artifacts / "sharing-approved.png"))

    # a role changed in place, then revoked after a confirmation
    grant.locator("select.dtaas-grant-role").select_option("view")
    expect(grant).to_have_attribute("data-role", "view")
    grant.locator(".dtaas-grant-revoke").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text(f"{GRANTEE} will no longer have view access")
    dialog.locator("button.jp-mod-warn").click()
    expect(grant).to_have_count(0)
    expect(access.locator(".dtaas-grants-none")).to_be_visible()
    assert errors == []
