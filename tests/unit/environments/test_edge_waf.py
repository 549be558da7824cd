"""The CloudFront edge has its own WAF settings (edge.waf), apart from the API's (api.waf)."""

from __future__ import annotations

import pytest

from tests.helpers import config_error, load_changed, synth_stack

OFFICE = "192.0.2.0/24"  # TEST-NET-1


def _edge_only_lists(data: dict) -> None:
    data["api"]["waf"]["allow_cidrs"] = []
    data["edge"]["waf"]["allow_cidrs"] = [OFFICE]
    data["edge"]["waf"]["block_cidrs"] = []


def test_edge_lists_are_its_own(tmp_path):
    env = load_changed(tmp_path, "dev", _edge_only_lists)
    assert [str(c) for c in env.edge.waf.allow_cidrs] == [OFFICE] and env.edge.waf.block_cidrs == []
    assert env.api.waf.allow_cidrs == [] and [str(c) for c in env.api.waf.block_cidrs] == ["198.51.100.0/24"]


def test_the_old_flat_rate_limit_key_is_refused_with_the_new_place(tmp_path):
    def old_shape(data: dict) -> None:
        data["edge"]["waf_rate_limit"] = data["edge"].pop("waf")["rate_limit"]

    message = config_error(tmp_path, "dev", old_shape)
    assert "\n  edge.waf: required but missing" in message
    assert "\n  edge.waf_rate_limit: unknown key; allowed here: distribution, subdomain, price_class," in message


@pytest.mark.parametrize("section", ["api.waf", "edge.waf"])
def test_allowing_everyone_is_refused_in_either_acl(tmp_path, section):
    first, second = section.split(".")
    message = config_error(tmp_path, "dev", lambda data: data[first][second].update(allow_cidrs=["0.0.0.0/0"]))
    assert f"\n  {section}.allow_cidrs: 0.0.0.0/0 allows every address before any other WAF rule runs" in message


@pytest.mark.parametrize("section", ["api.waf", "edge.waf"])
def test_blocking_everyone_is_refused_as_aws_waf_does(tmp_path, section):
    # AWS WAF takes every IPv4 CIDR except /0 in an IP set (IP set match statement, WAF developer guide).
    first, second = section.split(".")
    message = config_error(tmp_path, "dev", lambda data: data[first][second].update(block_cidrs=["0.0.0.0/0"]))
    assert f"\n  {section}.block_cidrs: 0.0.0.0/0 would block every client, and AWS WAF refuses /0" in message


def test_edge_lists_overlapping_are_refused(tmp_path):
    def overlap(data: dict) -> None:
        data["edge"]["waf"].update(allow_cidrs=[OFFICE], block_cidrs=["192.0.2.128/25"])

    message = config_error(tmp_path, "dev", overlap)
    assert "\n  edge.waf: allow_cidrs 192.0.2.0/24 overlaps block_cidrs 192.0.2.128/25; a range is one" in message


def test_the_edge_stack_builds_its_web_acl_from_edge_waf(tmp_path):
    """Synthesizes the edge stack alone: its IP sets hold edge.waf's ranges, not api.waf's."""
    from cdktf import Testing
    from cdktf_cdktf_provider_aws.wafv2_ip_set import Wafv2IpSet
    from cdktf_cdktf_provider_aws.wafv2_web_acl import Wafv2WebAcl

    from stacks.refactor.edge import RefactorEdgeStack

    env = load_changed(tmp_path, "dev", _edge_only_lists)
    stack = RefactorEdgeStack(Testing.app(), env=env)
    resources = synth_stack(stack)["resource"]
    ip_sets = {ip_set["name"]: ip_set for ip_set in resources[Wafv2IpSet.TF_RESOURCE_TYPE].values()}
    (addresses,) = [ip_set["addresses"] for ip_set in ip_sets.values()]
    assert addresses == [OFFICE]
    (acl,) = resources[Wafv2WebAcl.TF_RESOURCE_TYPE].values()
    assert acl["scope"] == "CLOUDFRONT"
    rates = [
        r["statement"]["rate_based_statement"]["limit"] for r in acl["rule"] if "rate_based_statement" in r["statement"]
    ]
    assert rates == [env.edge.waf.rate_limit]
