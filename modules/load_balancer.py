"""The private entry to the service: an internal ALB that terminates TLS, fronted by an internal
NLB so API Gateway's VPC link (v1, which targets NLBs only on provider 5.x) can reach it.

    API Gateway --VPC link--> NLB :443 (TCP) --alb-type target group--> ALB :443 (TLS 1.3) --> tasks
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.lb_target_group_attachment import LbTargetGroupAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.iam import Statement
from modules.storage import SecureBucket

# TLS 1.3 with 1.2 as the floor for older clients inside AWS (API Gateway's VPC link speaks 1.2).
TLS13_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
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
        self.https_listener = LbListener(
            self,
            "https",
            load_balancer_arn=self.alb.arn,
            port=HTTPS,
            protocol="HTTPS",
            ssl_policy=TLS13_POLICY,
            certificate_arn=certificate_arn,
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)],
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
                    redirect=LbListenerDefaultActionRedirect(protocol="HTTPS", port="443", status_code="HTTP_301"),
                )
            ],
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
