"""AWS Backup: encrypted vaults and a scheduled plan, with an optional copy into another region.

    dr_vault = BackupVault(self, "dr-vault", name="prod-refactor-dr", kms_key_arn=dr_key.arn, provider=dr)
    vault = BackupVault(self, "vault", name="prod-refactor", kms_key_arn=key.arn)
    BackupPlan(self, "plan", name="prod-refactor-daily", vault=vault, schedule="cron(0 3 * * ? *)",
               retention_days=30, copy_to=dr_vault, resources=[cluster.arn])

The copy is how Aurora gets cross-region backups: automated-backup replication does not support
Aurora clusters, an AWS Backup copy_action does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.backup_plan import (
    BackupPlan as BackupPlanResource,
)
from cdktf_cdktf_provider_aws.backup_plan import (
    BackupPlanRule,
    BackupPlanRuleCopyAction,
    BackupPlanRuleCopyActionLifecycle,
    BackupPlanRuleLifecycle,
)
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection, BackupSelectionSelectionTag
from cdktf_cdktf_provider_aws.backup_vault import BackupVault as BackupVaultResource
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from modules.iam import assume_role_policy

# AWS's managed policies for the Backup service role: take and restore recovery points.
BACKUP_SERVICE_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
)


class BackupVault(Construct):
    """A vault encrypted with a customer-managed key. `provider` places it in another region."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        kms_key_arn: str,
        provider: TerraformProvider | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.vault = BackupVaultResource(self, "vault", name=name, kms_key_arn=kms_key_arn, provider=provider)

    @property
    def arn(self) -> str:
        return self.vault.arn

    @property
    def name(self) -> str:
        return self.vault.name


class BackupPlan(Construct):
    """One scheduled rule into `vault`, selecting resources by ARN and/or by tag.

    `copy_to` copies every recovery point into a second vault (usually in the DR region), kept
    for `copy_retention_days` (default: the same as the source).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        vault: BackupVault,
        schedule: str,
        retention_days: int,
        copy_to: BackupVault | None = None,
        copy_retention_days: int | None = None,
        resources: Sequence[str] = (),
        selection_tags: Mapping[str, str] | None = None,
        start_window_minutes: int = 60,
        completion_window_minutes: int = 360,
    ) -> None:
        super().__init__(scope, id_)
        if not resources and not selection_tags:
            raise ValueError(f"backup plan {name!r} selects nothing: give resources or selection_tags")
        if completion_window_minutes < start_window_minutes + 60:
            raise ValueError("AWS Backup needs completion_window_minutes >= start_window_minutes + 60")

        copy_actions = []
        if copy_to is not None:
            copy_actions.append(
                BackupPlanRuleCopyAction(
                    destination_vault_arn=copy_to.arn,
                    lifecycle=BackupPlanRuleCopyActionLifecycle(delete_after=copy_retention_days or retention_days),
                )
            )
        self.plan = BackupPlanResource(
            self,
            "plan",
            name=name,
            rule=[
                BackupPlanRule(
                    rule_name=f"{name}-rule",
                    target_vault_name=vault.name,
                    schedule=schedule,
                    start_window=start_window_minutes,
                    completion_window=completion_window_minutes,
                    lifecycle=BackupPlanRuleLifecycle(delete_after=retention_days),
                    copy_action=copy_actions or None,
                )
            ],
        )
        trust = assume_role_policy(self, "trust", service="backup.amazonaws.com")
        self.role = IamRole(self, "role", name=f"{name}-backup", assume_role_policy=trust.json)
        for index, policy_arn in enumerate(BACKUP_SERVICE_POLICIES):
            IamRolePolicyAttachment(self, f"role-policy-{index}", role=self.role.name, policy_arn=policy_arn)
        self.selection = BackupSelection(
            self,
            "selection",
            name=f"{name}-selection",
            plan_id=self.plan.id,
            iam_role_arn=self.role.arn,
            resources=list(resources) or None,
            selection_tag=[
                BackupSelectionSelectionTag(type="STRINGEQUALS", key=key, value=value)
                for key, value in (selection_tags or {}).items()
            ]
            or None,
        )
