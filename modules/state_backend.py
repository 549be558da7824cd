"""Terraform's remote state: an encrypted, versioned bucket with access logs, and a lock table."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from constructs import Construct

from environments.schema import Environment
from modules.encryption import EncryptionKey
from modules.iam import Statement
from modules.storage import SecureBucket


def state_key_statements(bucket_arn: str, key_arn: str) -> list[Statement]:
    """Bucket-policy denies that keep every state object under the state key.

    Terraform's S3 backend with `encrypt = true` and no `kms_key_id` sends
    `x-amz-server-side-encryption: AES256`, which overrides the bucket's SSE-KMS default and leaves
    the state key guarding nothing. These refuse that header and any other key's; a request
    without encryption headers gets the bucket default, SSE-KMS under the state key.
    """
    objects = f"{bucket_arn}/*"
    return [
        Statement(
            sid="DenyStateWithoutKms",
            effect="Deny",
            actions=["s3:PutObject"],
            resources=[objects],
            principals={"AWS": ["*"]},
            conditions=[
                ("Null", "s3:x-amz-server-side-encryption", ["false"]),
                ("StringNotEquals", "s3:x-amz-server-side-encryption", ["aws:kms"]),
            ],
        ),
        Statement(
            sid="DenyStateUnderAnotherKey",
            effect="Deny",
            actions=["s3:PutObject"],
            resources=[objects],
            principals={"AWS": ["*"]},
            conditions=[
                ("Null", "s3:x-amz-server-side-encryption-aws-kms-key-id", ["false"]),
                ("StringNotEquals", "s3:x-amz-server-side-encryption-aws-kms-key-id", [key_arn]),
            ],
        ),
    ]


class StateBackend(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, env: Environment, protect: bool, enforce_state_key: bool = True
    ) -> None:
        super().__init__(scope, id_)
        state = env.state
        self.key = EncryptionKey(
            self,
            "key",
            alias=f"{env.name}-terraform-state",
            description=f"Encrypts Terraform state and locks of the {env.name} environment",
            account_id=env.account_id,
        )
        self.log_bucket = SecureBucket(
            self,
            "access-logs",
            bucket_name=f"{state.bucket}-access-logs",
            account_id=env.account_id,
            kms_key_arn=None,  # S3 server access log delivery supports SSE-S3 only
            receives_access_logs=True,
            noncurrent_version_days=30,
            force_destroy=not protect,
        )
        self.bucket = SecureBucket(
            self,
            "bucket",
            bucket_name=state.bucket,
            account_id=env.account_id,
            kms_key_arn=self.key.arn,
            access_logs=self.log_bucket,
            # The emulator treats every bucket-policy condition as met, so there these denies
            # would refuse every state write (the gap behind skip_tls_only_bucket_policies).
            extra_statements=state_key_statements(f"arn:aws:s3:::{state.bucket}", self.key.arn)
            if enforce_state_key
            else (),
            # Old state versions are the undo history of every stack; keep them a quarter.
            noncurrent_version_days=90,
            force_destroy=not protect,
        )
        self.lock_table = DynamodbTable(
            self,
            "lock-table",
            name=state.lock_table,
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",
            attribute=[{"name": "LockID", "type": "S"}],
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": self.key.arn},
            deletion_protection_enabled=protect,
        )
