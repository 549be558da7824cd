"""Shared fixtures. Every environment is synthesized once per test session (the AWS bindings
cost ~11 s to load per process, so nothing here synthesizes twice)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# Tests keep their plans, Terraform data, scan reports and embedded AWS apart from a developer's
# own .build/ and cdktf.out/. Set before any scripts.* module reads it.
os.environ["CDKTF_BUILD_DIR"] = tempfile.mkdtemp(prefix="cdktf-test-build-")
os.environ.pop("CDKTF_ENV", None)
os.environ.pop("LOCAL_AWS_ENDPOINT", None)


@pytest.fixture(scope="session")
def environments():
    from environments.loader import load_environments

    return {env.name: env for env in load_environments()}


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory, environments) -> Path:
    """cdktf.out for every environment, synthesized once into a temporary directory."""
    from stacks.app import build_app

    outdir = tmp_path_factory.mktemp("cdktf.out")
    build_app(list(environments.values()), outdir=str(outdir)).synth()
    return outdir


@pytest.fixture(scope="session")
def manifest(synth_dir) -> dict:
    return json.loads((synth_dir / "manifest.json").read_text())["stacks"]


@pytest.fixture(scope="session")
def stack_json(synth_dir):
    cache: dict[str, dict] = {}

    def load(name: str) -> dict:
        if name not in cache:
            cache[name] = json.loads((synth_dir / "stacks" / name / "cdk.tf.json").read_text())
        return cache[name]

    return load


def resources(stack: dict, resource_type: str) -> list[dict]:
    """All resources of one type in a synthesized stack (order as synthesized)."""
    return list(stack.get("resource", {}).get(resource_type, {}).values())
