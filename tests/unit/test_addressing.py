"""stacks/addressing.py: moving resources into constructs keeps their Terraform addresses."""

from __future__ import annotations

import json

import pytest
from cdktf import App, TerraformStack
from cdktf import Testing as CdktfTesting
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
