"""Load balancers, one module for both shapes used here.

`ApplicationLoadBalancer`: an ALB (internal or internet-facing) with HTTPS (TLS 1.3), HTTP
redirected to HTTPS, one target group with a health check, access logs, security group ingress
from allowed CIDRs and (with `login`) Cognito sign-in before any request is forwarded. A WAF is the
caller's (modules/waf.py `WebAcl.associate`), so every public entry gets the same rules.

`PrivateLoadBalancer`: the private entry to an API: an internal ALB that terminates TLS, fronted by
an internal NLB so API Gateway's VPC link (v1, which targets NLBs only on provider 5.x) can reach it.

    API Gateway --VPC link--> NLB :443 (TCP) --alb-type target group--> ALB :443 (TLS 1.3) --> tasks
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionAuthenticateCognito,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.lb_target_group_attachment import LbTargetGroupAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.security_group_rule import SecurityGroupRule
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.iam import Statement
from modules.storage import SecureBucket

# TLS 1.3 with 1.2 as the floor for older clients inside AWS (API Gateway's VPC link speaks 1.2).
TLS13_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# TLS 1.3 only (ELB's predefined policy), for entries whose clients are all current browsers.
TLS13_ONLY_POLICY = "ELBSecurityPolicy-TLS13-1-3-2021-06"
HTTPS = 443


def alb_log_delivery_statements(scope: Construct, *, bucket_arn: str, prefix: str, account_id: str) -> list[Statement]:
    """What ALB access-log delivery needs on the log bucket: the region's ELB account (older
    regions) and the log delivery service principal (newer regions)."""
    elb_account = DataAwsElbServiceAccount(scope, "elb-service-account")
    objects = f"{bucket_arn}/{prefix}/AWSLogs/{account_id}/*"
    return [
        Statement(
            sid="ElbAccountWritesAccessLogs",
            actions=["s3:PutObject"],
            resources=[objects],
            principals={"AWS": [elb_account.arn]},
        ),
        Statement(
            sid="ElbLogDeliveryWritesAccessLogs",
            actions=["s3:PutObject"],
            resources=[objects],
            principals={"Service": ["logdelivery.elasticloadbalancing.amazonaws.com"]},
            conditions=[("StringEquals", "aws:SourceAccount", [account_id])],
        ),
    ]


def https_listeners(
    scope: Construct, *, alb_arn: str, ssl_policy: str, certificate_arn: str, actions: list[LbListenerDefaultAction]
) -> LbListener:
    """The HTTPS listener ("https") and the HTTP listener ("http-redirect") that only redirects to
    it (301), in `scope`; returns the HTTPS one."""
    https = LbListener(
        scope,
        "https",
        load_balancer_arn=alb_arn,
        port=HTTPS,
        protocol="HTTPS",
        ssl_policy=ssl_policy,
        certificate_arn=certificate_arn,
        default_action=actions,
    )
    LbListener(
        scope,
        "http-redirect",
        load_balancer_arn=alb_arn,
        port=80,
        protocol="HTTP",
        default_action=[
            LbListenerDefaultAction(
                type="redirect",
                redirect=LbListenerDefaultActionRedirect(protocol="HTTPS", port="443", status_code="HTTP_301"),
            )
        ],
    )
    return https


class PrivateLoadBalancer(Construct):
    """Internal ALB (HTTPS only, HTTP redirects) + internal NLB targeting it; `target_group` takes tasks."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        vpc_id: str,
        vpc_cidr: str,
        subnet_ids: Sequence[str],
        certificate_arn: str,
        access_logs: SecureBucket,
        access_log_prefix: str,
        target_port: int,
        health_check_path: str,
        deletion_protection: bool,
    ) -> None:
        super().__init__(scope, id_)
        self.security_group = SecurityGroup(
            self,
            "alb-sg",
            name_prefix=f"{name}-alb-",
            description=f"{name} internal ALB: HTTPS and redirecting HTTP from inside the VPC only",
            vpc_id=vpc_id,
            tags={"Name": f"{name}-alb"},
        )
        # The NLB has no security group of its own and preserves no client IP to an alb target,
        # so the VPC range (where the NLB's nodes live) is the narrowest source there is.
        for port in (HTTPS, 80):
            VpcSecurityGroupIngressRule(
                self,
                f"alb-in-{port}",
                security_group_id=self.security_group.id,
                description=f"TCP {port} from the VPC (NLB nodes)",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=vpc_cidr,
            )
        VpcSecurityGroupEgressRule(
            self,
            "alb-out-targets",
            security_group_id=self.security_group.id,
            description="to the tasks on their port",
            ip_protocol="tcp",
            from_port=target_port,
            to_port=target_port,
            cidr_ipv4=vpc_cidr,
        )

        log_settings = LbAccessLogs(bucket=access_logs.bucket.bucket, prefix=access_log_prefix, enabled=True)
        depends = [access_logs.bucket_policy] if access_logs.bucket_policy else None
        self.alb = Lb(
            self,
            "alb",
            name=f"{name}-alb"[:32],
            internal=True,
            load_balancer_type="application",
            security_groups=[self.security_group.id],
            subnets=list(subnet_ids),
            drop_invalid_header_fields=True,
            enable_deletion_protection=deletion_protection,
            access_logs=log_settings,
            depends_on=depends,
        )
        self.target_group = LbTargetGroup(
            self,
            "service-tg",
            name=f"{name}-svc"[:32],
            port=target_port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=vpc_id,
            deregistration_delay="30",
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                path=health_check_path,
                protocol="HTTP",
                matcher="200",
                interval=15,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
        )
        self.https_listener = https_listeners(
            self,
            alb_arn=self.alb.arn,
            ssl_policy=TLS13_POLICY,
            certificate_arn=certificate_arn,
            actions=[LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)],
        )

        # The NLB passes TCP through to the ALB, which keeps terminating TLS with its policy.
        self.nlb = Lb(
            self,
            "nlb",
            name=f"{name}-nlb"[:32],
            internal=True,
            load_balancer_type="network",
            subnets=list(subnet_ids),
            enable_cross_zone_load_balancing=True,
            enable_deletion_protection=deletion_protection,
            # No access logs: an NLB logs only TLS connections, and this one passes TCP through to
            # the ALB, whose access logs record every request.
        )
        self.alb_target_group = LbTargetGroup(
            self,
            "alb-tg",
            name=f"{name}-alb"[:32],
            port=HTTPS,
            protocol="TCP",
            target_type="alb",
            vpc_id=vpc_id,
            health_check=LbTargetGroupHealthCheck(
                enabled=True, protocol="HTTPS", path=health_check_path, matcher="200-499"
            ),
        )
        # An ALB can join an alb-type target group only once it has a listener on that port.
        LbTargetGroupAttachment(
            self,
            "alb-attachment",
            target_group_arn=self.alb_target_group.arn,
            target_id=self.alb.arn,
            port=HTTPS,
            depends_on=[self.https_listener],
        )
        self.nlb_listener = LbListener(
            self,
            "nlb-tcp",
            load_balancer_arn=self.nlb.arn,
            port=HTTPS,
            protocol="TCP",
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=self.alb_target_group.arn)],
        )


@dataclass(frozen=True, kw_only=True)
class CognitoLogin:
    """An existing Cognito user pool app client (with a secret) that signs users in at the ALB."""

    user_pool_arn: str
    user_pool_client_id: str
    user_pool_domain: str
    session_timeout_seconds: int = 28800


class ApplicationLoadBalancer(Construct):
    """`alb`, `target_group` (the caller registers targets), `https_listener`, `security_group`."""

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
        target_type: Literal["instance", "ip"] = "instance",
        health_check_path: str,
        certificate_arn: str,
        access_logs: SecureBucket,
        access_log_prefix: str = "alb",
        deletion_protection: bool,
        ssl_policy: str = TLS13_ONLY_POLICY,
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
            for port in (HTTPS, 80):
                VpcSecurityGroupIngressRule(
                    self,
                    f"ingress-{port}-{index}",
                    security_group_id=self.security_group.id,
                    description=f"{'HTTPS' if port == HTTPS else 'HTTP (redirected to HTTPS)'} from {cidr}",
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
            access_logs=LbAccessLogs(bucket=access_logs.name, prefix=access_log_prefix, enabled=True),
            # The bucket must grant log delivery before the ALB is told to write there.
            depends_on=[access_logs.bucket_policy] if access_logs.bucket_policy else None,
        )
        # Health checks go from the ALB's nodes straight to the targets, past the listeners: a
        # sign-in action or a WAF in front never hides the health path from the target group.
        self.target_group = LbTargetGroup(
            self,
            "target-group",
            name=f"{name[:29]}-tg",
            port=target_port,
            protocol="HTTP",
            target_type=target_type,
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
        self.https_listener = https_listeners(
            self,
            alb_arn=self.alb.arn,
            ssl_policy=ssl_policy,
            certificate_arn=certificate_arn,
            actions=self._https_actions(login),
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
                from_port=HTTPS,
                to_port=HTTPS,
                cidr_ipv4="0.0.0.0/0",
            )

    def _https_actions(self, login: CognitoLogin | None) -> list[LbListenerDefaultAction]:
        """Forward to the targets; with `login`, only after Cognito has signed the user in. The
        authenticate action is valid on HTTPS listeners only, which is where it is used."""
        if login is None:
            return [LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)]
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

    def allow_to_targets(
        self, *, target_security_group_id: str, port: int, ingress_description: str, egress_description: str
    ) -> None:
        """The two rules between the load balancer and its targets' group: ingress on the targets
        from the ALB, egress from the ALB to the targets. As aws_security_group_rule: the embedded
        AWS answers the newer per-rule API with an account-prefixed group ID and no description,
        which would drift."""
        SecurityGroupRule(
            self,
            "targets-from-alb",
            type="ingress",
            security_group_id=target_security_group_id,
            description=ingress_description,
            protocol="tcp",
            from_port=port,
            to_port=port,
            source_security_group_id=self.security_group.id,
        )
        SecurityGroupRule(
            self,
            "alb-to-targets",
            type="egress",
            security_group_id=self.security_group.id,
            description=egress_description,
            protocol="tcp",
            from_port=port,
            to_port=port,
            source_security_group_id=target_security_group_id,
        )
