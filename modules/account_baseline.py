"""The per account-and-region singletons every workload relies on, one construct per concern.

- `ConfigRecorder`: the AWS Config recorder, its delivery channel (a KMS-encrypted bucket with an
  SSE-S3 access-log bucket) and AWS managed rules.
- `EbsDefaultEncryption`: EBS encryption by default, with a customer-managed key.
- `SessionManagerPreferences`: the `SSM-SessionManagerRunShell` document, logging every session to
  an encrypted log group (optionally adopting a document the console already made).
- `AccountPasswordPolicy`, `CostControls` (budget, Cost Anomaly Detection), `ServiceLinkedRoles`,
  `ApiGatewayAccountLogging`: account-wide, made once in the primary region.

Each exists once per account (or account and region): AWS keeps one recorder, one EBS default,
one preferences document, one password policy and one API Gateway account setting, and creating a
second overwrites the first or fails. Only a baseline stack may use these.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from cdktf import Fn
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

from modules.encryption import EncryptionKey
from modules.iam import Statement, assume_role_policy, policy_document
from modules.storage import SecureBucket

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


def _rule_id(rule: str) -> str:
    return rule.lower().replace("_", "-")


class ConfigRecorder(Construct):
    """Records every supported resource (global ones only where `record_global_resources`), delivers
    daily snapshots to an encrypted bucket, and evaluates `managed_rules` (AWS managed rule ids)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        account_id: str,
        region: str,
        record_global_resources: bool,
        managed_rules: Sequence[str],
        force_destroy: bool,
    ) -> None:
        super().__init__(scope, id_)
        account = account_id
        source_account = [("StringEquals", "aws:SourceAccount", [account])]
        self.key = EncryptionKey(
            self,
            "config-key",
            alias=f"{name}-config-{region}",
            description=f"Encrypts AWS Config snapshots and history of {name} in {region}",
            account_id=account,
            service_grants=[
                EncryptionKey.service_grant("ConfigDelivers", "config.amazonaws.com", conditions=source_account)
            ],
        )
        bucket_name = f"{name}-config-{account}-{region}"
        access_logs = SecureBucket(
            self,
            "config-access-logs",
            bucket_name=f"{bucket_name}-logs",
            account_id=account,
            kms_key_arn=None,  # S3 server access log delivery supports SSE-S3 only
            receives_access_logs=True,
            noncurrent_version_days=30,
            force_destroy=force_destroy,
        )
        bucket_arn = f"arn:aws:s3:::{bucket_name}"
        delivery_prefix = f"{bucket_arn}/AWSLogs/{account}/Config/*"
        config_service = {"Service": ["config.amazonaws.com"]}
        self.bucket = SecureBucket(
            self,
            "config-bucket",
            bucket_name=bucket_name,
            account_id=account,
            kms_key_arn=self.key.arn,
            access_logs=access_logs,
            noncurrent_version_days=365,
            force_destroy=force_destroy,
            extra_statements=[
                Statement(
                    sid="ConfigChecksBucket",
                    actions=["s3:GetBucketAcl", "s3:ListBucket"],
                    resources=[bucket_arn],
                    principals=config_service,
                    conditions=source_account,
                ),
                Statement(
                    sid="ConfigDelivers",
                    actions=["s3:PutObject"],
                    resources=[delivery_prefix],
                    principals=config_service,
                    conditions=source_account,
                ),
            ],
        )
        trust = assume_role_policy(self, "config-trust", service="config.amazonaws.com", conditions=source_account)
        role = IamRole(self, "config-role", name=f"{name}-config-recorder-{region}", assume_role_policy=trust.json)
        IamRolePolicyAttachment(self, "config-role-read", role=role.name, policy_arn=CONFIG_READ_POLICY)
        deliver = policy_document(
            self,
            "config-role-delivery",
            [
                Statement(sid="CheckBucket", actions=["s3:GetBucketAcl"], resources=[bucket_arn]),
                Statement(sid="Deliver", actions=["s3:PutObject"], resources=[delivery_prefix]),
                Statement(
                    sid="EncryptDeliveries", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self.key.arn]
                ),
            ],
        )
        IamRolePolicy(self, "config-role-delivery-policy", role=role.id, policy=deliver.json)
        self.recorder = ConfigConfigurationRecorder(
            self,
            "config-recorder",
            name=f"{name}-recorder",
            role_arn=role.arn,
            recording_group=ConfigConfigurationRecorderRecordingGroup(
                all_supported=True,
                # IAM and other global resources are recorded once, in one region.
                include_global_resource_types=record_global_resources,
            ),
        )
        channel = ConfigDeliveryChannel(
            self,
            "config-delivery-channel",
            name=f"{name}-delivery",
            s3_bucket_name=self.bucket.name,
            s3_kms_key_arn=self.key.arn,
            snapshot_delivery_properties={"delivery_frequency": "TwentyFour_Hours"},
            # Config checks the bucket policy when the channel is created.
            depends_on=[self.recorder, *filter(None, [self.bucket.bucket_policy])],
        )
        ConfigConfigurationRecorderStatus(
            self, "config-recorder-status", name=self.recorder.name, is_enabled=True, depends_on=[channel]
        )
        self.rules = [
            ConfigConfigRule(
                self,
                f"rule-{_rule_id(rule)}",
                name=_rule_id(rule),
                source=ConfigConfigRuleSource(owner="AWS", source_identifier=rule),
                # A rule needs a recorder (PutConfigRule: NoAvailableConfigurationRecorderException).
                depends_on=[self.recorder],
            )
            for rule in managed_rules
        ]


class EbsDefaultEncryption(Construct):
    """Every new EBS volume in the region is encrypted, by default with this customer-managed key."""

    def __init__(self, scope: Construct, id_: str, *, name: str, account_id: str, region: str) -> None:
        super().__init__(scope, id_)
        self.key = EncryptionKey(
            self,
            "ebs-key",
            alias=f"{name}-ebs-default-{region}",
            description=f"Default EBS encryption key of {name} in {region}",
            account_id=account_id,
            service_grants=[
                # Any principal of this account, only through EC2 in this region: instances, ASGs and
                # their service-linked roles can attach encrypted volumes without a grant each.
                Statement(
                    sid="AccountUsesKeyThroughEc2",
                    actions=EBS_KEY_ACTIONS,
                    principals={"AWS": ["*"]},
                    conditions=[
                        ("StringEquals", "kms:CallerAccount", [account_id]),
                        ("StringEquals", "kms:ViaService", [f"ec2.{region}.amazonaws.com"]),
                    ],
                )
            ],
        )
        EbsEncryptionByDefault(self, "ebs-encryption-by-default", enabled=True)
        EbsDefaultKmsKey(self, "ebs-default-key", key_arn=self.key.arn)


class SessionManagerPreferences(Construct):
    """Session Manager logs every session to an encrypted log group, encrypts session data with a KMS
    key on top of TLS, and ends idle (20 min) and long (120 min) sessions.

    With `adopt_existing`, the document already exists (console, Quick Setup, a landing zone) and
    CreateDocument would fail with DocumentAlreadyExists: it is imported (a Terraform import block,
    a no-op once it is in state) and the next apply sets these preferences.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        account_id: str,
        region: str,
        log_retention_days: int,
        adopt_existing: bool,
    ) -> None:
        super().__init__(scope, id_)
        log_group_name = f"/aws/ssm/{name}/sessions"
        log_group_arn = f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}"
        self.key = EncryptionKey(
            self,
            "session-log-key",
            alias=f"{name}-sessions-{region}",
            description=f"Encrypts Session Manager sessions and their logs of {name} in {region}",
            account_id=account_id,
            service_grants=[
                EncryptionKey.service_grant(
                    "CloudWatchLogsUseKey",
                    f"logs.{region}.amazonaws.com",
                    conditions=[("ArnEquals", "kms:EncryptionContext:aws:logs:arn", [log_group_arn])],
                )
            ],
        )
        self.log_group = CloudwatchLogGroup(
            self,
            "session-log-group",
            name=log_group_name,
            retention_in_days=log_retention_days,
            kms_key_id=self.key.arn,
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
                # and users who start sessions need kms:Decrypt on it.
                "kmsKeyId": self.key.key.key_id,
                "runAsEnabled": False,
                "runAsDefaultUser": "",
                "idleSessionTimeout": "20",
                "maxSessionDuration": "120",
                "shellProfile": {"windows": "", "linux": ""},
            },
        }
        self.document = SsmDocument(
            self,
            "session-preferences",
            name=SESSION_PREFERENCES_DOCUMENT,
            document_type="Session",
            document_format="JSON",
            content=Fn.jsonencode(preferences),
        )
        if adopt_existing:
            self.document.import_from(SESSION_PREFERENCES_DOCUMENT)


class AccountPasswordPolicy(Construct):
    """The IAM password policy: all four character classes, expiry and no reuse (one per account)."""

    def __init__(
        self, scope: Construct, id_: str, *, minimum_length: int, max_age_days: int, reuse_prevention: int
    ) -> None:
        super().__init__(scope, id_)
        self.policy = IamAccountPasswordPolicy(
            self,
            "password-policy",
            minimum_password_length=minimum_length,
            require_lowercase_characters=True,
            require_uppercase_characters=True,
            require_numbers=True,
            require_symbols=True,
            allow_users_to_change_password=True,
            max_password_age=max_age_days,
            password_reuse_prevention=reuse_prevention,
        )


class CostControls(Construct):
    """A monthly cost budget (mail at 80% actual and 100% forecast) and daily cost-anomaly mail.

    An account holds one AWS-services anomaly monitor, and Cost Explorer creates
    Default-Services-Monitor when it is first enabled: pass its ARN as `anomaly_monitor_arn` to
    subscribe to it instead of creating one.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        alert_emails: Sequence[str],
        monthly_budget_usd: float | None,
        anomaly_detection: bool,
        anomaly_monitor_arn: str | None,
        anomaly_threshold_usd: float,
    ) -> None:
        super().__init__(scope, id_)
        emails = list(alert_emails)
        self.budget: BudgetsBudget | None = None
        if monthly_budget_usd is not None:
            self.budget = BudgetsBudget(
                self,
                "monthly-budget",
                name=f"{name}-monthly-cost",
                budget_type="COST",
                limit_amount=f"{monthly_budget_usd:.2f}",
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
        self.anomaly_subscription: CeAnomalySubscription | None = None
        if not anomaly_detection:
            return
        monitor_arn = anomaly_monitor_arn
        if monitor_arn is None:
            monitor_arn = CeAnomalyMonitor(
                self,
                "cost-anomaly-monitor",
                name=f"{name}-services",
                monitor_type="DIMENSIONAL",
                monitor_dimension="SERVICE",
            ).arn
        self.anomaly_subscription = CeAnomalySubscription(
            self,
            "cost-anomaly-subscription",
            name=f"{name}-daily-anomalies",
            frequency="DAILY",
            monitor_arn_list=[monitor_arn],
            subscriber=[CeAnomalySubscriptionSubscriber(type="EMAIL", address=e) for e in emails],
            threshold_expression=CeAnomalySubscriptionThresholdExpression(
                dimension=CeAnomalySubscriptionThresholdExpressionDimension(
                    key="ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                    match_options=["GREATER_THAN_OR_EQUAL"],
                    values=[f"{anomaly_threshold_usd:g}"],
                )
            ),
        )


class ServiceLinkedRoles(Construct):
    """Service-linked roles made before the service's first use would make them.

    AWS creates these on a service's first use, but KMS refuses a key policy naming a principal
    that does not exist yet (MalformedPolicyDocumentException). IAM is global and allows one per
    service per account: `adopted` lists the services whose role the account has already.
    `roles` maps service principal -> role name (AWSServiceRoleFor...).
    """

    def __init__(self, scope: Construct, id_: str, *, roles: Mapping[str, str], adopted: Collection[str] = ()) -> None:
        super().__init__(scope, id_)
        self.roles: dict[str, IamServiceLinkedRole] = {
            service: IamServiceLinkedRole(self, f"slr-{role_name.lower()}", aws_service_name=service)
            for service, role_name in roles.items()
            if service not in adopted
        }


class ApiGatewayAccountLogging(Construct):
    """The role API Gateway writes REST API stage logs through: one per account and region, an
    account setting, so no API's stack may make it."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        trust = assume_role_policy(self, "apigateway-logs-trust", service="apigateway.amazonaws.com")
        self.role = IamRole(self, "apigateway-logs-role", name_prefix="apigateway-logs-", assume_role_policy=trust.json)
        IamRolePolicyAttachment(self, "apigateway-logs-policy", role=self.role.name, policy_arn=API_GATEWAY_LOGS_POLICY)
        self.account = ApiGatewayAccount(self, "apigateway-account", cloudwatch_role_arn=self.role.arn)
