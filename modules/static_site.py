"""Static assets behind CloudFront: a private KMS-encrypted bucket reachable only through the
distribution (origin access control), HTTPS only with TLS 1.2 as the floor, HSTS and the other
security headers, standard logging, and a CLOUDFRONT-scope WAF web ACL.

Build it with a us-east-1 provider: CloudFront takes certificates and web ACLs only from there.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionDefaultCacheBehavior,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionRestrictions,
    CloudfrontDistributionRestrictionsGeoRestriction,
    CloudfrontDistributionViewerCertificate,
)
from cdktf_cdktf_provider_aws.cloudfront_origin_access_control import CloudfrontOriginAccessControl
from cdktf_cdktf_provider_aws.cloudfront_response_headers_policy import (
    CloudfrontResponseHeadersPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfig,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_delivery import CloudwatchLogDelivery
from cdktf_cdktf_provider_aws.cloudwatch_log_delivery_destination import (
    CloudwatchLogDeliveryDestination,
    CloudwatchLogDeliveryDestinationDeliveryDestinationConfiguration,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_delivery_source import CloudwatchLogDeliverySource
from constructs import Construct

from modules.iam import Statement
from modules.storage import SecureBucket

# AWS managed cache policy "Managed-CachingOptimized".
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
HSTS_SECONDS = 63072000  # two years, the preload list's minimum is one


class StaticSite(Construct):
    """`assets` is the bucket to publish into; `distribution` (when enabled) serves it at `aliases`."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        bucket_name: str,
        region: str,
        account_id: str,
        kms_key_arn: str,
        logs: SecureBucket,
        distribution: bool,
        price_class: str,
        web_acl_arn: str,
        aliases: list[str],
        certificate_arn: str | None,
        force_destroy: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        self.distribution: CloudfrontDistribution | None = None
        # One assets bucket either way; with a distribution its policy also lets CloudFront read.
        assets = {
            "bucket_name": bucket_name,
            "account_id": account_id,
            "kms_key_arn": kms_key_arn,
            "access_logs": logs,
            "force_destroy": force_destroy,
        }
        if not distribution:
            self.assets = SecureBucket(self, "assets", **assets)
            return
        if certificate_arn is None:
            raise ValueError(f"{name}: a distribution serving {aliases} needs a certificate")
        origin_id = "static-assets"
        oac = CloudfrontOriginAccessControl(
            self,
            "oac",
            name=f"{name}-static",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
        )
        headers = CloudfrontResponseHeadersPolicy(
            self,
            "security-headers",
            name=f"{name}-security-headers",
            security_headers_config=CloudfrontResponseHeadersPolicySecurityHeadersConfig(
                strict_transport_security=CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity(
                    access_control_max_age_sec=HSTS_SECONDS, include_subdomains=True, preload=True, override=True
                ),
                content_type_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions(
                    override=True
                ),
                frame_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions(
                    frame_option="DENY", override=True
                ),
                referrer_policy=CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy(
                    referrer_policy="strict-origin-when-cross-origin", override=True
                ),
            ),
        )
        self.distribution = CloudfrontDistribution(
            self,
            "distribution",
            enabled=True,
            comment=f"{name} static assets",
            price_class=price_class,
            http_version="http2and3",
            # The edge stack publishes an AAAA alias; the provider's default (false) would leave it empty.
            is_ipv6_enabled=True,
            default_root_object="index.html",
            aliases=aliases,
            web_acl_id=web_acl_arn,
            # The regional name, known at synth, so the distribution need not wait for the bucket.
            origin=[
                CloudfrontDistributionOrigin(
                    origin_id=origin_id,
                    domain_name=f"{bucket_name}.s3.{region}.amazonaws.com",
                    origin_access_control_id=oac.id,
                )
            ],
            default_cache_behavior=CloudfrontDistributionDefaultCacheBehavior(
                target_origin_id=origin_id,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS"],
                cached_methods=["GET", "HEAD"],
                compress=True,
                cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
                response_headers_policy_id=headers.id,
            ),
            viewer_certificate=CloudfrontDistributionViewerCertificate(
                acm_certificate_arn=certificate_arn,
                ssl_support_method="sni-only",
                minimum_protocol_version="TLSv1.2_2021",
            ),
            restrictions=CloudfrontDistributionRestrictions(
                geo_restriction=CloudfrontDistributionRestrictionsGeoRestriction(restriction_type="none")
            ),
        )
        # Standard logging v2 (vended logs): JSON into the log bucket with no ACLs, unlike the
        # legacy logging_config, which needs ACLs enabled on the bucket.
        source = CloudwatchLogDeliverySource(
            self, "log-source", name=f"{name}-cloudfront", log_type="ACCESS_LOGS", resource_arn=self.distribution.arn
        )
        destination = CloudwatchLogDeliveryDestination(
            self,
            "log-destination",
            name=f"{name}-cloudfront-s3",
            output_format="json",
            delivery_destination_configuration=[
                CloudwatchLogDeliveryDestinationDeliveryDestinationConfiguration(
                    destination_resource_arn=f"{logs.arn}/cloudfront"
                )
            ],
        )
        CloudwatchLogDelivery(
            self, "log-delivery", delivery_source_name=source.name, delivery_destination_arn=destination.arn
        )
        self.assets = SecureBucket(
            self,
            "assets",
            **assets,
            extra_statements=[
                Statement(
                    sid="CloudFrontReadsThroughOriginAccessControl",
                    actions=["s3:GetObject"],
                    resources=[f"arn:aws:s3:::{bucket_name}/*"],
                    principals={"Service": ["cloudfront.amazonaws.com"]},
                    conditions=[("StringEquals", "AWS:SourceArn", [self.distribution.arn])],
                )
            ],
        )

    @staticmethod
    def log_delivery_statements(*, bucket_arn: str, account_id: str) -> list[Statement]:
        """The log bucket statements CloudWatch vended-log delivery (CloudFront logging v2) expects.

        AWS's documented pair ("Logs sent to Amazon S3", AWS-logs-infrastructure-V2-S3): when the
        bucket policy lacks them, CloudWatch Logs appends its own on the first delivery, which the
        next plan reports as drift and the next apply strips. Same Sids, actions, principal and
        conditions, scoped to this account's us-east-1 delivery sources and the cloudfront/ prefix.
        """
        source = [("StringEquals", "aws:SourceAccount", [account_id])]
        source_arn = ("ArnLike", "aws:SourceArn", [f"arn:aws:logs:us-east-1:{account_id}:delivery-source:*"])
        return [
            Statement(
                sid="AWSLogDeliveryWrite",
                actions=["s3:PutObject"],
                resources=[f"{bucket_arn}/cloudfront/AWSLogs/{account_id}/*"],
                principals={"Service": ["delivery.logs.amazonaws.com"]},
                conditions=[
                    ("StringEquals", "s3:x-amz-acl", ["bucket-owner-full-control"]),
                    *source,
                    source_arn,
                ],
            ),
            Statement(
                sid="AWSLogDeliveryAclCheck",
                actions=["s3:GetBucketAcl"],
                resources=[bucket_arn],
                principals={"Service": ["delivery.logs.amazonaws.com"]},
                conditions=[*source, source_arn],
            ),
        ]

    @staticmethod
    def key_grant(*, account_id: str) -> Statement:
        """The grant the assets key needs so CloudFront can decrypt objects for this account's distributions."""
        return Statement(
            sid="CloudFrontDecryptsAssets",
            actions=["kms:Decrypt"],
            principals={"Service": ["cloudfront.amazonaws.com"]},
            conditions=[("StringLike", "AWS:SourceArn", [f"arn:aws:cloudfront::{account_id}:distribution/*"])],
        )
