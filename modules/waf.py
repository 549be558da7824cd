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
RATE_LIMIT_RULE = "rate-limit-per-ip"


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
        provider: AwsProvider | None = None,
    ) -> None:
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
                                        {"name": rule, "action_to_use": {"count": {}}}
                                        for rule in RULE_ACTION_OVERRIDES[group]
                                    ]
                                }
                                if group in RULE_ACTION_OVERRIDES
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
