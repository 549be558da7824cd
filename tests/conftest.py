"""Shared fixtures. Every environment is synthesized once per test run, shared by all xdist
workers (a full synth costs tens of seconds, so nothing here synthesizes twice)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# Tests keep their plans, Terraform data, scan reports and embedded AWS apart from a developer's
# own .build/ and cdktf.out/. Set before any scripts.* module reads it.
os.environ["CDKTF_BUILD_DIR"] = tempfile.mkdtemp(prefix="cdktf-test-build-")
os.environ.pop("CDKTF_ENV", None)
os.environ.pop("LOCAL_AWS_ENDPOINT", None)
# Each xdist worker may start an embedded AWS of its own (integration, preflight, local_aws tests):
# any free port, never the shared 4566, so one worker never deploys into another's server.
os.environ["LOCAL_AWS_PORT"] = "0"

# Every test process loads only the binding submodules it uses (see scripts/lazy_bindings.py);
# tests/stacks/test_lazy_bindings.py holds the output to the eager import's, byte for byte.
from scripts import lazy_bindings

lazy_bindings.install()

# Plain helpers live in tests/helpers.py; these two are re-exported because test files import
# them from here (new tests import from tests.helpers).
from tests.helpers import REPO_ROOT, resources  # noqa: E402, F401


@pytest.fixture(scope="session")
def environments():
    from environments.loader import load_environments

    return {env.name: env for env in load_environments()}


# What the local environment's providers point at while the shared synth runs: pinned, so the
# output does not depend on whether (or on which port) a test's embedded AWS happens to be up.
SYNTH_LOCAL_ENDPOINT = "http://127.0.0.1:4566"


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory, environments) -> Path:
    """cdktf.out for every environment, synthesized once per run into a temporary directory.

    Under pytest-xdist every worker is its own session; the first to get here synthesizes into
    the run's shared base directory while holding a file lock, and the others read its output.
    """
    import fcntl

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the directory all workers of this run share
    outdir = shared / "shared-cdktf.out"
    done = shared / "shared-cdktf.out.done"
    with (shared / "shared-cdktf.out.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            from stacks.app import build_app

            previous = os.environ.get("LOCAL_AWS_ENDPOINT")
            os.environ["LOCAL_AWS_ENDPOINT"] = SYNTH_LOCAL_ENDPOINT
            try:
                build_app(list(environments.values()), outdir=str(outdir)).synth()
            finally:
                if previous is None:
                    os.environ.pop("LOCAL_AWS_ENDPOINT", None)
                else:
                    os.environ["LOCAL_AWS_ENDPOINT"] = previous
            done.touch()
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


@pytest.fixture(scope="session")
def no_plans(tmp_path_factory) -> Path:
    """An empty plans directory: what reads synthesized stacks sees no saved plan."""
    return tmp_path_factory.mktemp("no-plans")
