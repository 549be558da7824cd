"""Customer-managed KMS keys with rotation and a key policy scoped to the services that use them."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from environments.schema import ManagedBy
from modules.iam import Statement, policy_document

# What a service needs to encrypt and decrypt with a key on a caller's behalf.
SERVICE_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")


class EncryptionKey(Construct):
    """A rotating KMS key with an alias.

    The account root keeps administration (AWS's default key policy, which lets IAM policies
    grant use); each service grant adds one statement for one service principal, optionally
    narrowed by conditions such as the encryption context.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        alias: str,
        description: str,
        account_id: str,
        service_grants: Sequence[Statement] = (),
        deletion_window_days: int = 30,
        provider: TerraformProvider | None = None,
    ) -> None:
        super().__init__(scope, id_)
        statements = [
            # In a key policy "*" means "this key". The condition keeps every caller in the account.
            Statement(
                sid="AccountAdministersKey",
                actions=["kms:*"],
                principals={"AWS": [f"arn:aws:iam::{account_id}:root"]},
                conditions=[("StringEquals", "kms:CallerAccount", [account_id])],
            ),
            *service_grants,
        ]
        self.policy = policy_document(self, "policy", statements)
        self.key = KmsKey(
            self,
            "key",
            description=description,
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=self.policy.json,
            provider=provider,
        )
        self.alias = KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id, provider=provider)

    @property
    def arn(self) -> str:
        return self.key.arn

    @staticmethod
    def service_grant(sid: str, service: str, *, conditions=()) -> Statement:
        """Let an AWS service principal use the key (e.g. logs.<region>.amazonaws.com)."""
        return Statement(sid=sid, actions=SERVICE_KEY_ACTIONS, principals={"Service": [service]}, conditions=conditions)

    @staticmethod
    def via_service_grant(sid: str, *, services: Sequence[str], account_id: str) -> Statement:
        """Let this environment's roles use the key only through the named services.

        RDS, S3 or Secrets Manager call KMS with the caller's identity (forward access sessions),
        so the grant is on the caller, narrowed by kms:ViaService to e.g. rds.us-east-2.amazonaws.com.
        AWS-managed keys stop there, which lets every principal of the account read data through
        the service. This grant also requires the caller to carry the ManagedBy tag that the
        provider's default_tags put on every role the stacks create: the roles that need the data.
        Principals with IAM permissions on the key (administrators) keep access through the
        account statement; the CI plan role is additionally denied kms:Decrypt outright.
        """
        return Statement(
            sid=sid,
            actions=[*SERVICE_KEY_ACTIONS, "kms:CreateGrant", "kms:ListGrants"],
            principals={"AWS": ["*"]},
            conditions=[
                ("StringEquals", "kms:CallerAccount", [account_id]),
                ("StringEquals", "kms:ViaService", list(services)),
                ("StringEquals", "aws:PrincipalTag/ManagedBy", [ManagedBy]),
            ],
        )

    @staticmethod
    def logs_grant(*, region: str, account_id: str, log_group_names: Sequence[str]) -> Statement:
        """Let CloudWatch Logs use the key for these log groups only (names may end in `*`).

        CloudWatch Logs calls KMS as logs.<region>.amazonaws.com with the log group's ARN as the
        encryption context; a group outside the list cannot be created with, or write under, the key.
        """
        arns = [f"arn:aws:logs:{region}:{account_id}:log-group:{name}" for name in log_group_names]
        return EncryptionKey.service_grant(
            "CloudWatchLogsUseKey",
            f"logs.{region}.amazonaws.com",
            conditions=[("ArnLike", "kms:EncryptionContext:aws:logs:arn", arns)],
        )

    @staticmethod
    def autoscaling_grants(*, account_id: str) -> list[Statement]:
        """What EC2 Auto Scaling needs to launch instances whose volumes this key encrypts.

        Auto Scaling creates the volumes as its service-linked role, which must use the key and
        create grants on it for the instances (AWS's "required KMS key policy for use with
        encrypted volumes"). Without both, launches fail with Client.InternalError.
        """
        role = f"arn:aws:iam::{account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        return [
            Statement(
                sid="AutoScalingUsesKeyForVolumes",
                actions=list(SERVICE_KEY_ACTIONS),
                principals={"AWS": [role]},
                conditions=[("StringEquals", "kms:CallerAccount", [account_id])],
            ),
            Statement(
                sid="AutoScalingGrantsForVolumes",
                actions=["kms:CreateGrant"],
                principals={"AWS": [role]},
                conditions=[
                    ("Bool", "kms:GrantIsForAWSResource", ["true"]),
                    ("StringEquals", "kms:CallerAccount", [account_id]),
                ],
            ),
        ]
