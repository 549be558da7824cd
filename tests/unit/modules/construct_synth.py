"""Synthesize one construct in a bare stack: what every construct-level test here starts from."""

from __future__ import annotations

import json
from collections.abc import Callable

from cdktf import TerraformStack, Testing

ACCOUNT = "111111111111"
REGION = "us-east-2"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"


def synth(build: Callable[[TerraformStack], object]) -> dict:
    """The synthesized JSON of a stack in which `build(stack)` made its constructs."""
    stack = TerraformStack(Testing.app(), "unit")
    build(stack)
    return json.loads(Testing.synth(stack))


def of_type(out: dict, resource_type: str) -> dict[str, dict]:
    """Resources of one type, by logical id."""
    return out.get("resource", {}).get(resource_type, {})


def data_of_type(out: dict, data_type: str) -> dict[str, dict]:
    return out.get("data", {}).get(data_type, {})


def statements(out: dict, document_id_prefix: str) -> list[dict]:
    """The statements of the one policy document whose logical ID starts with the prefix."""
    (document,) = [
        d for name, d in data_of_type(out, "aws_iam_policy_document").items() if name.startswith(document_id_prefix)
    ]
    return document["statement"]
