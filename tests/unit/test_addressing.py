"""stacks/addressing.py: moving resources into constructs keeps their Terraform addresses."""

from __future__ import annotations

import json

import pytest
from cdktf import App, TerraformOutput, TerraformStack
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from constructs import Construct

from stacks.addressing import KeepsAddresses, make_unique_id
from stacks.base import EnvironmentStack


class _Stack(KeepsAddresses, EnvironmentStack):
    pass


PATHS = [
    ["topic"],
    ["monitoring", "api-5xx-rate"],
    ["lb", "alb", "Resource"],
    ["service", "service"],  # cdktf drops a component its predecessor ends with, in the readable part
    ["rotation", "rotation-function", "function"],  # ... ends with, not equals
    ["config-key", "alias"],
    ["a.b", "c d", "e"],  # characters cdktf removes
    ["Default", "bucket", "Default", "x"],  # "Default" is left out of the path entirely
    ["x" * 300],  # too long for a bare name: hashed like a path
]


def _topics_at(paths: list[list[str]]) -> dict[str, list[str]]:
    stack = TerraformStack(CdktfTesting.app(), "s")
    for path in paths:
        scope: Construct = stack
        for part in path[:-1]:
            scope = scope.node.try_find_child(part) or Construct(scope, part)
        SnsTopic(scope, path[-1], name="-".join(path)[:200])
    return json.loads(CdktfTesting.synth(stack))["resource"]["aws_sns_topic"]


def test_the_port_names_paths_exactly_as_cdktf_does():
    synthesized = _topics_at(PATHS)
    assert sorted(make_unique_id(path) for path in PATHS) == sorted(synthesized)


@pytest.fixture(scope="module")
def dev(environments):
    return environments["dev"]


def _stack(env, build) -> dict:
    stack = _Stack(App(), env=env, component="unit")
    build(stack)
    return json.loads(CdktfTesting.synth(stack))["resource"]["aws_sns_topic"]


def test_a_transparent_construct_keeps_the_addresses_its_resources_had_in_the_stack(dev):
    before = _stack(dev, lambda s: [SnsTopic(s, "topic", name="t"), SnsTopic(Construct(s, "m"), "alarm", name="a")])

    def moved(stack: _Stack) -> None:
        wrapper = Construct(stack, stack.transparent("wrapper"))
        SnsTopic(wrapper, "topic", name="t")
        SnsTopic(Construct(wrapper, "m"), "alarm", name="a")

    assert _stack(dev, moved) == before
    # Without the mark, the same move renames both (Terraform would destroy and re-create them).
    unmarked = _stack(dev, lambda s: SnsTopic(Construct(s, "wrapper"), "topic", name="t"))
    assert "topic" not in unmarked


def test_a_pinned_path_keeps_its_old_address_even_when_referenced_at_once(dev):
    def build(stack: _Stack) -> None:
        stack.pin_address("fn/trigger", "documents-uploads")
        inner = Construct(stack, "fn")
        trigger = SnsTopic(inner, "trigger", name="t")
        SnsTopic(inner, "other", name="o", depends_on=[trigger])  # asks for the address while building

    out = _stack(dev, build)
    assert "documents-uploads" in out
    (other,) = [v for k, v in out.items() if k != "documents-uploads"]
    assert other["depends_on"] == ["aws_sns_topic.documents-uploads"]


def test_two_resources_claiming_one_address_are_refused(dev):
    def build(stack: _Stack) -> None:
        SnsTopic(stack, "topic", name="a")
        SnsTopic(Construct(stack, stack.transparent("wrapper")), "topic", name="b")

    with pytest.raises(Exception, match="would both be Terraform resource 'topic'"):
        _stack(dev, build)


def _everything(stack) -> None:
    """Resources, a data source and an output at several depths."""
    inner = Construct(Construct(stack, "outer"), "inner")
    topic = SnsTopic(inner, "topic", name="t")
    SnsTopic(stack, "top", name="u", depends_on=[topic])
    me = DataAwsCallerIdentity(Construct(stack, "lookups"), "me")
    TerraformOutput(stack, "account", value=me.account_id)


def test_a_stack_with_no_rules_synthesizes_exactly_as_cdktf_names_it(dev):
    # KeepsAddresses answers every name itself (no call back into cdktf): the whole document,
    # references included, must be what cdktf's own naming produces.
    plain = EnvironmentStack(App(), env=dev, component="unit")
    _everything(plain)
    keeping = _Stack(App(), env=dev, component="unit")
    _everything(keeping)
    assert json.loads(CdktfTesting.synth(keeping)) == json.loads(CdktfTesting.synth(plain))


def test_a_moved_prefix_names_everything_below_it_by_the_old_path(dev):
    def before(stack: _Stack) -> None:
        SnsTopic(Construct(stack, "load-balancer"), "alb", name="a")
        SnsTopic(stack, "alb-to-hosts", name="b")
        SnsTopic(Construct(stack, "load-balancer-2"), "alb", name="c")

    def after(stack: _Stack) -> None:
        stack.moved("front-door/load-balancer", "load-balancer")
        stack.moved("front-door/load-balancer/to-hosts", "alb-to-hosts")  # the longest prefix wins
        lb = Construct(Construct(stack, "front-door"), "load-balancer")
        SnsTopic(lb, "alb", name="a")
        SnsTopic(lb, "to-hosts", name="b")
        # Whole construct ids only: "load-balancer-2" is not below "load-balancer".
        SnsTopic(Construct(stack, "load-balancer-2"), "alb", name="c")

    assert _stack(dev, after) == _stack(dev, before)


def test_a_move_to_nowhere_is_refused(dev):
    with pytest.raises(ValueError, match="at least one construct id"):
        _stack(dev, lambda s: s.moved("front-door/zone", ""))
