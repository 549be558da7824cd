"""Real tools on every synthesized stack: terraform validate against the real provider schema,
and checkov on the synthesized JSON with zero unsuppressed findings."""

from __future__ import annotations

import os

import pytest

from environments.loader import available_environments
from scripts import manifest, scan
from scripts.toolchain import BUILD_DIR, Terraform

pytestmark = pytest.mark.terraform


@pytest.mark.parametrize("env_name", available_environments())
def test_every_stack_validates_against_the_real_provider(env_name, synth_dir):
    stacks = [s for s in manifest.load(synth_dir) if s.env == env_name]
    assert stacks, f"no stacks synthesized for {env_name}"
    for stack in stacks:
        tf = Terraform(stack.directory, extra_env={"TF_DATA_DIR": str(BUILD_DIR / "validate" / stack.name)})
        tf.init("-backend=false")
        result = tf.run("validate", "-json", check=False)
        assert result.returncode == 0, f"{stack.name}: {result.output}"
        assert '"valid": true' in result.output


def test_checkov_passes_on_all_synthesized_json(synth_dir):
    files = [s.directory / "cdk.tf.json" for s in manifest.load(synth_dir)]
    result = scan.run_checkov(files, framework="terraform_json", report_name="test-synth")
    failures = {stack: t.failed for stack, t in result.tallies.items() if t.failed}
    assert failures == {}
    assert result.parsing_errors == []
    # A gate that evaluated nothing would pass vacuously: every stack must have been checked.
    assert all(t.passed > 0 for t in result.tallies.values())
    for report in ("results_json.json", "results_junitxml.xml", "results_sarif.sarif"):
        assert (result.report_dir / report).stat().st_size > 0


def test_checkov_gate_fails_on_a_real_finding(tmp_path):
    """The gate is not vacuous: a security group open to SSH from anywhere fails it."""
    bad = tmp_path / "bad" / "cdk.tf.json"
    bad.parent.mkdir()
    bad.write_text(
        '{"resource": {"aws_security_group": {"open_ssh": {"name": "open", "vpc_id": "vpc-1", '
        '"ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], '
        '"description": "ssh", "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], '
        '"self": false}]}}}}'
    )
    result = scan.run_checkov([bad], framework="terraform_json", report_name="test-bad")
    failed_ids = {check_id for check_id, _, _ in result.tallies["bad"].failed}
    assert "CKV_AWS_24" in failed_ids  # SSH open to the world


def test_terraform_missing_is_reported_plainly(tmp_path):
    import subprocess
    import sys

    from scripts.toolchain import REPO_ROOT

    env = {**os.environ, "PATH": "/nonexistent", "CDKTF_OUTDIR": str(tmp_path)}
    (tmp_path / "manifest.json").write_text(
        '{"stacks": {"local-x": {"synthesizedStackPath": "stacks/local-x/cdk.tf.json"}}}'
    )
    result = subprocess.run(
        [sys.executable, "-m", "scripts.ops", "validate", "local"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "terraform was not found on PATH. Install Terraform 1.10 or newer" in result.stderr
    assert "Traceback" not in result.stderr
