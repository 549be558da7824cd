"""A WAFv2 web ACL (REGIONAL for API Gateway, CLOUDFRONT for distributions) with the rules every
public entry here gets: IP allow and block lists, a per-IP rate limit, and AWS managed groups
(common, known bad inputs, IP reputation, SQL injection, anonymous IPs). Requests are logged to an encrypted
`aws-waf-logs-` log group (WAF accepts only that prefix).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.wafv2_ip_set import Wafv2IpSet
from cdktf_cdktf_provider_aws.wafv2_web_acl import Wafv2WebAcl
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",  # includes the Log4j (Log4Shell) signatures
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesAnonymousIpList",
)
# Cloud hosting ranges are where legitimate server-to-server API clients live: count, don't block.
RULE_ACTION_OVERRIDES = {"AWSManagedRulesAnonymousIpList": ("HostingProviderIPList",)}
# An API whose bodies are source code: the common rule set's body rules would block most real calls.
# SizeRestrictions_BODY blocks every body over 8 KB; the cross-site-scripting and file-inclusion
# body signatures match ordinary code (`<script>`, `../`, `include "http://..."`). They count (and
# stay visible in metrics and logs); the body-size rule below enforces the backend's own limit.
SOURCE_CODE_BODY_OVERRIDES = (
    "SizeRestrictions_BODY",
    "CrossSiteScripting_BODY",
    "GenericLFI_BODY",
    "GenericRFI_BODY",
)
RATE_LIMIT_RULE = "rate-limit-per-ip"
BODY_SIZE_RULE = "body-over-backend-limit"
WAF_REGEX_MAX_CHARS = 200  # AWS WAF's limit on one regex string


def greater_than_regex(limit: int) -> str:
    """A regex matching exactly the decimal integers greater than `limit` (leading zeros allowed).

    WAF sees at most the first 16-64 KB of a body, so a size constraint on the body can't enforce a
    larger limit; the Content-Length header states the full size, and this pattern compares it.
    """
    if limit < 0:
        raise ValueError("limit must be >= 0")
    digits = str(limit)
    width = len(digits)
    alternatives = [rf"[1-9]\d{{{width},}}"]  # more digits than the limit
    for index, digit in enumerate(digits):
        if digit == "9":
            continue
        rest = width - index - 1
        tail = {0: "", 1: r"\d"}.get(rest, rf"\d{{{rest}}}")
        higher = "9" if digit == "8" else f"[{int(digit) + 1}-9]"
        alternatives.append(f"{digits[:index]}{higher}{tail}")
    pattern = "^0*(?:" + "|".join(alternatives) + ")$"
    if len(pattern) > WAF_REGEX_MAX_CHARS:
        raise ValueError(f"the regex for {limit} is {len(pattern)} characters; WAF allows {WAF_REGEX_MAX_CHARS}")
    return pattern


def _visibility(metric: str) -> dict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


class WebAcl(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        waf_scope: Literal["REGIONAL", "CLOUDFRONT"],
        rate_limit: int,
        allow_cidrs: Sequence[str] = (),
        block_cidrs: Sequence[str] = (),
        log_kms_key_arn: str,
        log_retention_days: int,
        max_body_bytes: int | None = None,
        provider: AwsProvider | None = None,
    ) -> None:
        """`max_body_bytes`: set for an API that takes source code in request bodies. The common rule
        set's body rules then count, and requests declaring a larger body are blocked."""
        super().__init__(scope, id_)
        self.name = name
        rules: list[dict] = []
        priority = 0
        for action, cidrs in (("allow", allow_cidrs), ("block", block_cidrs)):
            if not cidrs:
                continue
            ip_set = Wafv2IpSet(
                self,
                f"{action}-ips",
                name=f"{name}-{action}",
                scope=waf_scope,
                ip_address_version="IPV4",
                addresses=[str(c) for c in cidrs],
                provider=provider,
            )
            rules.append(
                {
                    "name": f"{action}-listed-ips",
                    "priority": priority,
                    "action": {action: {}},
                    "statement": {"ip_set_reference_statement": {"arn": ip_set.arn}},
                    "visibility_config": _visibility(f"{name}-{action}-listed-ips"),
                }
            )
            priority += 1
        rules.append(
            {
                "name": RATE_LIMIT_RULE,
                "priority": priority,
                "action": {"block": {}},
                "statement": {"rate_based_statement": {"limit": rate_limit, "aggregate_key_type": "IP"}},
                "visibility_config": _visibility(f"{name}-{RATE_LIMIT_RULE}"),
            }
        )
        if max_body_bytes is not None:
            priority += 1
            rules.append(
                {
                    "name": BODY_SIZE_RULE,
                    "priority": priority,
                    "action": {"block": {}},
                    "statement": {
                        "regex_match_statement": {
                            "regex_string": greater_than_regex(max_body_bytes),
                            "field_to_match": {"single_header": {"name": "content-length"}},
                            "text_transformation": [{"priority": 0, "type": "NONE"}],
                        }
                    },
                    "visibility_config": _visibility(f"{name}-{BODY_SIZE_RULE}"),
                }
            )
        overrides = dict(RULE_ACTION_OVERRIDES)
        if max_body_bytes is not None:
            overrides["AWSManagedRulesCommonRuleSet"] = SOURCE_CODE_BODY_OVERRIDES
        for offset, group in enumerate(MANAGED_RULE_GROUPS, start=priority + 1):
            rules.append(
                {
                    "name": group,
                    "priority": offset,
                    "override_action": {"none": {}},
                    "statement": {
                        "managed_rule_group_statement": {
                            "name": group,
                            "vendor_name": "AWS",
                            **(
                                {
                                    "rule_action_override": [
                                        {"name": rule, "action_to_use": {"count": {}}} for rule in overrides[group]
                                    ]
                                }
                                if group in overrides
                                else {}
                            ),
                        }
                    },
                    "visibility_config": _visibility(f"{name}-{group}"),
                }
            )
        self.rules = rules
        self.acl = Wafv2WebAcl(
            self,
            "acl",
            name=name,
            scope=waf_scope,
            default_action={"allow": {}},
            visibility_config=_visibility(name),
            provider=provider,
        )
        # Rules are nested four deep; the typed structs would be longer than the JSON they write.
        self.acl.add_override("rule", rules)

        self.log_group = CloudwatchLogGroup(
            self,
            "log-group",
            name=f"aws-waf-logs-{name}",
            retention_in_days=log_retention_days,
            kms_key_id=log_kms_key_arn,
            provider=provider,
        )
        Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            resource_arn=self.acl.arn,
            log_destination_configs=[self.log_group.arn],
            # Authorization headers carry Cognito tokens and API keys: never log them.
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header)
                )
                for header in ("authorization", "x-api-key")
            ],
            provider=provider,
        )

    @property
    def arn(self) -> str:
        return self.acl.arn

    def associate(self, id_: str, *, resource_arn: str) -> Wafv2WebAclAssociation:
        """Attach a REGIONAL ACL to an API Gateway stage, ALB, or similar (CloudFront attaches via web_acl_id)."""
        return Wafv2WebAclAssociation(self, id_, resource_arn=resource_arn, web_acl_arn=self.acl.arn)
