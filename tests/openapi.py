"""Checking responses against the library's OpenAPI document."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import requests
from openapi_schema_validator import OAS30Validator


def _resolve(node: Any, spec: dict) -> Any:
    """Inline every local $ref (the document has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(copy.deepcopy(target), spec)
        return {k: _resolve(v, spec) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, spec) for v in node]
    return node


class OpenAPIChecker:
    def __init__(self, spec: dict):
        self.spec = spec
        self.paths = []
        for template in spec["paths"]:
            pattern = re.sub(r"\{[^/]+\}", "[^/]+", template)
            if template.endswith("{path}"):
                pattern = pattern[: -len("[^/]+")] + ".*"
            self.paths.append((re.compile(f"^{pattern}$"), template))

    def template(self, api_path: str) -> str:
        for pattern, template in self.paths:
            if pattern.match(api_path):
                return template
        raise AssertionError(f"{api_path} is not in the OpenAPI document")

    def check(self, method: str, api_path: str, response) -> None:
        """The status is documented, a JSON body matches its schema, and any other body
        has a documented media type (application/octet-stream stands for any file)."""
        operation = self.spec["paths"][self.template(api_path)][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {api_path}: {status} undocumented"
        content = _resolve(operation["responses"][status], self.spec).get("content", {})
        if "application/json" in content:
            schema = content["application/json"]["schema"]
            OAS30Validator(schema).validate(response.json())
        elif content and response.ok:
            media = response.headers.get("Content-Type", "").split(";")[0].strip()
            assert media in content or "application/octet-stream" in content, (
                f"{method} {api_path}: {status} as {media!r}, documented as {sorted(content)}"
            )


def runtime_api(user: dict) -> Callable[..., requests.Response]:
    """Calls ``/dtaas/api/<path>`` on ``user``'s server as ``user``, checking each answer
    against the OpenAPI document that server serves."""
    base = f"{user['server']}dtaas/api/"
    r = user["api"].get(f"{base}openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["servers"] == [{"url": f"/user/{user['name']}/dtaas/api"}]
    checker = OpenAPIChecker(doc)

    def call(method: str, path: str, **kwargs) -> requests.Response:
        response = user["api"].request(method, base + path, **kwargs)
        checker.check(method, "/" + path.split("?")[0], response)
        return response

    return call
