"""<env>-refactor-edge (us-east-1): static assets behind CloudFront with a CLOUDFRONT-scope WAF.

us-east-1 because CloudFront takes its certificate and web ACL only from there.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from environments.schema import Environment
from modules.certificate import DnsValidatedCertificate
from modules.encryption import EncryptionKey
from modules.hosted_zone import alias_record, hosted_zone
from modules.static_site import StaticSite
from modules.storage import SecureBucket
from modules.waf import WebAcl
from stacks.base import EnvironmentStack

EDGE_REGION = "us-east-1"
# The hosted zone ID every CloudFront alias record points at (fixed by AWS).
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"


class RefactorEdgeStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment) -> None:
        super().__init__(scope, env=env, component="refactor-edge", region=EDGE_REGION, regional_name=False)
        edge = env.edge
        name = f"{env.name}-refactor-edge"
        account = env.account_id
        waf_log_group = f"aws-waf-logs-{name}"
        self.key = EncryptionKey(
            self,
            "key",
            alias=name,
            description=f"Encrypts {name}: static assets and WAF logs",
            account_id=account,
            service_grants=[
                EncryptionKey.service_grant(
                    "CloudWatchLogsUseKey",
                    f"logs.{EDGE_REGION}.amazonaws.com",
                    conditions=[
                        (
                            "ArnEquals",
                            "kms:EncryptionContext:aws:logs:arn",
                            [f"arn:aws:logs:{EDGE_REGION}:{account}:log-group:{waf_log_group}"],
                        )
                    ],
                ),
                StaticSite.key_grant(account_id=account),
            ],
        )
        # SSE-S3: S3 server access logs can be delivered only to SSE-S3 buckets.
        logs_bucket = f"{name}-logs-{account}"
        self.logs = SecureBucket(
            self,
            "logs",
            bucket_name=logs_bucket,
            account_id=account,
            kms_key_arn=None,
            receives_access_logs=True,
            force_destroy=env.disposable,
            extra_statements=StaticSite.log_delivery_statements(
                bucket_arn=f"arn:aws:s3:::{logs_bucket}", account_id=account
            ),
        )
        self.waf = WebAcl(
            self,
            "waf",
            name=name,
            waf_scope="CLOUDFRONT",
            rate_limit=edge.waf.rate_limit,
            allow_cidrs=edge.waf.allow_cidrs,
            block_cidrs=edge.waf.block_cidrs,
            log_kms_key_arn=self.key.arn,
            log_retention_days=edge.log_retention_days,
        )

        host = f"{edge.subdomain}.{env.domain}"
        certificate_arn = edge.certificate_arn
        zone = None
        if edge.distribution:
            zone = hosted_zone(self, "zone", zone_name=env.domain, create=False)
            if certificate_arn is None:
                certificate_arn = DnsValidatedCertificate(
                    self, "certificate", domain_name=host, zone_id=zone.zone_id
                ).arn
        self.site = StaticSite(
            self,
            "static",
            name=name,
            bucket_name=f"{name}-assets-{account}",
            region=EDGE_REGION,
            account_id=account,
            kms_key_arn=self.key.arn,
            logs=self.logs,
            distribution=edge.distribution,
            price_class=edge.price_class,
            web_acl_arn=self.waf.arn,
            aliases=[host],
            certificate_arn=certificate_arn,
            force_destroy=env.disposable,
        )
        TerraformOutput(self, "assets_bucket", value=self.site.assets.name)
        TerraformOutput(self, "web_acl_arn", value=self.waf.arn)
        if self.site.distribution is not None and zone is not None:
            for record_type in ("A", "AAAA"):
                alias_record(
                    self,
                    f"alias-{record_type.lower()}",
                    zone_id=zone.zone_id,
                    name=host,
                    target_dns_name=self.site.distribution.domain_name,
                    target_zone_id=CLOUDFRONT_ZONE_ID,
                    record_type=record_type,
                    evaluate_target_health=False,  # CloudFront: Route 53 refuses True
                )
            TerraformOutput(self, "distribution_domain", value=self.site.distribution.domain_name)
            TerraformOutput(self, "static_url", value=f"https://{host}")
