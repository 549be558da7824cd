"""Terraform's remote state: an encrypted, versioned bucket with access logs, and a lock table."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from constructs import Construct

from environments.schema import Environment
from modules.encryption import EncryptionKey
from modules.storage import SecureBucket


class StateBackend(Construct):
    def __init__(self, scope: Construct, id_: str, *, env: Environment, protect: bool) -> None:
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
