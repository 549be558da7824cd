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

from cdktf import Fn, TerraformOutput
from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.budgets_budget import BudgetsBudget, BudgetsBudgetNotification
from cdktf_cdktf_provider_aws.ce_anomaly_monitor import CeAnomalyMonitor
from cdktf_cdktf_provider_aws.ce_anomaly_subscription import (
    CeAnomalySubscription,
    CeAnomalySubscriptionSubscriber,
    CeAnomalySubscriptionThresholdExpression,
    CeAnomalySubscriptionThresholdExpressionDimension,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.config_config_rule import ConfigConfigRule, ConfigConfigRuleSource
from cdktf_cdktf_provider_aws.config_configuration_recorder import (
    ConfigConfigurationRecorder,
    ConfigConfigurationRecorderRecordingGroup,
)
from cdktf_cdktf_provider_aws.config_configuration_recorder_status import ConfigConfigurationRecorderStatus
from cdktf_cdktf_provider_aws.config_delivery_channel import ConfigDeliveryChannel
from cdktf_cdktf_provider_aws.ebs_default_kms_key import EbsDefaultKmsKey
from cdktf_cdktf_provider_aws.ebs_encryption_by_default import EbsEncryptionByDefault
from cdktf_cdktf_provider_aws.iam_account_password_policy import IamAccountPasswordPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.iam_service_linked_role import IamServiceLinkedRole
from cdktf_cdktf_provider_aws.ssm_document import SsmDocument
from constructs import Construct

from environments.schema import SERVICE_LINKED_ROLES, Environment
from modules.encryption import EncryptionKey
from modules.iam import Statement, assume_role_policy, policy_document
from modules.storage import SecureBucket
from stacks.base import EnvironmentStack

# The managed rules the workloads rely on (TableSleuth's issue asks for both).
CONFIG_MANAGED_RULES = ("EC2_EBS_ENCRYPTION_BY_DEFAULT", "VPC_FLOW_LOGS_ENABLED")
CONFIG_READ_POLICY = "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"
# The document name Session Manager reads its preferences from (fixed by AWS).
SESSION_PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
API_GATEWAY_LOGS_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
# EBS and EC2 use the default-encryption key on the caller's behalf (AWS's own aws/ebs key policy shape).
EBS_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:CreateGrant",
    "kms:DescribeKey",
)


class BaselineStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment, region: str) -> None:
        super().__init__(scope, env=env, component="baseline", region=region)
        self.is_primary = region == env.primary_region
        self._config_recorder(env, region)
        self._ebs_default_encryption(env, region)
        self._session_manager(env, region)
        if self.is_primary:
            self._account_wide(env)
            self._service_linked_roles(env)
            self._api_gateway_logging_role()

    def _config_recorder(self, env: Environment, region: str) -> None:
        account = env.account_id
        key = EncryptionKey(
            self,
            "config-key",
            alias=f"{env.name}-config-{region}",
            description=f"Encrypts AWS Config snapshots and history of {env.name} in {region}",
            account_id=account,
            service_grants=[
                EncryptionKey.service_grant(
                    "ConfigDelivers",
                    "config.amazonaws.com",
                    conditions=[("StringEquals", "aws:SourceAccount", [account])],
                )
            ],
        )
        bucket_name = f"{env.name}-config-{account}-{region}"
        access_logs = SecureBucket(
            self,
            "config-access-logs",
            bucket_name=f"{bucket_name}-logs",
            account_id=account,
            kms_key_arn=None,  # S3 server access log delivery supports SSE-S3 only
            receives_access_logs=True,
            noncurrent_version_days=30,
            force_destroy=env.local_aws,
        )
        bucket_arn = f"arn:aws:s3:::{bucket_name}"
        delivery_prefix = f"{bucket_arn}/AWSLogs/{account}/Config/*"
        self.config_bucket = SecureBucket(
            self,
            "config-bucket",
            bucket_name=bucket_name,
            account_id=account,
            kms_key_arn=key.arn,
            access_logs=access_logs,
            noncurrent_version_days=365,
            force_destroy=env.local_aws,
            extra_statements=[
                Statement(
                    sid="ConfigChecksBucket",
                    actions=["s3:GetBucketAcl", "s3:ListBucket"],
                    resources=[bucket_arn],
                    principals={"Service": ["config.amazonaws.com"]},
                    conditions=[("StringEquals", "aws:SourceAccount", [account])],
                ),
                Statement(
                    sid="ConfigDelivers",
                    actions=["s3:PutObject"],
                    resources=[delivery_prefix],
                    principals={"Service": ["config.amazonaws.com"]},
                    conditions=[("StringEquals", "aws:SourceAccount", [account])],
                ),
            ],
        )
        trust = assume_role_policy(
            self,
            "config-trust",
            service="config.amazonaws.com",
            conditions=[("StringEquals", "aws:SourceAccount", [account])],
        )
        role = IamRole(self, "config-role", name=f"{env.name}-config-recorder-{region}", assume_role_policy=trust.json)
        IamRolePolicyAttachment(self, "config-role-read", role=role.name, policy_arn=CONFIG_READ_POLICY)
        deliver = policy_document(
            self,
            "config-role-delivery",
            [
                Statement(sid="CheckBucket", actions=["s3:GetBucketAcl"], resources=[bucket_arn]),
                Statement(sid="Deliver", actions=["s3:PutObject"], resources=[delivery_prefix]),
                Statement(sid="EncryptDeliveries", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.arn]),
            ],
        )
        IamRolePolicy(self, "config-role-delivery-policy", role=role.id, policy=deliver.json)
        self.recorder = ConfigConfigurationRecorder(
            self,
            "config-recorder",
            name=f"{env.name}-recorder",
            role_arn=role.arn,
            recording_group=ConfigConfigurationRecorderRecordingGroup(
                all_supported=True,
                # IAM and other global resources are recorded once, in the primary region.
                include_global_resource_types=self.is_primary,
            ),
        )
        channel = ConfigDeliveryChannel(
            self,
            "config-delivery-channel",
            name=f"{env.name}-delivery",
            s3_bucket_name=self.config_bucket.name,
            s3_kms_key_arn=key.arn,
            snapshot_delivery_properties={"delivery_frequency": "TwentyFour_Hours"},
            # Config checks the bucket policy when the channel is created.
            depends_on=[self.recorder, *filter(None, [self.config_bucket.bucket_policy])],
        )
        ConfigConfigurationRecorderStatus(
            self, "config-recorder-status", name=self.recorder.name, is_enabled=True, depends_on=[channel]
        )
        for rule in CONFIG_MANAGED_RULES:
            ConfigConfigRule(
                self,
                f"rule-{rule.lower().replace('_', '-')}",
                name=rule.lower().replace("_", "-"),
                source=ConfigConfigRuleSource(owner="AWS", source_identifier=rule),
                depends_on=[self.recorder],
            )
        TerraformOutput(self, "config_bucket", value=self.config_bucket.name)

    def _ebs_default_encryption(self, env: Environment, region: str) -> None:
        account = env.account_id
        self.ebs_key = EncryptionKey(
            self,
            "ebs-key",
            alias=f"{env.name}-ebs-default-{region}",
            description=f"Default EBS encryption key of {env.name} in {region}",
            account_id=account,
            service_grants=[
                # Any principal of this account, only through EC2 in this region: instances, ASGs and
                # their service-linked roles can attach encrypted volumes without a grant each.
                Statement(
                    sid="AccountUsesKeyThroughEc2",
                    actions=EBS_KEY_ACTIONS,
                    principals={"AWS": ["*"]},
                    conditions=[
                        ("StringEquals", "kms:CallerAccount", [account]),
                        ("StringEquals", "kms:ViaService", [f"ec2.{region}.amazonaws.com"]),
                    ],
                )
            ],
        )
        EbsEncryptionByDefault(self, "ebs-encryption-by-default", enabled=True)
        EbsDefaultKmsKey(self, "ebs-default-key", key_arn=self.ebs_key.arn)
        TerraformOutput(self, "ebs_default_key_arn", value=self.ebs_key.arn)

    def _session_manager(self, env: Environment, region: str) -> None:
        account = env.account_id
        log_group_name = f"/aws/ssm/{env.name}/sessions"
        key = EncryptionKey(
            self,
            "session-log-key",
            alias=f"{env.name}-sessions-{region}",
            description=f"Encrypts Session Manager sessions and their logs of {env.name} in {region}",
            account_id=account,
            service_grants=[
                EncryptionKey.service_grant(
                    "CloudWatchLogsUseKey",
                    f"logs.{region}.amazonaws.com",
                    conditions=[
                        (
                            "ArnEquals",
                            "kms:EncryptionContext:aws:logs:arn",
                            [f"arn:aws:logs:{region}:{account}:log-group:{log_group_name}"],
                        )
                    ],
                )
            ],
        )
        self.session_log_group = CloudwatchLogGroup(
            self,
            "session-log-group",
            name=log_group_name,
            retention_in_days=env.baseline.session_log_retention_days,
            kms_key_id=key.arn,
        )
        preferences = {
            "schemaVersion": "1.0",
            "description": "Session Manager preferences: every session is logged, encrypted, and times out",
            "sessionType": "Standard_Stream",
            "inputs": {
                "s3BucketName": "",
                "s3KeyPrefix": "",
                "s3EncryptionEnabled": True,
                "cloudWatchLogGroupName": log_group_name,
                "cloudWatchEncryptionEnabled": True,
                "cloudWatchStreamingEnabled": True,
                # Session data is encrypted end to end with this key on top of TLS: instance roles
                # and users who start sessions need kms:Decrypt on it (output session_kms_key_arn).
                "kmsKeyId": key.key.key_id,
                "runAsEnabled": False,
                "runAsDefaultUser": "",
                "idleSessionTimeout": "20",
                "maxSessionDuration": "120",
                "shellProfile": {"windows": "", "linux": ""},
            },
        }
        document = SsmDocument(
            self,
            "session-preferences",
            name=SESSION_PREFERENCES_DOCUMENT,
            document_type="Session",
            document_format="JSON",
            content=Fn.jsonencode(preferences),
        )
        if region in env.baseline.adopt_session_preferences:
            # The document exists already (console, Quick Setup, a landing zone), and CreateDocument
            # would fail with DocumentAlreadyExists: import it (a Terraform import block, a no-op once
            # it is in state) and let the next apply set these preferences.
            document.import_from(SESSION_PREFERENCES_DOCUMENT)
        TerraformOutput(self, "session_log_group_name", value=self.session_log_group.name)
        TerraformOutput(self, "session_log_group_arn", value=self.session_log_group.arn)
        TerraformOutput(self, "session_kms_key_arn", value=key.arn)
        self.session_key = key

    def _account_wide(self, env: Environment) -> None:
        baseline = env.baseline
        policy = baseline.password_policy
        IamAccountPasswordPolicy(
            self,
            "password-policy",
            minimum_password_length=policy.minimum_length,
            require_lowercase_characters=True,
            require_uppercase_characters=True,
            require_numbers=True,
            require_symbols=True,
            allow_users_to_change_password=True,
            max_password_age=policy.max_age_days,
            password_reuse_prevention=policy.reuse_prevention,
        )
        if baseline.monthly_budget_usd is not None:
            emails = list(baseline.alert_emails)
            BudgetsBudget(
                self,
                "monthly-budget",
                name=f"{env.name}-monthly-cost",
                budget_type="COST",
                limit_amount=f"{baseline.monthly_budget_usd:.2f}",
                limit_unit="USD",
                time_unit="MONTHLY",
                notification=[
                    BudgetsBudgetNotification(
                        comparison_operator="GREATER_THAN",
                        threshold=threshold,
                        threshold_type="PERCENTAGE",
                        notification_type=kind,
                        subscriber_email_addresses=emails,
                    )
                    for kind, threshold in (("ACTUAL", 80), ("FORECASTED", 100))
                ]
                if emails
                else None,
            )
        if baseline.cost_anomaly_detection:
            monitor_arn = baseline.anomaly_monitor_arn
            if monitor_arn is None:
                # An account holds one AWS-services monitor, and Cost Explorer creates
                # Default-Services-Monitor when it is first enabled: then set anomaly_monitor_arn.
                monitor_arn = CeAnomalyMonitor(
                    self,
                    "cost-anomaly-monitor",
                    name=f"{env.name}-services",
                    monitor_type="DIMENSIONAL",
                    monitor_dimension="SERVICE",
                ).arn
            CeAnomalySubscription(
                self,
                "cost-anomaly-subscription",
                name=f"{env.name}-daily-anomalies",
                frequency="DAILY",
                monitor_arn_list=[monitor_arn],
                subscriber=[CeAnomalySubscriptionSubscriber(type="EMAIL", address=e) for e in baseline.alert_emails],
                threshold_expression=CeAnomalySubscriptionThresholdExpression(
                    dimension=CeAnomalySubscriptionThresholdExpressionDimension(
                        key="ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                        match_options=["GREATER_THAN_OR_EQUAL"],
                        values=[f"{baseline.anomaly_threshold_usd:g}"],
                    )
                ),
            )

    def _service_linked_roles(self, env: Environment) -> None:
        """Create the service-linked roles that a policy names before AWS would create them.

        AWS makes these on a service's first use, but KMS refuses a key policy naming a principal
        that does not exist yet (MalformedPolicyDocumentException), and the TableSleuth host key
        names Auto Scaling's role before the first Auto Scaling group exists. IAM is global, so the
        primary-region baseline creates them and every other baseline deploys after it. Where the
        account has one already, list it in baseline.adopt_service_linked_roles (AWS allows one
        per account); `make preflight` tells which.
        """
        if env.tablesleuth is None:
            return  # only the TableSleuth host key names one
        self.service_linked_roles: dict[str, IamServiceLinkedRole] = {}
        for service, role_name in SERVICE_LINKED_ROLES.items():
            if service in env.baseline.adopt_service_linked_roles:
                continue
            self.service_linked_roles[service] = IamServiceLinkedRole(
                self, f"slr-{role_name.lower()}", aws_service_name=service
            )

    def _api_gateway_logging_role(self) -> None:
        """API Gateway writes stage logs through one role per account and region (an account setting),
        so it lives here rather than in the refactor app, which deploys after this stack. The REST
        API runs in the primary region only."""
        trust = assume_role_policy(self, "apigateway-logs-trust", service="apigateway.amazonaws.com")
        role = IamRole(self, "apigateway-logs-role", name_prefix="apigateway-logs-", assume_role_policy=trust.json)
        IamRolePolicyAttachment(self, "apigateway-logs-policy", role=role.name, policy_arn=API_GATEWAY_LOGS_POLICY)
        self.apigateway_account = ApiGatewayAccount(self, "apigateway-account", cloudwatch_role_arn=role.arn)
