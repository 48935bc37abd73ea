"""Checking responses against the library's OpenAPI document."""

from __future__ import annotations

import copy
import re
from typing import Any

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
        """The status is documented and a JSON body matches its schema."""
        operation = self.spec["paths"][self.template(api_path)][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {api_path}: {status} undocumented"
        content = _resolve(operation["responses"][status], self.spec).get("content", {})
        if "application/json" in content:
            schema = content["application/json"]["schema"]
            OAS30Validator(schema).validate(response.json())
