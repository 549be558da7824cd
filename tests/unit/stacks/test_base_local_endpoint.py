"""The local environment's endpoint is explicit (LOCAL_AWS_ENDPOINT or a fixed default), never
probed: a running emulator on another port must not change the synthesized JSON."""

from __future__ import annotations

import ast
import json
import os

import pytest

from scripts import local_aws
from tests.helpers import REPO_ROOT, synth_stack

BASE = REPO_ROOT / "stacks" / "base.py"


def test_base_imports_nothing_from_scripts():
    tree = ast.parse(BASE.read_text())
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    assert not [m for m in modules if m and m.split(".")[0] == "scripts"]


@pytest.fixture
def emulator_running_elsewhere(tmp_path, monkeypatch):
    """local_aws's record of a live server (this process stands in for it) on another port."""
    state = tmp_path / "server.json"
    state.write_text(json.dumps({"pid": os.getpid(), "port": 59999, "endpoint": "http://127.0.0.1:59999"}))
    monkeypatch.setattr(local_aws, "STATE_FILE", state)
    monkeypatch.delenv("LOCAL_AWS_ENDPOINT", raising=False)
    assert local_aws.endpoint_url() == "http://127.0.0.1:59999"  # what the old probe would have written


def _endpoints(monkeypatch, value: str | None) -> tuple[set[str], set[str]]:
    from cdktf import Testing

    from environments.loader import load_environments
    from stacks.base import EnvironmentStack

    if value is None:
        monkeypatch.delenv("LOCAL_AWS_ENDPOINT", raising=False)
    else:
        monkeypatch.setenv("LOCAL_AWS_ENDPOINT", value)
    (env,) = load_environments(["local"])
    config = synth_stack(EnvironmentStack(Testing.app(), env=env, component="probe"))
    (provider,) = config["provider"]["aws"]
    return set(provider["endpoints"][0].values()), set(config["terraform"]["backend"]["s3"]["endpoints"].values())


def test_without_the_variable_the_fixed_default_wins_over_a_running_server(emulator_running_elsewhere, monkeypatch):
    default = f"http://{local_aws.HOST}:{local_aws.DEFAULT_PORT}"
    assert _endpoints(monkeypatch, None) == ({default}, {default})


def test_the_variable_sets_the_endpoint(emulator_running_elsewhere, monkeypatch):
    assert _endpoints(monkeypatch, "http://127.0.0.1:4777") == ({"http://127.0.0.1:4777"}, {"http://127.0.0.1:4777"})


def test_the_default_is_the_emulators_customary_address():
    from stacks.base import DEFAULT_LOCAL_AWS_ENDPOINT

    assert f"http://{local_aws.HOST}:{local_aws.DEFAULT_PORT}" == DEFAULT_LOCAL_AWS_ENDPOINT
