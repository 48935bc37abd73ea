"""Live sharing in Debian's Chromium: the command's dialog shares the workspace with bob,
lists him, and revokes the share."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.lab import log_in, run_command
from tests.hub import Hub

pytestmark = pytest.mark.browser


def test_share_the_workspace_with_a_user_then_revoke(hub: Hub, page: Page, bob, errors, artifacts):
    log_in(page, hub, "lena")
    run_command(page, "dtaas:share-workspace")
    dialog = page.locator(".jp-Dialog").filter(has=page.locator(".dtaas-liveshares"))
    workspace = dialog.locator(".dtaas-liveshares-server[data-server='default']")
    expect(workspace.locator(".dtaas-liveshares-state")).to_have_text("running")
    expect(workspace.locator(".dtaas-liveshares-none")).to_be_visible()

    form = workspace.locator(".dtaas-liveshare-form")
    form.locator(".dtaas-liveshare-name-input").fill("nobody-by-that-name")
    form.locator(".dtaas-liveshare-name-input").press("Enter")  # submits the form, not the dialog
    expect(form.locator(".dtaas-liveshare-name-error")).to_contain_text("nobody-by-that-name")
    form.locator(".dtaas-liveshare-name-input").fill("bob")
    form.locator(".dtaas-liveshare-add").click()
    share = workspace.locator(".dtaas-liveshare[data-kind='user'][data-name='bob']")
    expect(share).to_be_visible()
    expect(form.locator(".dtaas-liveshare-name-error")).to_have_count(0)
    r = page.request.get(f"{hub.url}/user/lena/dtaas/api/shares/default")
    assert [s["name"] for s in r.json()["shares"]] == ["bob"]

    workspace.locator(".dtaas-sharecode-add").click()
    link = workspace.locator(".dtaas-sharecode-link")
    expect(link).to_have_count(1)
    assert link.input_value().startswith(f"{hub.url}/hub/accept-share?code=")
    page.screenshot(path=str(artifacts / "live-shares.png"))

    share.locator(".dtaas-liveshare-revoke").click()
    share.locator(".dtaas-revoke-yes").click()
    expect(share).to_have_count(0)
    expect(workspace.locator(".dtaas-liveshares-none")).to_be_visible()
    r = page.request.get(f"{hub.url}/user/lena/dtaas/api/shares/default")
    assert r.json()["shares"] == []
    code = workspace.locator(".dtaas-sharecode")
    code.locator(".dtaas-sharecode-revoke").click()
    code.locator(".dtaas-revoke-yes").click()
    expect(workspace.locator(".dtaas-sharecode")).to_have_count(0)
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    expect(dialog).to_have_count(0)
    # the one refusal asked for: the unknown name's 404, which the browser logs
    refused = "the server responded with a status of 404"
    assert [e for e in errors if refused not in e] == [] and len(errors) == 1
