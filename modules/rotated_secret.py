"""A Secrets Manager secret that is created empty, filled by its first consumer, and rotated by a
Lambda function in the VPC.

    secret = RotatedSecret(self, "password", secret_name=..., rotation=SecretRotation(days=30, ...))

Nothing puts a value in it here: the first consumer generates one and stores it, so the value
never passes through code, synthesized JSON or Terraform state. The rotation function reaches
Secrets Manager through the VPC's interface endpoint, so its security group allows HTTPS to the VPC
range and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_rotation import (
    SecretsmanagerSecretRotation,
    SecretsmanagerSecretRotationRotationRules,
)
from constructs import Construct

from modules.iam import Statement
from modules.lambda_function import PythonFunction
from modules.security_group import https_only_security_group

# What a rotation function does to its secret (the four steps of Secrets Manager's protocol).
ROTATION_ACTIONS = (
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
)


@dataclass(frozen=True, kw_only=True)
class SecretRotation:
    """The rotation function (`<name>-rotation`, from `source_dir`/handler.py) and its schedule.
    `label` says what rotates, in the security group's description."""

    days: int
    name: str
    label: str = "secret rotation"
    source_dir: Path
    vpc_id: str
    vpc_cidr: str
    subnet_ids: Sequence[str]
    log_kms_key_arn: str
    log_retention_days: int
    environment: Mapping[str, str] = field(default_factory=dict)
    # Rotation runs a few times a month; two is plenty and caps a runaway loop.
    reserved_concurrency: int = 2


class RotatedSecret(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        secret_name: str,
        description: str,
        kms_key_arn: str,
        recovery_window_days: int,
        rotation: SecretRotation | None,
    ) -> None:
        super().__init__(scope, id_)
        self.kms_key_arn = kms_key_arn
        self.secret = SecretsmanagerSecret(
            self,
            "secret",
            name=secret_name,
            description=description,
            kms_key_id=kms_key_arn,
            recovery_window_in_days=recovery_window_days,
        )
        self.function: PythonFunction | None = None
        if rotation is not None:
            self._rotation(rotation)

    @property
    def arn(self) -> str:
        return self.secret.arn

    def _rotation(self, rotation: SecretRotation) -> None:
        name = f"{rotation.name}-rotation"
        group = https_only_security_group(
            self,
            "rotation-sg",
            name_prefix=f"{name}-",
            description=f"{rotation.name} {rotation.label}: HTTPS to the Secrets Manager endpoint in the VPC",
            vpc_id=rotation.vpc_id,
            tags={"Name": name},
            egress_id="rotation-egress",
            egress_description="HTTPS to the VPC's interface endpoints",
            egress_cidr_ipv4=rotation.vpc_cidr,
        )
        self.function = PythonFunction(
            self,
            "rotation",
            function_name=name,
            source_dir=rotation.source_dir,
            handler="handler.handler",
            kms_key_arn=rotation.log_kms_key_arn,
            log_retention_days=rotation.log_retention_days,
            subnet_ids=rotation.subnet_ids,
            security_group_ids=[group.id],
            reserved_concurrency=rotation.reserved_concurrency,
            environment=dict(rotation.environment) or None,
            policy_statements=[
                Statement(sid="RotateSecret", actions=list(ROTATION_ACTIONS), resources=[self.secret.arn]),
                Statement(
                    sid="SecretKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.kms_key_arn]
                ),
            ],
        )
        # Secrets Manager invokes the function for this secret only (the confused-deputy guard).
        permission = LambdaPermission(
            self,
            "rotation-invoke",
            statement_id="SecretsManagerRotates",
            action="lambda:InvokeFunction",
            function_name=self.function.function.function_name,
            principal="secretsmanager.amazonaws.com",
            source_arn=self.secret.arn,
        )
        SecretsmanagerSecretRotation(
            self,
            "rotation-schedule",
            secret_id=self.secret.id,
            rotation_lambda_arn=self.function.arn,
            rotation_rules=SecretsmanagerSecretRotationRotationRules(automatically_after_days=rotation.days),
            # The first value comes from its first consumer; rotating before it exists would race it.
            rotate_immediately=False,
            depends_on=[permission],
        )
