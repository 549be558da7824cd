"""A Python Lambda function built from `functions/<name>/`, with the defaults every function here gets.

The source folder is zipped at synth with `zipfile` (there is no archive provider here), with
fixed timestamps and sorted entries so the same source always gives the same bytes and the same
`source_code_hash`: an unchanged function plans no change.

Every function gets: active X-Ray tracing, JSON logs into its own KMS-encrypted log group with
retention, environment variables encrypted with the same key, a role limited to its own log group
plus the statements the caller passes, and (by default) an encrypted SQS dead-letter queue.

With `s3_trigger`, a bucket invokes the function when objects arrive: the invoke permission (for
that bucket, from the bucket's account) and the bucket's notification configuration.
"""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from base64 import b64encode
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionDeadLetterConfig,
    LambdaFunctionEnvironment,
    LambdaFunctionLoggingConfig,
    LambdaFunctionTracingConfig,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.s3_bucket_notification import S3BucketNotification, S3BucketNotificationLambdaFunction
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from modules.iam import Statement, assume_role_policy, policy_document

FUNCTIONS_DIR = Path(__file__).resolve().parents[1] / "functions"
RUNTIME = "python3.12"
# ENI management for functions in a VPC: AWS's managed policy, since these EC2 actions take no
# resource-level permissions.
VPC_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
# X-Ray's write actions have no resource-level permissions either.
XRAY_WRITE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP = {"__pycache__", "tests", ".pytest_cache"}


def build_zip(source_dir: Path, destination: Path) -> str:
    """Zip `source_dir` reproducibly (sorted, fixed timestamps, no tests or caches).

    Returns the base64 SHA-256 of the zip, the form Lambda's `source_code_hash` uses.
    """
    if not source_dir.is_dir() or not any(source_dir.glob("*.py")):
        raise ValueError(f"{source_dir} has no Python sources to package")
    files = sorted(
        path
        for path in source_dir.rglob("*")
        if path.is_file() and not _SKIP.intersection(path.relative_to(source_dir).parts) and path.suffix != ".pyc"
    )
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source_dir).as_posix(), date_time=_ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return b64encode(hashlib.sha256(destination.read_bytes()).digest()).decode()


@dataclass(frozen=True, kw_only=True)
class S3Trigger:
    """Objects arriving in a bucket invoke the function.

    S3 keeps ONE notification configuration per bucket and PutBucketNotificationConfiguration
    replaces all of it: the function given this trigger owns the bucket's notifications, so no
    other construct may configure them. S3 checks the destination when the configuration is
    written, so the invoke permission is created first.
    """

    bucket_name: str
    bucket_arn: str
    # Bucket ARNs carry no account: the permission also names the account, so a bucket of the
    # same name in another account cannot invoke the function (confused deputy).
    bucket_account_id: str
    statement_id: str
    events: tuple[str, ...] = ("s3:ObjectCreated:*",)
    filter_prefix: str | None = None


class PythonFunction(Construct):
    """A Lambda function from `functions/<name>/` (or any `source_dir`)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        function_name: str,
        source_dir: Path,
        handler: str,
        kms_key_arn: str,
        log_retention_days: int,
        environment: Mapping[str, str] | None = None,
        policy_statements: Sequence[Statement] = (),
        subnet_ids: Sequence[str] = (),
        security_group_ids: Sequence[str] = (),
        timeout: int = 30,
        memory_size: int = 256,
        reserved_concurrency: int | None = None,
        dead_letter_queue: bool = True,
        s3_trigger: S3Trigger | None = None,
    ) -> None:
        super().__init__(scope, id_)
        if bool(subnet_ids) != bool(security_group_ids):
            raise ValueError(f"{function_name}: a function in a VPC needs both subnet_ids and security_group_ids")

        package = Path(tempfile.mkdtemp(prefix="lambda-")) / f"{function_name}.zip"
        code_hash = build_zip(Path(source_dir), package)
        self.code_hash = code_hash
        self.asset = TerraformAsset(self, "code", path=str(package), type=AssetType.FILE)

        self.log_group = CloudwatchLogGroup(
            self,
            "logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=log_retention_days,
            kms_key_id=kms_key_arn,
        )
        self.dlq = (
            SqsQueue(
                self,
                "dlq",
                name=f"{function_name}-dlq",
                kms_master_key_id=kms_key_arn,
                kms_data_key_reuse_period_seconds=300,
                message_retention_seconds=14 * 24 * 3600,
            )
            if dead_letter_queue
            else None
        )

        trust = assume_role_policy(self, "trust", service="lambda.amazonaws.com")
        self.role = IamRole(self, "role", name=f"{function_name}-lambda", assume_role_policy=trust.json)
        statements = [
            Statement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{self.log_group.arn}:*"],
            ),
            Statement(sid="WriteTraces", actions=list(XRAY_WRITE_ACTIONS), resources=["*"]),
            Statement(
                sid="UseFunctionKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[kms_key_arn],
            ),
            *policy_statements,
        ]
        if self.dlq is not None:
            statements.append(
                Statement(sid="SendToDeadLetterQueue", actions=["sqs:SendMessage"], resources=[self.dlq.arn])
            )
        policy = policy_document(self, "policy", statements)
        self.role_policy = IamRolePolicy(self, "role-policy", role=self.role.id, policy=policy.json)
        if subnet_ids:
            IamRolePolicyAttachment(self, "vpc-access", role=self.role.name, policy_arn=VPC_ACCESS_POLICY)

        self.function = LambdaFunction(
            self,
            "function",
            function_name=function_name,
            role=self.role.arn,
            runtime=RUNTIME,
            handler=handler,
            filename=self.asset.path,
            source_code_hash=code_hash,
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrency,
            kms_key_arn=kms_key_arn,
            environment=LambdaFunctionEnvironment(variables=dict(environment)) if environment else None,
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            logging_config=LambdaFunctionLoggingConfig(log_format="JSON", log_group=self.log_group.name),
            dead_letter_config=LambdaFunctionDeadLetterConfig(target_arn=self.dlq.arn) if self.dlq else None,
            vpc_config=(
                LambdaFunctionVpcConfig(subnet_ids=list(subnet_ids), security_group_ids=list(security_group_ids))
                if subnet_ids
                else None
            ),
            # The role's policy must exist before the function first runs (and writes logs).
            depends_on=[self.log_group],
        )
        self.s3_permission: LambdaPermission | None = None
        self.s3_notification: S3BucketNotification | None = None
        if s3_trigger is not None:
            self._trigger_from_s3(s3_trigger)

    def _trigger_from_s3(self, trigger: S3Trigger) -> None:
        self.s3_permission = LambdaPermission(
            self,
            "s3-permission",
            statement_id=trigger.statement_id,
            action="lambda:InvokeFunction",
            function_name=self.function.function_name,
            principal="s3.amazonaws.com",
            source_arn=trigger.bucket_arn,
            source_account=trigger.bucket_account_id,
        )
        self.s3_notification = S3BucketNotification(
            self,
            "s3-notification",
            bucket=trigger.bucket_name,
            lambda_function=[
                S3BucketNotificationLambdaFunction(
                    lambda_function_arn=self.function.arn,
                    events=list(trigger.events),
                    filter_prefix=trigger.filter_prefix,
                )
            ],
            depends_on=[self.s3_permission],
        )

    @property
    def arn(self) -> str:
        return self.function.arn
