"""modules/static_site.py: StaticSite, a private bucket served only through its HTTPS CloudFront
distribution."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudfront_distribution import CloudfrontDistribution

from modules.static_site import StaticSite
from modules.storage import SecureBucket
from tests.helpers import ACCOUNT, KEY, resources, scratch_stack, synth_stack


def test_static_site_is_https_only_tls12_hsts_and_readable_only_by_its_distribution():
    stack = scratch_stack()
    logs = SecureBucket(stack, "logs", bucket_name="edge-logs", account_id=ACCOUNT, kms_key_arn=None)
    StaticSite(
        stack,
        "site",
        name="dev-x",
        bucket_name="dev-x-assets",
        region="us-east-1",
        account_id=ACCOUNT,
        kms_key_arn=KEY,
        logs=logs,
        distribution=True,
        price_class="PriceClass_100",
        web_acl_arn="arn:aws:wafv2:us-east-1:111111111111:global/webacl/x/1",
        aliases=["static.example.com"],
        certificate_arn="arn:aws:acm:us-east-1:111111111111:certificate/c",
    )
    out = synth_stack(stack)
    (dist,) = resources(out, CloudfrontDistribution.TF_RESOURCE_TYPE)
    assert dist["default_cache_behavior"]["viewer_protocol_policy"] == "redirect-to-https"
    assert dist["viewer_certificate"]["minimum_protocol_version"] == "TLSv1.2_2021"
    assert dist["web_acl_id"].startswith("arn:aws:wafv2:us-east-1:")
    assert dist["origin"][0]["origin_access_control_id"].startswith("${aws_cloudfront_origin_access_control.")
    (headers,) = out["resource"]["aws_cloudfront_response_headers_policy"].values()
    hsts = headers["security_headers_config"]["strict_transport_security"]
    assert hsts["access_control_max_age_sec"] >= 31536000 and hsts["include_subdomains"] is True
    policies = [d for d in out["data"]["aws_iam_policy_document"].values() if "CloudFront" in json.dumps(d)]
    grant = next(s for p in policies for s in p["statement"] if s["sid"] == "CloudFrontReadsThroughOriginAccessControl")
    assert grant["condition"][0]["variable"] == "AWS:SourceArn" and grant["condition"][0]["values"][0].startswith(
        "${aws_cloudfront_distribution."
    )
    assert "aws_cloudwatch_log_delivery" in out["resource"]
