"""<env>-baseline-<region>: the per account-and-region singletons both workloads share.

In every region a workload runs in: the AWS Config recorder, its delivery channel (an encrypted
bucket) and the managed rules EC2_EBS_ENCRYPTION_BY_DEFAULT and VPC_FLOW_LOGS_ENABLED; EBS
encryption by default with a customer-managed key; Session Manager preferences logging every
session to an encrypted log group. In the primary region only (they are account-wide, or only
the primary region uses them): the IAM account password policy, the monthly budget, the Cost
Anomaly Detection subscription, the service-linked roles that policies name before AWS would
create them, and API Gateway's CloudWatch Logs role (an account-and-region setting).

Each of these exists once per account (and region). Nothing else in this repository may create
them. AWS tooling may have made some already (the console saves `SSM-SessionManagerRunShell`,
Cost Explorer makes `Default-Services-Monitor`): the environment then adopts them
(`baseline.adopt_*`, `baseline.anomaly_monitor_arn`), and `make preflight` says which.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from environments.schema import SERVICE_LINKED_ROLES, Environment
from modules.account_baseline import (
    AccountPasswordPolicy,
    ApiGatewayAccountLogging,
    ConfigRecorder,
    CostControls,
    EbsDefaultEncryption,
    ServiceLinkedRoles,
    SessionManagerPreferences,
)
from stacks.addressing import KeepsAddresses
from stacks.base import EnvironmentStack

# The managed rules the workloads rely on (TableSleuth's issue asks for both).
CONFIG_MANAGED_RULES = ("EC2_EBS_ENCRYPTION_BY_DEFAULT", "VPC_FLOW_LOGS_ENABLED")


class BaselineStack(KeepsAddresses, EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment, region: str) -> None:
        super().__init__(scope, env=env, component="baseline", region=region)
        self.is_primary = region == env.primary_region
        baseline, account = env.baseline, env.account_id
        # Every construct below is `transparent`: these resources were made by this stack directly
        # before they moved into modules/account_baseline.py, and keep those Terraform addresses.
        config = ConfigRecorder(
            self,
            self.transparent("config"),
            name=env.name,
            account_id=account,
            region=region,
            record_global_resources=self.is_primary,
            managed_rules=CONFIG_MANAGED_RULES,
            force_destroy=env.disposable,
        )
        self.recorder = config.recorder
        self.config_bucket = config.bucket
        TerraformOutput(self, "config_bucket", value=config.bucket.name)

        ebs = EbsDefaultEncryption(self, self.transparent("ebs"), name=env.name, account_id=account, region=region)
        self.ebs_key = ebs.key
        TerraformOutput(self, "ebs_default_key_arn", value=ebs.key.arn)

        sessions = SessionManagerPreferences(
            self,
            self.transparent("session-manager"),
            name=env.name,
            account_id=account,
            region=region,
            log_retention_days=baseline.session_log_retention_days,
            adopt_existing=region in baseline.adopt_session_preferences,
        )
        # Host roles (TableSleuth) read these: they write session logs and decrypt session data.
        self.session_log_group, self.session_key = sessions.log_group, sessions.key
        TerraformOutput(self, "session_log_group_name", value=sessions.log_group.name)
        TerraformOutput(self, "session_log_group_arn", value=sessions.log_group.arn)
        TerraformOutput(self, "session_kms_key_arn", value=sessions.key.arn)

        if self.is_primary:
            self._account_wide(env)

    def _account_wide(self, env: Environment) -> None:
        """Account-wide settings, and API Gateway's logging role, which only the primary region uses."""
        baseline = env.baseline
        policy = baseline.password_policy
        AccountPasswordPolicy(
            self,
            self.transparent("password-policy-settings"),
            minimum_length=policy.minimum_length,
            max_age_days=policy.max_age_days,
            reuse_prevention=policy.reuse_prevention,
        )
        CostControls(
            self,
            self.transparent("cost-controls"),
            name=env.name,
            alert_emails=baseline.alert_emails,
            monthly_budget_usd=baseline.monthly_budget_usd,
            anomaly_detection=baseline.cost_anomaly_detection,
            anomaly_monitor_arn=baseline.anomaly_monitor_arn,
            anomaly_threshold_usd=baseline.anomaly_threshold_usd,
        )
        # Only the TableSleuth host key names a service-linked role (Auto Scaling's) before first use.
        self.service_linked_roles = (
            ServiceLinkedRoles(
                self,
                self.transparent("service-linked-roles"),
                roles=SERVICE_LINKED_ROLES,
                adopted=baseline.adopt_service_linked_roles,
            ).roles
            if env.tablesleuth is not None
            else {}
        )
        # API Gateway writes stage logs through one role per account and region (an account
        # setting), so it lives here rather than in the refactor app, which deploys after this
        # stack. The REST API runs in the primary region only.
        self.apigateway_account = ApiGatewayAccountLogging(self, self.transparent("apigateway-logging")).account
