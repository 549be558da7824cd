"""One scratch stack per construct test: synthesize what a builder adds, read it as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

import cdktf

ACCOUNT = "111111111111"
REGION = "us-east-2"


def synth(build: Callable[[cdktf.TerraformStack], object]) -> dict:
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "unit")
    build(stack)
    return json.loads(cdktf.Testing.synth(stack))


def of_type(out: dict, resource_type: str, kind: str = "resource") -> dict[str, dict]:
    """{logical id: config} of one type (TF_RESOURCE_TYPE) in a synthesized stack."""
    return out.get(kind, {}).get(resource_type, {})


def statements(out: dict, document_id_prefix: str) -> list[dict]:
    """The statements of the one policy document whose logical ID starts with the prefix."""
    (document,) = [
        d for name, d in of_type(out, "aws_iam_policy_document", "data").items() if name.startswith(document_id_prefix)
    ]
    return document["statement"]
