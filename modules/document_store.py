"""The document store: a KMS-encrypted bucket, optionally replicated to a bucket in the DR region.

Replication copies every new object version and every delete marker, re-encrypting with a key
in the DR region. With Replication Time Control, S3 commits to replicating 99.99% of objects
within 15 minutes and publishes replication metrics.
"""

from __future__ import annotations

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import (
    S3BucketReplicationConfigurationA,
    S3BucketReplicationConfigurationRule,
    S3BucketReplicationConfigurationRuleDeleteMarkerReplication,
    S3BucketReplicationConfigurationRuleDestination,
    S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration,
    S3BucketReplicationConfigurationRuleDestinationMetrics,
    S3BucketReplicationConfigurationRuleDestinationMetricsEventThreshold,
    S3BucketReplicationConfigurationRuleDestinationReplicationTime,
    S3BucketReplicationConfigurationRuleDestinationReplicationTimeTime,
    S3BucketReplicationConfigurationRuleFilter,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteria,
    S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects,
)
from constructs import Construct

from environments.schema import DocumentsConfig
from modules.iam import Statement, assume_role_policy, policy_document
from modules.storage import SecureBucket

RTC_MINUTES = 15  # the only value S3 accepts


class DocumentStore(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        account_id: str,
        config: DocumentsConfig,
        kms_key_arn: str,
        dr_kms_key_arn: str | None = None,
        dr_provider: TerraformProvider | None = None,
        force_destroy: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        if config.replication and (dr_kms_key_arn is None or dr_provider is None):
            raise ValueError("replication needs dr_kms_key_arn and dr_provider (the DR region)")

        self.log_bucket = SecureBucket(
            self,
            "access-logs",
            bucket_name=f"{name}-access-logs",
            account_id=account_id,
            kms_key_arn=None,  # S3 server access logs can only land in SSE-S3 buckets
            receives_access_logs=True,
            force_destroy=force_destroy,
        )
        self.bucket = SecureBucket(
            self,
            "documents",
            bucket_name=name,
            account_id=account_id,
            kms_key_arn=kms_key_arn,
            access_logs=self.log_bucket,
            noncurrent_version_days=config.noncurrent_version_days,
            force_destroy=force_destroy,
        )
        self.replica: SecureBucket | None = None
        self.replication: S3BucketReplicationConfigurationA | None = None
        if config.replication:
            self._replicate(name, account_id, config, kms_key_arn, dr_kms_key_arn, dr_provider, force_destroy)

    def _replicate(
        self,
        name: str,
        account_id: str,
        config: DocumentsConfig,
        kms_key_arn: str,
        dr_kms_key_arn: str,
        dr_provider: TerraformProvider,
        force_destroy: bool,
    ) -> None:
        dr_logs = SecureBucket(
            self,
            "replica-access-logs",
            bucket_name=f"{name}-replica-access-logs",
            account_id=account_id,
            kms_key_arn=None,
            receives_access_logs=True,
            force_destroy=force_destroy,
            provider=dr_provider,
        )
        self.replica = SecureBucket(
            self,
            "replica",
            bucket_name=f"{name}-replica",
            account_id=account_id,
            kms_key_arn=dr_kms_key_arn,
            access_logs=dr_logs,
            noncurrent_version_days=config.noncurrent_version_days,
            force_destroy=force_destroy,
            provider=dr_provider,
        )
        source, replica = self.bucket.arn, self.replica.arn
        trust = assume_role_policy(self, "replication-trust", service="s3.amazonaws.com")
        self.replication_role = IamRole(
            self, "replication-role", name=f"{name}-replication", assume_role_policy=trust.json
        )
        permissions = policy_document(
            self,
            "replication-policy",
            [
                Statement(
                    sid="ReadSourceConfiguration",
                    actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
                    resources=[source],
                ),
                Statement(
                    sid="ReadSourceVersions",
                    actions=[
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionTagging",
                    ],
                    resources=[f"{source}/*"],
                ),
                Statement(
                    sid="WriteReplica",
                    actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                    resources=[f"{replica}/*"],
                ),
                Statement(sid="DecryptSource", actions=["kms:Decrypt"], resources=[kms_key_arn]),
                Statement(
                    sid="EncryptReplica", actions=["kms:Encrypt", "kms:GenerateDataKey"], resources=[dr_kms_key_arn]
                ),
            ],
        )
        IamRolePolicy(self, "replication-role-policy", role=self.replication_role.id, policy=permissions.json)

        destination = S3BucketReplicationConfigurationRuleDestination(
            bucket=replica,
            storage_class="STANDARD",
            encryption_configuration=S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration(
                replica_kms_key_id=dr_kms_key_arn
            ),
        )
        if config.replication_time_control:
            destination = S3BucketReplicationConfigurationRuleDestination(
                bucket=replica,
                storage_class="STANDARD",
                encryption_configuration=S3BucketReplicationConfigurationRuleDestinationEncryptionConfiguration(
                    replica_kms_key_id=dr_kms_key_arn
                ),
                replication_time=S3BucketReplicationConfigurationRuleDestinationReplicationTime(
                    status="Enabled",
                    time=S3BucketReplicationConfigurationRuleDestinationReplicationTimeTime(minutes=RTC_MINUTES),
                ),
                metrics=S3BucketReplicationConfigurationRuleDestinationMetrics(
                    status="Enabled",
                    event_threshold=S3BucketReplicationConfigurationRuleDestinationMetricsEventThreshold(
                        minutes=RTC_MINUTES
                    ),
                ),
            )
        self.replication = S3BucketReplicationConfigurationA(
            self,
            "replication",
            bucket=self.bucket.bucket.id,
            role=self.replication_role.arn,
            rule=[
                S3BucketReplicationConfigurationRule(
                    id="documents-to-dr",
                    status="Enabled",
                    # An empty filter selects every object and is what allows delete-marker replication.
                    filter=S3BucketReplicationConfigurationRuleFilter(),
                    delete_marker_replication=S3BucketReplicationConfigurationRuleDeleteMarkerReplication(
                        status="Enabled"
                    ),
                    source_selection_criteria=S3BucketReplicationConfigurationRuleSourceSelectionCriteria(
                        sse_kms_encrypted_objects=S3BucketReplicationConfigurationRuleSourceSelectionCriteriaSseKmsEncryptedObjects(
                            status="Enabled"
                        )
                    ),
                    destination=destination,
                )
            ],
            # S3 refuses replication until versioning is on at both ends.
            depends_on=[self.bucket.versioning, self.replica.versioning],
        )
