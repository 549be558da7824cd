"""Where this repository keeps things: the one place that derives them.

Import-light on purpose (os and pathlib only): scripts/synthesized.py, scripts/local_aws.py and the
test suite's conftest import it, and none of them may pull in the toolchain checks or cdktf.
Values that come from the environment are read once, at import, as before; tests set them first.
policies/checkov/guardrail_support.py derives the root itself: checkov loads it by file path in its
own virtualenv, where this package is not importable.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Plans, Terraform data, scan reports, logs and the embedded AWS's state. Tests point it at a
# temporary directory so they never touch a developer's own.
BUILD_DIR = Path(os.environ.get("CDKTF_BUILD_DIR", REPO_ROOT / ".build"))
PLAN_ROOT = BUILD_DIR / "plans"
SCAN_ROOT = BUILD_DIR / "scan"


def outdir() -> Path:
    """cdktf's output (CDKTF_OUTDIR, else cdktf.out), read when asked: some callers set it late."""
    return Path(os.environ.get("CDKTF_OUTDIR") or REPO_ROOT / "cdktf.out")


OUTDIR = outdir()
