"""What tests share, in one place: a scratch stack to synthesize a construct in, readers for the
synthesized JSON, the checked-in environment files as data, and the fake account and key ARN.

Fixtures stay in conftest.py; plain functions and constants live here, so a test imports them by
name instead of copying them. Import-light on purpose: cdktf (which starts a node process) and
the environment loader are imported inside the functions that need them, so a test of a script
that imports this file pays for neither.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from scripts import paths

if TYPE_CHECKING:
    from cdktf import TerraformStack

    from environments.schema import Environment

# The repository's root has one derivation, in scripts/paths.py; tests read it from there too.
REPO_ROOT = paths.REPO_ROOT

# A made-up account, region and KMS key for construct tests (nothing here is ever deployed).
ACCOUNT = "111111111111"
REGION = "us-east-2"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"


# --- synthesizing one construct -----------------------------------------------------------------


def scratch_stack() -> TerraformStack:
    """A bare stack in an app of its own (cdktf's Testing harness): no provider, no backend."""
    from cdktf import TerraformStack, Testing

    return TerraformStack(Testing.app(), "unit")


def synth_stack(stack: TerraformStack) -> dict:
    """The synthesized Terraform JSON of a stack, as a dict."""
    from cdktf import Testing

    return json.loads(Testing.synth(stack))


def synth(build: Callable[[TerraformStack], object]) -> dict:
    """The synthesized JSON of a scratch stack in which `build(stack)` made its constructs."""
    stack = scratch_stack()
    build(stack)
    return synth_stack(stack)


# --- reading synthesized JSON --------------------------------------------------------------------


def resources(stack: dict, resource_type: str) -> list[dict]:
    """All resources of one type in a synthesized stack (order as synthesized)."""
    return list(stack.get("resource", {}).get(resource_type, {}).values())


def of_type(out: dict, resource_type: str, kind: str = "resource") -> dict[str, dict]:
    """{logical id: config} of one resource (or, with kind="data", data source) type."""
    return out.get(kind, {}).get(resource_type, {})


def statements(out: dict, document_id_prefix: str) -> list[dict]:
    """The statements of the one IAM policy document whose logical id starts with the prefix."""
    (document,) = [
        d for name, d in of_type(out, "aws_iam_policy_document", "data").items() if name.startswith(document_id_prefix)
    ]
    return document["statement"]


# --- environment files ---------------------------------------------------------------------------


def env_data(name: str) -> dict:
    """A checked-in environment file (environments/<name>.yaml) as plain data, to change and validate."""
    from environments.loader import ENVIRONMENTS_DIR

    return yaml.safe_load((ENVIRONMENTS_DIR / f"{name}.yaml").read_text())


def validation_errors(data: dict) -> str:
    """The schema's message for data it must refuse (the test fails if the schema accepts it)."""
    from pydantic import ValidationError

    from environments.schema import Environment

    with pytest.raises(ValidationError) as info:
        Environment.model_validate(data)
    return str(info.value)


def load_changed(tmp_path: Path, name: str, change: Callable[[dict], None]) -> Environment:
    """Write a changed copy of a checked-in environment file and load it through the real loader,
    so a test sees exactly the message a person would (file, field path, fix)."""
    from environments.loader import load_environment

    data = env_data(name)
    change(data)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_environment(path)


def config_error(tmp_path: Path, name: str, change: Callable[[dict], None]) -> str:
    """The loader's message for a changed environment file it must refuse; the file comes first."""
    from environments.loader import ConfigError

    with pytest.raises(ConfigError) as info:
        load_changed(tmp_path, name, change)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / name}.yaml: "), message
    return message


def set_path(data: dict, dotted: str, value: object) -> None:
    """data["a"]["b"]["c"] = value, for dotted = "a.b.c"."""
    *parents, leaf = dotted.split(".")
    for part in parents:
        data = data[part]
    data[leaf] = value


# How much lower the other pytest workers run while the integration module deploys: at nice 10
# the kernel gives a nice-0 process about ten times their share of a busy core.
SIBLING_NICENESS = 10


def yield_cpu_to(me: int, parent: int) -> list[int]:
    """Lower the priority of `parent`'s other children (the other xdist workers) to SIBLING_NICENESS.

    The integration module is the suite's longest path (deploy, plan, drift, destroy of eight
    stacks) and partly CPU-bound (Terraform, the provider, checkov, moto), while the unit, stack
    and checkov layers on the other workers finish minutes before it either way. Their later
    subprocesses inherit the niceness. A process may always lower its own user's priority, so
    this needs no privilege; without /proc (not Linux) it does nothing. Returns the pids lowered.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    lowered = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            # /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ")".
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == parent:
                pid = int(entry.name)
                # Never raise one: as root, setpriority would, for a suite already run at nice 19.
                os.setpriority(os.PRIO_PROCESS, pid, max(os.getpriority(os.PRIO_PROCESS, pid), SIBLING_NICENESS))
                lowered.append(pid)
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile, or not ours
    return lowered
