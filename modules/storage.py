"""A private S3 bucket with the secure defaults every bucket here gets."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from constructs import Construct

from modules.iam import Statement, policy_document

# Context key (set by each stack from its environment): whether bucket policies deny non-TLS
# requests. True everywhere except where the emulator cannot evaluate that condition.
TLS_ONLY_BUCKETS_CONTEXT = "tlsOnlyBucketPolicies"
# Context key (set by each stack from baseline.log_bucket_expiration_days): how many days log
# buckets keep objects. Without it logs were kept forever, even in dev (30-day log retention).
LOG_BUCKET_EXPIRATION_CONTEXT = "logBucketExpirationDays"


class SecureBucket(Construct):
    """Versioned, encrypted, private, owner-enforced, TLS-only, with expiry of old versions.

    kms_key_arn=None means SSE-S3, which only log buckets should use: S3 server access logs and
    ALB access logs can be delivered only to SSE-S3 buckets. Such a log bucket also expires its
    objects after the stack's LOG_BUCKET_EXPIRATION_CONTEXT days (or expire_objects_days).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket_name: str,
        account_id: str,
        kms_key_arn: str | None,
        access_logs: SecureBucket | None = None,
        receives_access_logs: bool = False,
        noncurrent_version_days: int = 90,
        force_destroy: bool = False,
        expire_objects_days: int | None = None,
        extra_statements: Sequence[Statement] = (),
        provider: TerraformProvider | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.bucket = S3Bucket(self, "bucket", bucket=bucket_name, force_destroy=force_destroy, provider=provider)
        bucket_id = self.bucket.id

        self.versioning = S3BucketVersioningA(
            self, "versioning", bucket=bucket_id, versioning_configuration={"status": "Enabled"}, provider=provider
        )
        # Structs inside lists must be typed: jsii drops the multi-word keys of a plain dict there.
        if kms_key_arn is not None:
            encryption = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
            )
        else:
            encryption = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="AES256"
            )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            provider=provider,
            bucket=bucket_id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=encryption,
                    bucket_key_enabled=kms_key_arn is not None,
                )
            ],
        )
        self.public_access_block = S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            provider=provider,
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self, "ownership", bucket=bucket_id, rule={"object_ownership": "BucketOwnerEnforced"}, provider=provider
        )
        if expire_objects_days is None and kms_key_arn is None:
            expire_objects_days = self.node.try_get_context(LOG_BUCKET_EXPIRATION_CONTEXT)
        self.expire_objects_days = expire_objects_days
        expire_current = (
            [
                # Current objects too: log objects are written once and never overwritten, so
                # noncurrent-version expiry alone would keep every log forever.
                S3BucketLifecycleConfigurationRule(
                    id="expire-logs",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter()],
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=expire_objects_days)],
                )
            ]
            if expire_objects_days
            else []
        )
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            provider=provider,
            bucket=bucket_id,
            rule=[
                *expire_current,
                S3BucketLifecycleConfigurationRule(
                    id="expire-noncurrent-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter()],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=noncurrent_version_days
                        )
                    ],
                ),
                S3BucketLifecycleConfigurationRule(
                    id="abort-incomplete-uploads",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter()],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                ),
            ],
        )
        if access_logs is not None:
            S3BucketLoggingA(
                self,
                "access-logging",
                provider=provider,
                bucket=bucket_id,
                target_bucket=access_logs.bucket.id,
                target_prefix=f"s3/{bucket_name}/",
                # S3 refuses a logging target until its policy grants the logging service.
                depends_on=[access_logs.bucket_policy] if access_logs.bucket_policy else None,
            )

        statements: list[Statement] = []
        if self.node.try_get_context(TLS_ONLY_BUCKETS_CONTEXT) is not False:
            statements.append(
                Statement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    actions=["s3:*"],
                    resources=[self.bucket.arn, f"{self.bucket.arn}/*"],
                    # {"AWS": "*"} means everyone, anonymous included, exactly as "Principal": "*".
                    principals={"AWS": ["*"]},
                    conditions=[("Bool", "aws:SecureTransport", ["false"])],
                )
            )
        statements.extend(extra_statements)
        if receives_access_logs:
            # With BucketOwnerEnforced, log delivery is granted by policy, not by ACL.
            statements.append(
                Statement(
                    sid="AllowS3ServerAccessLogDelivery",
                    actions=["s3:PutObject"],
                    resources=[f"{self.bucket.arn}/*"],
                    principals={"Service": ["logging.s3.amazonaws.com"]},
                    conditions=[("StringEquals", "aws:SourceAccount", [account_id])],
                )
            )
        self.bucket_policy: S3BucketPolicy | None = None
        if statements:  # S3 refuses a policy with no statements
            self.policy_document = policy_document(self, "policy-document", statements)
            # The public access block must exist first, or S3 may judge the policy on an open bucket.
            self.bucket_policy = S3BucketPolicy(
                self,
                "policy",
                provider=provider,
                bucket=bucket_id,
                policy=self.policy_document.json,
                depends_on=[self.public_access_block],
            )

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def name(self) -> str:
        return self.bucket.bucket


class AccessLogBuckets:
    """A log bucket (ALB, CloudFront or S3 access logs land here) and the bucket that records who
    read it: S3 server access logs of the first go to the second, which logs nowhere.

    Both are SSE-S3: ALB access logs and S3 server access logs can be delivered to nothing else.
    Not a construct of its own: both buckets are made in `scope` under `logs_id` and `access_id`,
    so stacks that already have such a pair keep their Terraform addresses.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        logs_id: str,
        access_id: str,
        logs_bucket_name: str,
        access_bucket_name: str,
        account_id: str,
        force_destroy: bool,
        log_delivery_statements: Sequence[Statement] = (),
        access_noncurrent_version_days: int = 90,
        provider: TerraformProvider | None = None,
    ) -> None:
        self.access = SecureBucket(
            scope,
            access_id,
            bucket_name=access_bucket_name,
            account_id=account_id,
            kms_key_arn=None,
            receives_access_logs=True,
            noncurrent_version_days=access_noncurrent_version_days,
            force_destroy=force_destroy,
            provider=provider,
        )
        self.logs = SecureBucket(
            scope,
            logs_id,
            bucket_name=logs_bucket_name,
            account_id=account_id,
            kms_key_arn=None,
            access_logs=self.access,
            force_destroy=force_destroy,
            extra_statements=log_delivery_statements,
            provider=provider,
        )
