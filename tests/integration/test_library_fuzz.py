"""Fuzzing the library's OpenAPI document (schemathesis): no input gives a server error."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.conftest import _user
from tests.hub import Hub

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fuzzer(hub: Hub) -> dict:
    return _user(hub, "fuzzer")


@pytest.fixture(scope="module")
def library_schema(hub: Hub, fuzzer):
    spec = requests.get(f"{hub.url}/services/library/api/openapi.json").json()
    return schemathesis.openapi.from_dict(spec)


schema = schemathesis.pytest.from_fixture("library_schema")


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_gives_a_server_error(case, hub: Hub, fuzzer):
    response = case.call(
        base_url=f"{hub.url}/services/library/api",
        headers={"Authorization": f"token {fuzzer['token']}"},
        timeout=30,
    )
    case.validate_response(response, checks=[not_a_server_error])
