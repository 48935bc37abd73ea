"""The sharing commands' pure parts: asset names, errors naming their field, tables."""

from __future__ import annotations

import pytest

from dtaas.cli import build_parser
from dtaas.cli_share import asset_path, format_requests, naming_field, problem_line


def test_a_twin_alone_or_a_full_reference():
    assert asset_path("msd") == ("private", "digital_twins", "msd")
    assert asset_path("msd", "group:lab") == ("group:lab", "digital_twins", "msd")
    assert asset_path("mine/models/gain") == ("private", "models", "gain")
    assert asset_path("user:alice/digital_twins/msd") == ("user:alice", "digital_twins", "msd")
    for bad in ("a/b", "user:alice/things/x", "a//b", "/"):
        with pytest.raises(ValueError):
            asset_path(bad)
    with pytest.raises(ValueError, match="--scope"):
        asset_path("common/models/x", "group:lab")


def test_an_error_names_its_field_once():
    assert naming_field({"field": "user"}, "no user named 'x'") == "no user named 'x'"
    assert naming_field({"field": "name"}, "already exists") == "name: already exists"
    assert naming_field({}, "plain") == "plain"
    line = problem_line({"file": "dt.yaml", "line": 3, "field": "lifecycle", "message": "bad"})
    assert line == "dt.yaml:3: lifecycle: bad"


def test_requests_table_shows_the_reason_of_a_rejection():
    rows = [
        {
            "id": 1,
            "asset": "mine/digital_twins/a",
            "version": "1.0",
            "status": "rejected",
            "note": "n",
            "reason": "add a licence",
            "requester": "alice",
        },
        {
            "id": 2,
            "asset": "mine/digital_twins/a",
            "version": "1.1",
            "status": "pending",
            "note": "second\ntry",
            "reason": None,
            "requester": "alice",
        },
    ]
    text = format_requests(rows, who=True).splitlines()
    assert text[0].split() == ["ID", "REQUESTER", "ASSET", "VERSION", "STATUS", "NOTE"]
    assert text[1].endswith("add a licence") and text[2].endswith("second try")


def test_share_needs_one_subject_and_a_role():
    parser = build_parser()
    args = parser.parse_args(["share", "msd", "--group", "lab", "--role", "view"])
    assert args.group == "lab" and args.user is None
    with pytest.raises(SystemExit):
        parser.parse_args(["share", "msd", "--user", "bob", "--group", "lab", "--role", "run"])
    with pytest.raises(SystemExit):
        parser.parse_args(["share", "msd", "--user", "bob"])
    assert parser.parse_args(["run", "msd", "--scope", "user:alice"]).scope == "user:alice"
