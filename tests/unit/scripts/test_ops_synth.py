"""Synth has one starter for the account verbs: scripts/ops.py, against an explicit endpoint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts import local_aws, ops

REPO = Path(__file__).resolve().parents[3]

ACCOUNT_VERBS = ["plan", "apply-plan", "deploy", "drift", "destroy"]


@pytest.fixture
def recorded(monkeypatch):
    calls: list[tuple] = []
    monkeypatch.setattr(ops, "synth", lambda env, local_endpoint=None: calls.append(("synth", env, local_endpoint)))
    for verb in [*ACCOUNT_VERBS, "validate"]:
        monkeypatch.setitem(ops.COMMANDS, verb, lambda env, verb=verb: calls.append((verb, env)) or 0)
    monkeypatch.setattr(local_aws, "start", lambda: calls.append(("start",)) or "http://127.0.0.1:4999")
    monkeypatch.setattr(local_aws, "endpoint_url", lambda: "http://127.0.0.1:4999")
    monkeypatch.delenv("SYNTH", raising=False)
    return calls


@pytest.mark.parametrize("verb", ACCOUNT_VERBS)
def test_account_verbs_synthesize_their_environment_first(recorded, verb):
    assert ops.main([verb, "dev"]) == 0
    assert recorded == [("synth", "dev", None), (verb, "dev")]


def test_local_verbs_synthesize_against_the_server_they_use_and_only_deploy_starts_it(recorded):
    ops.main(["drift", "local"])
    ops.main(["deploy", "local"])
    assert recorded == [
        ("synth", "local", "http://127.0.0.1:4999"),
        ("drift", "local"),
        ("start",),
        ("synth", "local", "http://127.0.0.1:4999"),
        ("deploy", "local"),
    ]


def test_validate_reads_what_synth_wrote_and_synth_0_skips_it(recorded, monkeypatch):
    ops.main(["validate", "dev"])
    monkeypatch.setenv("SYNTH", "0")
    ops.main(["drift", "dev"])
    assert recorded == [("validate", "dev"), ("drift", "dev")]


def test_the_makefile_leaves_synth_of_the_account_verbs_to_ops():
    makefile = (REPO / "Makefile").read_text()
    for target in ["plan", "apply-plan", "deploy", "drift", "destroy"]:
        (recipe,) = re.findall(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
        assert "scripts.ops synth" not in recipe, target
        assert f"scripts.ops {target} " in recipe, target
