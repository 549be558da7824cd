"""Account-level settings: tags, Terraform state, alerts, the per-account baseline, CI access, and
the switches for what the embedded AWS cannot do."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from environments.schema.types import (
    PROJECT_TAG,
    Arn,
    AwsRegion,
    BucketName,
    Email,
    LogRetentionDays,
    StrictModel,
)


class Tags(StrictModel):
    """The tags every resource carries; Environment and ManagedBy are added from the env itself."""

    # Not in the YAML: one deployed value for every environment (see PROJECT_TAG).
    project: str = Field(default=PROJECT_TAG, min_length=1, max_length=64)
    owner: str = Field(min_length=1, max_length=128)
    cost_center: str = Field(min_length=1, max_length=64)


class StateConfig(StrictModel):
    """Where Terraform state lives: one bucket and one lock table per environment."""

    bucket: BucketName
    lock_table: str = Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")
    region: AwsRegion
    kms_key_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$",
        description="the state key's ARN, the `state_key_arn` output of <env>-bootstrap; Terraform's S3 "
        "backend takes a key ARN or ID, not an alias. Unset only before the first bootstrap",
    )


class AlertsConfig(StrictModel):
    """Who hears about alarms. Every workload's alarm topic subscribes these addresses."""

    emails: list[Email] = Field(default_factory=list)


class PasswordPolicyConfig(StrictModel):
    """The IAM account password policy (the account's console users; CI uses roles, not users)."""

    minimum_length: int = Field(default=14, ge=14, le=128)
    max_age_days: int = Field(default=90, ge=1, le=1095)
    reuse_prevention: int = Field(default=24, ge=1, le=24)


# Service-linked roles that a policy in these stacks names before AWS would create them itself.
# KMS refuses a key policy whose principal does not exist yet, so the primary-region baseline
# creates them (stacks/shared/baseline.py), unless the account already has them (adopt_service_linked_roles).
# AWS service name -> role name (fixed by AWS).
SERVICE_LINKED_ROLES = {
    # Named in the TableSleuth host key policy: Auto Scaling creates the hosts' encrypted volumes.
    "autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling",
}
LinkedRoleService = Literal["autoscaling.amazonaws.com"]


class BaselineConfig(StrictModel):
    """Per account-and-region singletons (stacks/shared/baseline.py): Config, EBS default encryption,
    Session Manager preferences; and, in the primary region, password policy, budget, cost anomalies."""

    monthly_budget_usd: float | None = Field(
        default=None, gt=0, description="AWS Budgets monthly cost budget; only the emulator may leave it unset"
    )
    alert_emails: list[Email] = Field(default_factory=list, description="budget and cost-anomaly recipients")
    cost_anomaly_detection: bool = Field(
        default=True, description="a daily Cost Anomaly Detection digest (a subscription) to alert_emails"
    )
    anomaly_monitor_arn: Arn | None = Field(
        default=None,
        description="subscribe to this existing monitor (usually AWS's own Default-Services-Monitor; `make "
        "preflight` prints its ARN). Unset: the baseline creates a SERVICE monitor, which AWS refuses when "
        "the account already has one (one per account)",
    )
    anomaly_threshold_usd: float = Field(default=100, gt=0, description="digest only anomalies with this impact")
    password_policy: PasswordPolicyConfig = Field(default_factory=PasswordPolicyConfig)
    session_log_retention_days: LogRetentionDays = 365
    adopt_session_preferences: list[AwsRegion] = Field(
        default_factory=list,
        description="regions whose SSM-SessionManagerRunShell document already exists (saved in the console, "
        "Quick Setup, a landing zone): the baseline imports it there instead of creating it",
    )
    adopt_service_linked_roles: list[LinkedRoleService] = Field(
        default_factory=list,
        description="service-linked roles the account already has: the baseline does not create them "
        "(AWS allows one each), and make preflight checks that they exist",
    )
    log_bucket_expiration_days: int = Field(
        default=365,
        ge=1,
        le=3653,
        description="S3 log buckets (access logs, ALB and CloudFront logs) delete objects this old; "
        "match the environment's log retention",
    )

    @field_validator("anomaly_monitor_arn")
    @classmethod
    def _monitor_arn(cls, arn: str | None) -> str | None:
        if arn is not None and not (arn.startswith("arn:aws:ce::") and ":anomalymonitor/" in arn):
            raise ValueError(
                f"{arn} is not a Cost Anomaly Detection monitor ARN (arn:aws:ce::<account>:anomalymonitor/<id>); "
                "list them with: aws ce get-anomaly-monitors --query 'AnomalyMonitors[].MonitorArn'"
            )
        return arn


class DeployRoleConfig(StrictModel):
    """One IAM role GitHub Actions assumes through OIDC."""

    name: str = Field(pattern=r"^[\w+=,.@-]{1,64}$")
    max_session_hours: int = Field(default=1, ge=1, le=12)

    def arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role/{self.name}"


class CiConfig(StrictModel):
    """GitHub Actions delivery: which repository may assume this environment's roles (OIDC, no keys)."""

    github_repository: str = Field(
        pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", examples=["example-org/aws-workloads"]
    )
    deploy_role: DeployRoleConfig = Field(description="applies plans; trusted only for the GitHub environment")
    plan_role: DeployRoleConfig = Field(description="read-only plans: pull requests and drift checks on main")
    create_oidc_provider: bool = Field(
        default=True, description="false when the account already has the GitHub OIDC provider (one per account)"
    )


class EmulatorWorkarounds(StrictModel):
    """Controls the embedded AWS (moto) cannot honour. Only an environment with local_aws may set
    them, and each one names the gap it works around. Real environments never have this section."""

    skip_tls_only_bucket_policies: bool = Field(
        default=False,
        description="moto evaluates bucket-policy conditions as always true, so the Deny on "
        "aws:SecureTransport=false would refuse every object request, Terraform's state reads included",
    )
    skip_redis: bool = Field(
        default=False,
        description="moto has no ElastiCache user groups (needed for IAM auth) and answers HTTP 500 when a "
        "cache subnet group is deleted, so Redis could be neither built as designed nor destroyed",
    )

    skip_database_app_role: bool = Field(
        default=False,
        description="moto has no RDS EnableHttpEndpoint (the Data API) and runs no SQL, so the app's "
        "database role cannot be created there; the Data API and the bootstrap run stay off",
    )
