"""Broken environment files: a clear message naming file, field and fix; no traceback; and
nothing synthesized (cdktf.out is left exactly as it was)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from environments.loader import ENVIRONMENTS_DIR
from tests.helpers import REPO_ROOT

DEV = (ENVIRONMENTS_DIR / "dev.yaml").read_text()

CASES = {
    "unknown-key": (
        DEV.replace("  use_spot: true", "  use_spot: true\n  spot_price: 0.05"),
        ["compute.spot_price", "unknown key; allowed here: cpu, memory, min_tasks, max_tasks, use_spot"],
    ),
    "broken-yaml": (
        DEV.replace("  cpu: 512", "  cpu: [512"),
        ["invalid YAML at line"],
    ),
    "bad-cidr": (
        DEV.replace("cidr: 10.20.0.0/16", "cidr: 10.20.0.0/33"),
        ["networks.refactor.us-east-2.cidr", "valid IPv4 network"],
    ),
    "min-above-max": (
        DEV.replace("  min_capacity: 0.5\n  max_capacity: 4", "  min_capacity: 8\n  max_capacity: 4"),
        ["database", "min_capacity (8.0) must be <= max_capacity (4.0)"],
    ),
    "duplicate-key": (
        DEV.replace("  use_spot: true", "  use_spot: true\n  use_spot: false"),
        ["duplicate key 'use_spot'"],
    ),
    "wrong-type": (
        DEV.replace("  max_tasks: 4", "  max_tasks: lots"),
        ["compute.max_tasks", "valid integer", "'lots'"],
    ),
}
# Issue 10 (B17): rules that let a broken environment through before.
CASES["one-az"] = (
    DEV.replace(
        "      az_count: 2\n      nat_gateways: single     #", "      az_count: 1\n      nat_gateways: single     #"
    ),
    ["networks.refactor.us-east-2.az_count", "at least 2 availability zones; set az_count: 2"],
)
CASES["waf-allows-everyone"] = (
    DEV.replace("    allow_cidrs: []", "    allow_cidrs: [0.0.0.0/0]"),
    ["api.waf.allow_cidrs", "0.0.0.0/0 allows every address before any other WAF rule runs"],
)
CASES["waf-allows-every-ipv6"] = (
    DEV.replace("    allow_cidrs: []", '    allow_cidrs: ["::/0"]'),
    ["api.waf.allow_cidrs.0", "valid IPv4 network"],
)
CASES["unknown-primary-region"] = (
    DEV.replace("primary_region: us-east-2", "primary_region: us-east-9"),
    ["primary_region", "unknown AWS region 'us-east-9'"],
)
CASES["no-tier"] = (
    DEV.replace("tier: development\n", ""),
    ["tier: required but missing"],
)
# Production rules, keyed on tier (prod.yaml is written in place of dev.yaml's slot below).
PROD = (ENVIRONMENTS_DIR / "prod.yaml").read_text()
PROD_CASES = {
    "production-without-recipients": (
        PROD.replace("  emails:\n    - platform-alerts+prod@example.com", "  emails: []"),
        ["tier production requires alerts.emails"],
    ),
    "production-without-tasks": (
        PROD.replace("  min_tasks: 1\n  max_tasks: 10", "  min_tasks: 0\n  max_tasks: 10"),
        ["tier production requires compute.min_tasks >= 1"],
    ),
    "production-without-hosts": (
        PROD.replace(
            "  min_size: 1\n  max_size: 3\n  desired_capacity: 1", "  min_size: 0\n  max_size: 3\n  desired_capacity: 0"
        ),
        ["tier production requires tablesleuth.min_size >= 1"],
    ),
    "prod-named-but-not-production": (
        PROD.replace("tier: production", "tier: development"),
        ["an environment named prod must set tier: production"],
    ),
}

# Overlap: the TableSleuth VPC moved inside the refactor VPC's range.
CASES["overlapping-cidrs"] = (
    DEV.replace("cidr: 10.10.0.0/16", "cidr: 10.20.128.0/17"),
    [
        "networks.refactor.us-east-2.cidr (10.20.0.0/16) overlaps networks.tablesleuth.us-east-2.cidr (10.20.128.0/17)",
        "give each VPC its own range",
    ],
)

# TableSleuth without sign-in: a session holds the GizmoSQL credentials.
CASES["tablesleuth-without-login"] = (
    re.sub(r"\n  login:\n(    .*\n)+", "\n", DEV),
    ["tablesleuth.login is required outside local_aws", "user_pool_arn, user_pool_client_id"],
)
CASES["tablesleuth-login-not-a-user-pool"] = (
    DEV.replace("user_pool_arn: arn:aws:cognito-idp:", "user_pool_arn: arn:aws:cognito-identity:"),
    ["tablesleuth.login.user_pool_arn", "is not a Cognito user pool ARN"],
)


# Issue 13: deletion protection follows Environment.disposable; the old per-section switch says so.
CASES["removed-alb-deletion-protection"] = (
    DEV.replace("  public_alb:", "  alb_deletion_protection: true\n  public_alb:", 1),
    ["tablesleuth: alb_deletion_protection was removed: delete the line", "Environment.disposable"],
)


def _synth(env_dir: Path, outdir: Path, selector: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CDKTF_ENVIRONMENTS_DIR": str(env_dir), "CDKTF_OUTDIR": str(outdir), "CDKTF_ENV": selector}
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "main.py")], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_file_fails_clearly_and_synthesizes_nothing(tmp_path, case):
    text, expected = CASES[case]
    assert text != DEV, "the case must change the file"
    env_dir = tmp_path / "environments"
    env_dir.mkdir()
    (env_dir / "dev.yaml").write_text(text)
    (env_dir / "local.yaml").write_text((ENVIRONMENTS_DIR / "local.yaml").read_text())
    outdir = tmp_path / "cdktf.out"
    outdir.mkdir()
    sentinel = outdir / "previous-synth.txt"
    sentinel.write_text("left as it was")

    # Selecting both: the good file must not get synthesized while the bad one fails.
    result = _synth(env_dir, outdir, "local,dev")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert "dev.yaml" in result.stderr
    for fragment in expected:
        assert fragment in result.stderr
    assert sorted(p.name for p in outdir.iterdir()) == ["previous-synth.txt"]
    assert sentinel.read_text() == "left as it was"


def test_unknown_environment_lists_the_choices(tmp_path):
    result = _synth(ENVIRONMENTS_DIR, tmp_path / "out", "qa")
    assert result.returncode == 2
    assert "unknown environment qa; choose from dev, local, prod, staging" in result.stderr
    assert not (tmp_path / "out").exists()


def test_file_name_and_name_field_must_agree(tmp_path):
    env_dir = tmp_path / "environments"
    env_dir.mkdir()
    (env_dir / "qa.yaml").write_text(DEV)
    result = _synth(env_dir, tmp_path / "out", "qa")
    assert result.returncode == 2
    assert "qa.yaml: name: is 'dev' but the file is qa.yaml" in result.stderr


@pytest.mark.parametrize("case", sorted(PROD_CASES))
def test_broken_production_file_fails_clearly(tmp_path, case):
    text, expected = PROD_CASES[case]
    assert text != PROD, "the case must change the file"
    env_dir = tmp_path / "environments"
    env_dir.mkdir()
    (env_dir / "prod.yaml").write_text(text)
    (env_dir / "local.yaml").write_text((ENVIRONMENTS_DIR / "local.yaml").read_text())
    outdir = tmp_path / "cdktf.out"

    result = _synth(env_dir, outdir, "local,prod")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert "prod.yaml" in result.stderr
    for fragment in expected:
        assert fragment in result.stderr
    assert not outdir.exists()
