"""Fuzzing the library's OpenAPI document (schemathesis): no input gives a server error."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.conftest import _user
from tests.hub import Hub

pytestmark = pytest.mark.integration


def operations(spec: dict) -> list:
    schema = schemathesis.openapi.from_dict(spec)
    return [result.ok() for result in schema.get_all_operations()]


def test_no_input_gives_a_server_error(hub: Hub):
    user = _user(hub, "fuzzer")
    spec = requests.get(f"{hub.url}/services/library/api/openapi.json").json()
    # straight to the service: the proxy in front answers some malformed URLs itself
    base = f"http://127.0.0.1:{hub.port + 3}/services/library/api"
    session = requests.Session()
    tried: list[str] = []
    for op in operations(spec):

        @given(case=op.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case):
            response = case.call(
                base_url=base,
                session=session,
                headers={"Authorization": f"token {user['token']}"},
                timeout=30,
            )
            case.validate_response(response, checks=[not_a_server_error])

        fuzz()
        tried.append(f"{op.method.upper()} {op.path}")
    assert len(tried) == len([m for p in spec["paths"].values() for m in p]) >= 11
