"""modules/storage.py: SecureBucket (encryption, TLS-only policy) and AccessLogBuckets, the log bucket
and the bucket that logs who read it."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
)

from modules.encryption import EncryptionKey
from modules.iam import Statement
from modules.storage import TLS_ONLY_BUCKETS_CONTEXT, AccessLogBuckets, SecureBucket
from tests.helpers import ACCOUNT, of_type, statements, synth

DELIVERY = Statement(sid="Delivery", actions=["s3:PutObject"], principals={"Service": ["delivery.example"]})


def _pair(scope):
    return AccessLogBuckets(
        scope,
        logs_id="alb-logs",
        access_id="alb-logs-access",
        logs_bucket_name="logs-bucket",
        access_bucket_name="access-bucket",
        account_id=ACCOUNT,
        force_destroy=True,
        log_delivery_statements=[DELIVERY],
        access_noncurrent_version_days=30,
    )


def test_the_log_bucket_logs_its_readers_into_the_access_bucket_and_both_are_sse_s3():
    out = synth(_pair)
    buckets = {b["bucket"]: b for b in of_type(out, S3Bucket.TF_RESOURCE_TYPE).values()}
    assert set(buckets) == {"logs-bucket", "access-bucket"}
    assert all(b["force_destroy"] is True for b in buckets.values())
    (logging,) = of_type(out, S3BucketLoggingA.TF_RESOURCE_TYPE).values()
    assert "alb-logs-access_bucket" in logging["target_bucket"] and "alb-logs_bucket" in logging["bucket"]
    # ALB access logs and S3 server access logs are delivered only to SSE-S3 buckets.
    for sse in of_type(out, S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE).values():
        assert sse["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"


def test_delivery_statements_go_to_the_log_bucket_and_the_logging_grant_to_the_access_bucket():
    out = synth(_pair)
    logs = {s["sid"] for s in statements(out, "alb-logs_policy-document")}
    access = {s["sid"] for s in statements(out, "alb-logs-access_policy-document")}
    assert "Delivery" in logs and "Delivery" not in access
    assert "AllowS3ServerAccessLogDelivery" in access


def test_both_buckets_sit_in_the_callers_scope_so_existing_pairs_keep_their_addresses():
    out = synth(_pair)
    ids = sorted(of_type(out, S3Bucket.TF_RESOURCE_TYPE))
    assert [i.rsplit("_", 1)[0] for i in ids] == ["alb-logs-access_bucket", "alb-logs_bucket"]


def _bucket(scope, *, kms: bool = True, tls_only: bool | None = None):
    if tls_only is not None:
        scope.node.set_context(TLS_ONLY_BUCKETS_CONTEXT, tls_only)
    key = EncryptionKey(scope, "key", alias="k", description="d", account_id=ACCOUNT)
    SecureBucket(scope, "b", bucket_name="example-bucket", account_id=ACCOUNT, kms_key_arn=key.arn if kms else None)


def test_bucket_encryption_keeps_its_nested_settings():
    # Regression: jsii silently dropped multi-word keys of plain dicts inside lists.
    out = synth(_bucket)
    (sse,) = out["resource"][S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE].values()
    rule = sse["rule"][0]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert rule["apply_server_side_encryption_by_default"]["kms_master_key_id"].startswith("${aws_kms_key.")
    assert rule["bucket_key_enabled"] is True


def test_log_bucket_uses_sse_s3_without_a_bucket_key():
    out = synth(lambda s: _bucket(s, kms=False))
    (sse,) = out["resource"][S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE].values()
    assert sse["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    assert sse["rule"][0]["bucket_key_enabled"] is False


def test_tls_only_policy_is_on_by_default_and_off_only_by_context():
    with_policy = synth(_bucket)
    assert len(with_policy["resource"][S3BucketPolicy.TF_RESOURCE_TYPE]) == 1
    sids = [s["sid"] for d in with_policy["data"]["aws_iam_policy_document"].values() for s in d["statement"]]
    assert "DenyInsecureTransport" in sids
    without = synth(lambda s: _bucket(s, tls_only=False))
    assert S3BucketPolicy.TF_RESOURCE_TYPE not in without.get("resource", {})
