"""The TableSleuth front door: an ALB with HTTPS (TLS 1.3 policy), HTTP redirected to HTTPS, one
target group with a health check, access logs, a WAF when it faces the internet, and (with
`login`) Cognito sign-in before any request is forwarded.

Named for TableSleuth so it does not collide with the app tier's load balancer module; nothing in
it is TableSleuth-specific beyond the defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionAuthenticateCognito,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import Wafv2WebAclLoggingConfiguration
from constructs import Construct

from modules.storage import SecureBucket

# TLS 1.3 only (ELB's predefined policy); every client TableSleuth supports speaks it.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-3-2021-06"
# AWS managed rule groups for a public ALB: common exploits, known bad inputs (Log4Shell among
# them), IPs with a bad reputation and anonymising services.
WAF_MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
)


@dataclass(frozen=True, kw_only=True)
class CognitoLogin:
    """An existing Cognito user pool app client (with a secret) that signs users in at the ALB."""

    user_pool_arn: str
    user_pool_client_id: str
    user_pool_domain: str
    session_timeout_seconds: int = 28800


class TableSleuthLoadBalancer(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        vpc_id: str,
        subnet_ids: Sequence[str],
        internal: bool,
        allowed_cidrs: Sequence[str],
        target_port: int,
        health_check_path: str,
        certificate_arn: str,
        access_logs: SecureBucket,
        deletion_protection: bool,
        log_kms_key_arn: str,
        log_retention_days: int,
        login: CognitoLogin | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.security_group = SecurityGroup(
            self,
            "security-group",
            name_prefix=f"{name}-alb-",
            description=f"{name} load balancer: HTTPS and the HTTP redirect from allowed sources",
            vpc_id=vpc_id,
            tags={"Name": f"{name}-alb"},
            lifecycle={"create_before_destroy": True},
        )
        for index, cidr in enumerate(allowed_cidrs):
            for port in (443, 80):
                VpcSecurityGroupIngressRule(
                    self,
                    f"ingress-{port}-{index}",
                    security_group_id=self.security_group.id,
                    description=f"{'HTTPS' if port == 443 else 'HTTP (redirected to HTTPS)'} from {cidr}",
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr,
                )

        self.alb = Lb(
            self,
            "alb",
            name=name[:32],
            load_balancer_type="application",
            internal=internal,
            subnets=list(subnet_ids),
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=deletion_protection,
            access_logs=LbAccessLogs(bucket=access_logs.name, prefix="alb", enabled=True),
            # The bucket must grant log delivery before the ALB is told to write there.
            depends_on=[access_logs.bucket_policy] if access_logs.bucket_policy else None,
        )
        self.target_group = LbTargetGroup(
            self,
            "target-group",
            name=f"{name[:29]}-tg",
            port=target_port,
            protocol="HTTP",
            target_type="instance",
            vpc_id=vpc_id,
            deregistration_delay="30",
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                path=health_check_path,
                port="traffic-port",
                protocol="HTTP",
                interval=30,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
                matcher="200",
            ),
        )
        self.https_listener = LbListener(
            self,
            "https",
            load_balancer_arn=self.alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=certificate_arn,
            default_action=self._https_actions(login),
        )
        if login is not None:
            # The load balancer itself calls Cognito's token and user-info endpoints (public names,
            # HTTPS); without this egress every sign-in ends in HTTP 500.
            VpcSecurityGroupEgressRule(
                self,
                "egress-identity-provider",
                security_group_id=self.security_group.id,
                description="HTTPS to the Cognito sign-in endpoints (token, user info)",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4="0.0.0.0/0",
            )
        LbListener(
            self,
            "http-redirect",
            load_balancer_arn=self.alb.arn,
            port=80,
            protocol="HTTP",
            default_action=[
                LbListenerDefaultAction(
                    type="redirect",
                    redirect=LbListenerDefaultActionRedirect(port="443", protocol="HTTPS", status_code="HTTP_301"),
                )
            ],
        )
        self.web_acl = None if internal else self._waf(name, log_kms_key_arn, log_retention_days)

    def _https_actions(self, login: CognitoLogin | None) -> list[LbListenerDefaultAction]:
        """Forward to the hosts; with `login`, only after Cognito has signed the user in. The
        authenticate action is valid on HTTPS listeners only, which is where it is used."""
        forward = LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)
        if login is None:
            return [forward]
        authenticate = LbListenerDefaultAction(
            type="authenticate-cognito",
            order=1,
            authenticate_cognito=LbListenerDefaultActionAuthenticateCognito(
                user_pool_arn=login.user_pool_arn,
                user_pool_client_id=login.user_pool_client_id,
                user_pool_domain=login.user_pool_domain,
                session_timeout=login.session_timeout_seconds,
                on_unauthenticated_request="authenticate",
            ),
        )
        return [authenticate, LbListenerDefaultAction(type="forward", order=2, target_group_arn=self.target_group.arn)]

    def _waf(self, name: str, log_kms_key_arn: str, log_retention_days: int) -> Wafv2WebAcl:
        acl = Wafv2WebAcl(
            self,
            "web-acl",
            name=f"{name}-alb",
            scope="REGIONAL",
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            visibility_config=Wafv2WebAclVisibilityConfig(
                cloudwatch_metrics_enabled=True, metric_name=f"{name}-alb", sampled_requests_enabled=True
            ),
        )
        # The bindings type a rule's statement as Any; written as raw Terraform JSON so no
        # multi-word key is lost on the way through jsii.
        acl.add_override(
            "rule",
            [
                {
                    "name": group,
                    "priority": priority,
                    "override_action": {"none": {}},
                    "statement": {"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
                    "visibility_config": {
                        "cloudwatch_metrics_enabled": True,
                        "metric_name": f"{name}-{group}",
                        "sampled_requests_enabled": True,
                    },
                }
                for priority, group in enumerate(WAF_MANAGED_RULE_GROUPS)
            ],
        )
        Wafv2WebAclAssociation(self, "web-acl-association", resource_arn=self.alb.arn, web_acl_arn=acl.arn)
        # WAF only logs to groups named aws-waf-logs-*.
        log_group = CloudwatchLogGroup(
            self,
            "web-acl-logs",
            name=f"aws-waf-logs-{name}",
            retention_in_days=log_retention_days,
            kms_key_id=log_kms_key_arn,
        )
        Wafv2WebAclLoggingConfiguration(
            self, "web-acl-logging", resource_arn=acl.arn, log_destination_configs=[log_group.arn]
        )
        return acl
