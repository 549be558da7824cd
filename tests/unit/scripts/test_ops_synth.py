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
    monkeypatch.setattr(
        ops, "synth", lambda env, local_endpoint=None, reuse=False: calls.append(("synth", env, local_endpoint))
    )
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


def test_a_second_account_verb_reuses_a_current_synth_and_any_input_change_redoes_it(tmp_path, monkeypatch):
    """plan after deploy (or drift after plan) must not pay a full synth again, but an edited
    stack, module or environment file must never be deployed from stale JSON."""
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path))
    runs: list[str] = []

    def fake_main(argv, **kwargs):
        runs.append(kwargs["env"]["CDKTF_ENV"])
        (tmp_path / "manifest.json").write_text('{"stacks": {}}')

        class Done:
            returncode = 0

        return Done()

    monkeypatch.setattr(ops.subprocess, "run", fake_main)
    monkeypatch.setattr(ops.manifest, "load", lambda: [])
    ops.synth("dev", reuse=True)
    ops.synth("dev", reuse=True)  # nothing changed: reused
    assert runs == ["dev"]
    ops.synth("prod", reuse=True)  # another selection overwrote cdktf.out
    ops.synth("dev", reuse=True)
    assert runs == ["dev", "prod", "dev"]
    ops.synth("dev", local_endpoint="http://127.0.0.1:4999", reuse=True)  # another endpoint
    assert runs[-1] == "dev" and len(runs) == 4
    before = ops.synth_fingerprint("dev", None)
    monkeypatch.setattr(ops, "SYNTH_INPUTS", (*ops.SYNTH_INPUTS, str(tmp_path / "edited.py")))
    (tmp_path / "edited.py").write_text("x = 1\n")
    assert ops.synth_fingerprint("dev", None) != before
    ops.synth("dev")  # `make synth` always synthesizes
    assert len(runs) == 5
