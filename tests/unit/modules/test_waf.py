"""modules/waf.py: WebAcl (rate limit, IP lists, managed groups, redacted logs) and, for A9 (issue 10),
the API's WAF letting source-code bodies through the managed rules while enforcing the backend's own
body limit instead."""

from __future__ import annotations

import re

import pytest
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.wafv2_ip_set import Wafv2IpSet
from cdktf_cdktf_provider_aws.wafv2_web_acl import Wafv2WebAcl
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import Wafv2WebAclLoggingConfiguration

from modules.waf import MANAGED_RULE_GROUPS, SOURCE_CODE_BODY_OVERRIDES, WebAcl, greater_than_regex
from tests.helpers import KEY, resources, scratch_stack, synth_stack


@pytest.mark.parametrize("limit", [0, 9, 999, 1000, 1024, 65536, 5 * 1024 * 1024, 10 * 1024 * 1024])
def test_body_limit_regex_matches_exactly_the_larger_sizes(limit):
    pattern = re.compile(greater_than_regex(limit))
    step = max(1, limit // 501)
    for size in [*range(0, 2 * limit + 3, step), limit - 1, limit, limit + 1, 10 * limit + 7]:
        if size < 0:
            continue
        assert bool(pattern.match(str(size))) is (size > limit), size
        # Leading zeros must not smuggle a large body past the rule.
        assert bool(pattern.match("00" + str(size))) is (size > limit), size
    assert not pattern.match("") and not pattern.match("12a")
    assert len(greater_than_regex(limit)) <= 200  # WAF's regex length limit


def test_overrides_are_the_common_rule_sets_body_rules():
    assert set(SOURCE_CODE_BODY_OVERRIDES) == {
        "SizeRestrictions_BODY",
        "CrossSiteScripting_BODY",
        "GenericLFI_BODY",
        "GenericRFI_BODY",
    }


def _waf(**kwargs) -> dict:
    stack = scratch_stack()
    acl = WebAcl(
        stack,
        "waf",
        name="dev-x-api",
        waf_scope="REGIONAL",
        rate_limit=1234,
        log_kms_key_arn=KEY,
        log_retention_days=30,
        **kwargs,
    )
    acl.associate("stage", resource_arn="arn:aws:apigateway:us-east-2::/restapis/a/stages/v1")
    return synth_stack(stack)


def test_waf_rate_limits_per_ip_and_runs_every_managed_group_with_its_own_priority():
    out = _waf()
    (acl,) = resources(out, Wafv2WebAcl.TF_RESOURCE_TYPE)
    rules = acl["rule"]
    rate = next(r for r in rules if "rate_based_statement" in r["statement"])
    assert rate["statement"]["rate_based_statement"] == {"limit": 1234, "aggregate_key_type": "IP"}
    assert rate["action"] == {"block": {}}
    managed = [r["statement"]["managed_rule_group_statement"]["name"] for r in rules if "override_action" in r]
    assert managed == list(MANAGED_RULE_GROUPS)
    assert len({r["priority"] for r in rules}) == len(rules)
    assert acl["default_action"] == {"allow": {}} and acl["scope"] == "REGIONAL"
    # No lists configured, no IP sets and no empty rules.
    assert resources(out, Wafv2IpSet.TF_RESOURCE_TYPE) == []


def test_waf_allow_list_is_evaluated_before_the_block_list_and_the_rate_limit():
    out = _waf(allow_cidrs=["203.0.113.0/24"], block_cidrs=["198.51.100.0/24"])
    rules = sorted(resources(out, Wafv2WebAcl.TF_RESOURCE_TYPE)[0]["rule"], key=lambda r: r["priority"])
    assert [r["name"] for r in rules[:3]] == ["allow-listed-ips", "block-listed-ips", "rate-limit-per-ip"]
    assert rules[0]["action"] == {"allow": {}} and rules[1]["action"] == {"block": {}}
    addresses = sorted(s["addresses"][0] for s in resources(out, Wafv2IpSet.TF_RESOURCE_TYPE))
    assert addresses == ["198.51.100.0/24", "203.0.113.0/24"]


def test_waf_logs_to_an_encrypted_waf_prefixed_group_without_credentials_and_associates():
    out = _waf()
    (group,) = resources(out, CloudwatchLogGroup.TF_RESOURCE_TYPE)
    assert group["name"] == "aws-waf-logs-dev-x-api" and group["kms_key_id"] == KEY
    (logging,) = resources(out, Wafv2WebAclLoggingConfiguration.TF_RESOURCE_TYPE)
    assert {f["single_header"]["name"] for f in logging["redacted_fields"]} == {"authorization", "x-api-key"}
    (association,) = resources(out, Wafv2WebAclAssociation.TF_RESOURCE_TYPE)
    assert association["resource_arn"].endswith("/stages/v1")
