"""One plan-change classifier (scripts/plans.py) for ops, plan_summary and diagram."""

from __future__ import annotations

import re
from pathlib import Path

from scripts import ops, plan_summary, plans

SCRIPTS = Path(plans.__file__).parent


def _change(address: str, *actions: str) -> dict:
    return {"address": address, "change": {"actions": list(actions)}}


def test_every_kind_of_action_is_classified():
    plan = {
        "resource_changes": [
            _change("aws_s3_bucket.new", "create"),
            _change("aws_iam_role.tags", "update"),
            _change("aws_kms_key.gone", "delete"),
            _change("aws_db_instance.swap", "delete", "create"),
            _change("aws_lb.blue_green", "create", "delete"),  # create_before_destroy
            _change("aws_vpc.same", "no-op"),
            _change("data.aws_caller_identity.me", "read"),
            _change("aws_sqs_queue.kept_out_of_state", "forget"),
        ]
    }
    assert plans.changes(plan) == {
        "create": ["aws_s3_bucket.new"],
        "update": ["aws_iam_role.tags"],
        "delete": ["aws_kms_key.gone"],
        "replace": ["aws_db_instance.swap", "aws_lb.blue_green"],
    }
    assert plans.changes({}) == {kind: [] for kind in plans.KINDS}
    assert [plans.kind(c) for c in plan["resource_changes"][5:]] == [None, None, None]


def test_ops_plan_summary_and_diagram_use_the_one_classifier():
    assert ops.changes is plans.changes
    assert plan_summary.changes is plans.changes
    # Nothing else in scripts/ reads a plan's action lists itself.
    readers = [p.name for p in SCRIPTS.glob("*.py") if re.search(r"""\[["']actions["']\]""", p.read_text())]
    assert readers == ["plans.py"]
