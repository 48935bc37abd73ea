"""The hub's DTaaS page: admins see each platform service's health, linked from the
hub's navigation; other users are refused."""

from __future__ import annotations

import re

import pytest

from tests.hub import ADMIN_PASSWORD, Hub

pytestmark = pytest.mark.integration


def test_admins_see_each_services_health_and_others_are_refused(hub: Hub, alice):
    admin = hub.login("admin", ADMIN_PASSWORD)
    home = admin.get(f"{hub.url}/hub/home")
    assert home.status_code == 200 and 'href="/hub/dtaas-admin"' in home.text
    page = admin.get(f"{hub.url}/hub/dtaas-admin")
    assert page.status_code == 200, page.text[:500]
    rows = dict(re.findall(r'data-name="([^"]+)" data-ok="(yes|no)"', page.text))
    assert rows == {"library": "yes", "mqtt": "yes", "timeseries": "yes"}, page.text[-2000:]
    assert 'href="/hub/dtaas-admin"' not in alice["session"].get(f"{hub.url}/hub/home").text
    refused = alice["session"].get(f"{hub.url}/hub/dtaas-admin")
    assert refused.status_code == 403
