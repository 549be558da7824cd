"""Lazy binding submodules (scripts/lazy_bindings.py) must not change what is synthesized."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT, SYNTH_LOCAL_ENDPOINT

# Terraform writes these beside cdk.tf.json when another test validates the shared synth in
# parallel (tests/terraform): they are Terraform's, not the synth's, so they are not compared.
TERRAFORM_WRITES = (".terraform.lock.hcl",)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in TERRAFORM_WRITES and ".terraform" not in p.parts
    }


def test_lazy_bindings_synthesize_byte_identical_json_for_every_stack(synth_dir, tmp_path):
    """The shared synth (lazy bindings) against a fresh process with the package's eager __init__."""
    eager_out = tmp_path / "eager"
    env = {
        **os.environ,
        "CDKTF_EAGER_BINDINGS": "1",
        "SYNTH_JOBS": "1",
        "CDKTF_OUTDIR": str(eager_out),
        "LOCAL_AWS_ENDPOINT": SYNTH_LOCAL_ENDPOINT,
    }
    env.pop("CDKTF_ENV", None)
    probe = (
        "import runpy, sys; sys.argv = ['main.py']; "
        "rc = runpy.run_path('main.py', run_name='not_main'); "
        "sys.exit(rc['main']() or (0 if len([m for m in sys.modules if m.startswith('cdktf_cdktf_provider_aws.')]) "
        "> 2000 else 9))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    # 9: the reference run did not load the package eagerly, so it would prove nothing.
    assert result.returncode == 0, result.stderr[-3000:]

    lazy, eager = _files(synth_dir), _files(eager_out)
    stacks = [name for name in eager if name.endswith("cdk.tf.json")]
    assert len(stacks) >= 30, stacks
    assert sorted(lazy) == sorted(eager)
    assert [name for name in eager if lazy[name] != eager[name]] == []


def test_lazy_bindings_load_only_what_is_imported():
    code = (
        "from scripts import lazy_bindings; assert lazy_bindings.install(); "
        "import sys, cdktf_cdktf_provider_aws as aws; from cdktf_cdktf_provider_aws.vpc import Vpc; "
        "loaded = [m for m in sys.modules if m.startswith('cdktf_cdktf_provider_aws.')]; "
        "assert aws.subnet.Subnet.__name__ == 'Subnet'; "
        "print(len(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) < 10  # the eager __init__ loads 2,123


def test_synth_in_two_processes_writes_the_same_cdktf_out(synth_dir, tmp_path):
    """main.py's per-environment processes and merged manifest against the one-process synth."""
    out = tmp_path / "parallel"
    env = {**os.environ, "SYNTH_JOBS": "2", "CDKTF_OUTDIR": str(out), "LOCAL_AWS_ENDPOINT": SYNTH_LOCAL_ENDPOINT}
    env.pop("CDKTF_ENV", None)
    result = subprocess.run(
        [sys.executable, "main.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    single, parallel = _files(synth_dir), _files(out)
    assert sorted(parallel) == sorted(single)
    assert [name for name in single if parallel[name] != single[name]] == []
