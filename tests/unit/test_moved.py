"""stacks/moved.py: a moved resource is named exactly as cdktf named it at its old path."""

from __future__ import annotations

import json

import cdktf
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from stacks.moved import moved_logical_id, unique_id


def test_unique_id_is_cdktfs_own_naming():
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "s")
    outer = Construct(stack, "rotation")
    inner = Construct(outer, "rotation-function")  # a parent ending with the child's name
    SqsQueue(stack, "top", name="a")
    SqsQueue(outer, "dlq", name="b")
    SqsQueue(inner, "function", name="c")
    SqsQueue(Construct(stack, "x.y"), "Resource", name="d")
    names = set(json.loads(cdktf.Testing.synth(stack))["resource"]["aws_sqs_queue"])
    computed = {
        unique_id(["top"]),
        unique_id(["rotation", "dlq"]),
        unique_id(["rotation", "rotation-function", "function"]),
        unique_id(["x.y", "Resource"]),
    }
    assert computed == names


def test_the_longest_moved_prefix_wins_and_the_rest_of_the_path_follows():
    moves = {"front-door/load-balancer": "load-balancer", "front-door/load-balancer/to-hosts": "alb-to-hosts"}
    assert moved_logical_id("front-door/load-balancer/alb", moves) == unique_id(["load-balancer", "alb"])
    assert moved_logical_id("front-door/load-balancer/to-hosts", moves) == "alb-to-hosts"
    assert moved_logical_id("front-door/load-balancer-2/alb", moves) is None  # whole components only
    assert moved_logical_id("elsewhere", moves) is None
