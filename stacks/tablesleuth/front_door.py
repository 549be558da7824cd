"""TableSleuth's front door: its DNS name, certificate, ALB (with Cognito sign-in where
configured) and access logs, and (when public) the same WAF as the API.

    users --HTTPS (TLS 1.3)--> [WAF] ALB --sign-in--> hosts :app_port      (HTTP redirects to HTTPS)
"""

from __future__ import annotations

from constructs import Construct

from environments.schema import Environment
from modules.certificate import DnsValidatedCertificate
from modules.hosted_zone import alias_record, hosted_zone
from modules.load_balancer import ApplicationLoadBalancer, CognitoLogin, alb_log_delivery_statements
from modules.network import Network
from modules.storage import AccessLogBuckets
from modules.waf import WebAcl
from stacks.base import EnvironmentStack
from stacks.tablesleuth.host import public_hostname

HEALTH_CHECK_PATH = "/health"
# Requests per client IP per 5 minutes before the WAF blocks: the API's default (environments/*.yaml).
WAF_RATE_LIMIT = 2000


class TableSleuthFrontDoor(Construct):
    def __init__(
        self,
        stack: EnvironmentStack,
        *,
        name: str,
        env: Environment,
        region: str,
        network: Network,
        host_security_group_id: str,
        waf_name: str,
        log_kms_key_arn: str,
    ) -> None:
        super().__init__(stack, "front-door")
        cfg = env.tablesleuth
        assert cfg is not None
        account = env.account_id
        vpc_cidr = str(env.networks["tablesleuth"][region].cidr)
        assert cfg.dns_zone_name is not None  # the schema requires it
        # local only (the schema refuses it elsewhere): a private zone; moto issues certificates
        # without resolving DNS.
        zone = hosted_zone(
            self,
            "zone",
            zone_name=cfg.dns_zone_name,
            create=cfg.create_dns_zone,
            private_vpc_id=network.vpc.id if cfg.create_dns_zone else None,
            force_destroy=cfg.create_dns_zone,
        )
        if cfg.create_dns_zone:
            stack.ignore_emulator_round_trip(zone, ["vpc"], gap="moto leaves the VPC out of a private hosted zone")
        hostname = public_hostname(env, region)
        certificate_arn = cfg.certificate_arn or (
            DnsValidatedCertificate(self, "certificate", domain_name=hostname, zone_id=zone.zone_id).arn
        )
        logs_name = f"{name}-alb-logs-{account}"
        self.alb_logs = AccessLogBuckets(
            self,
            logs_id="alb-logs",
            access_id="alb-logs-access",
            logs_bucket_name=logs_name,
            access_bucket_name=f"{name}-alb-logs-access-{account}",
            account_id=account,
            force_destroy=env.disposable,
            access_noncurrent_version_days=30,
            log_delivery_statements=alb_log_delivery_statements(
                self, bucket_arn=f"arn:aws:s3:::{logs_name}", prefix="alb", account_id=account
            ),
        ).logs
        login = cfg.login
        self.load_balancer = ApplicationLoadBalancer(
            self,
            "load-balancer",
            name=name,
            vpc_id=network.vpc.id,
            subnet_ids=[s.id for s in (network.public_subnets if cfg.public_alb else network.private_subnets)],
            internal=not cfg.public_alb,
            allowed_cidrs=[str(c) for c in cfg.alb_allowed_cidrs or [vpc_cidr]],
            target_port=cfg.app_port,
            health_check_path=HEALTH_CHECK_PATH,
            certificate_arn=certificate_arn,
            access_logs=self.alb_logs,
            deletion_protection=not env.disposable,
            login=None
            if login is None
            else CognitoLogin(
                user_pool_arn=login.user_pool_arn,
                user_pool_client_id=login.user_pool_client_id,
                user_pool_domain=login.user_pool_domain,
                session_timeout_seconds=login.session_timeout_seconds,
            ),
        )
        self.load_balancer.allow_to_targets(
            target_security_group_id=host_security_group_id,
            port=cfg.app_port,
            ingress_description="TableSleuth from the load balancer",
            egress_description="TableSleuth on the hosts",
        )
        if cfg.public_alb:
            # The internet-facing entry gets the API's WAF: rate limit, SQL injection, redacted
            # authorization and x-api-key headers in its logs.
            self.web_acl = WebAcl(
                self,
                "waf",
                name=waf_name,
                waf_scope="REGIONAL",
                rate_limit=WAF_RATE_LIMIT,
                log_kms_key_arn=log_kms_key_arn,
                log_retention_days=cfg.log_retention_days,
            )
            self.web_acl.associate("alb", resource_arn=self.load_balancer.alb.arn)
        alias_record(
            self,
            "hostname",
            zone_id=zone.zone_id,
            name=hostname,
            target_dns_name=self.load_balancer.alb.dns_name,
            target_zone_id=self.load_balancer.alb.zone_id,
        )
