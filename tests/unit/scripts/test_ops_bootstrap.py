"""bootstrap's first deploy (scripts/ops.py): the state backend first, checked against the gated plan."""

from __future__ import annotations

import json

import pytest

from scripts import ops


def test_the_state_backend_part_must_match_the_gated_whole_change_for_change(tmp_path, monkeypatch):
    """bootstrap's first deploy applies a targeted plan only if each of its changes is one the
    gate judged in the whole stack's plan (scripts/ops.py:_apply_backend_first)."""
    whole = {
        "resource_changes": [{"address": "aws_s3_bucket.state", "change": {"actions": ["create"], "after": {"b": 1}}}]
    }
    part = {
        "resource_changes": [{"address": "aws_s3_bucket.state", "change": {"actions": ["create"], "after": {"b": 2}}}]
    }
    plans = iter([whole, part])
    applied: list[tuple] = []

    def plan_stack(stack, env, tf, *targets):
        plan_file = tmp_path / f"p{len(targets)}.tfplan"
        plan_file.with_suffix(".json").write_text(json.dumps(next(plans)))
        return plan_file, {"create": [], "update": [], "delete": [], "replace": []}

    class Tf:
        def run(self, *args):
            applied.append(args)

    class Stack:
        name = "local-bootstrap"

    monkeypatch.setattr(ops, "_plan_stack", plan_stack)
    monkeypatch.setattr(ops, "_gate", lambda *a: None)
    monkeypatch.setattr(ops, "handover_targets", lambda stack: ["aws_s3_bucket.state"])
    with pytest.raises(ops.GateFailed, match=r"differs from its gated plan at: aws_s3_bucket\.state"):
        ops._apply_backend_first(Stack(), None, Tf())
    assert applied == []
