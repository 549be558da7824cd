"""modules/rotated_secret.py: an empty secret, and its rotation function, permission and schedule."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_rotation import SecretsmanagerSecretRotation
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule

from modules.lambda_function import FUNCTIONS_DIR
from modules.rotated_secret import ROTATION_ACTIONS, RotatedSecret, SecretRotation
from tests.helpers import of_type, statements, synth

KEY = "arn:aws:kms:us-east-2:111111111111:key/k"


def _secret(rotation_days: int | None):
    def build(scope):
        RotatedSecret(
            scope,
            "password",
            secret_name="dev-password",
            description="d",
            kms_key_arn=KEY,
            recovery_window_days=7,
            rotation=None
            if rotation_days is None
            else SecretRotation(
                days=rotation_days,
                name="dev-hosts",
                source_dir=FUNCTIONS_DIR / "tablesleuth_password_rotation",
                vpc_id="vpc-1",
                vpc_cidr="10.0.0.0/16",
                subnet_ids=["subnet-1"],
                log_kms_key_arn=KEY,
                log_retention_days=30,
            ),
        )

    return build


def test_the_secret_is_created_without_a_value():
    out = synth(_secret(None))
    (secret,) = of_type(out, SecretsmanagerSecret.TF_RESOURCE_TYPE).values()
    assert (secret["name"], secret["kms_key_id"], secret["recovery_window_in_days"]) == ("dev-password", KEY, 7)
    assert not of_type(out, SecretsmanagerSecretVersion.TF_RESOURCE_TYPE)
    assert not of_type(out, LambdaFunction.TF_RESOURCE_TYPE)


def test_secrets_manager_may_invoke_the_function_for_this_secret_only_and_rotation_waits_for_it():
    out = synth(_secret(30))
    (permission,) = of_type(out, LambdaPermission.TF_RESOURCE_TYPE).values()
    assert permission["principal"] == "secretsmanager.amazonaws.com"
    assert permission["source_arn"].startswith("${aws_secretsmanager_secret.") and permission["source_arn"].endswith(
        ".arn}"
    )
    (rotation,) = of_type(out, SecretsmanagerSecretRotation.TF_RESOURCE_TYPE).values()
    assert rotation["rotation_rules"] == {"automatically_after_days": 30}
    assert rotation["rotate_immediately"] is False  # the first consumer writes the first value
    assert any(d.startswith("aws_lambda_permission.") for d in rotation["depends_on"])
    (function,) = of_type(out, LambdaFunction.TF_RESOURCE_TYPE).values()
    assert function["function_name"] == "dev-hosts-rotation" and function["reserved_concurrent_executions"] == 2


def test_the_function_may_rotate_this_secret_and_reach_only_the_vpc_over_https():
    out = synth(_secret(30))
    (rotate,) = [s for s in statements(out, "password_rotation_policy") if s["sid"] == "RotateSecret"]
    assert rotate["actions"] == list(ROTATION_ACTIONS)
    assert rotate["resources"][0].startswith("${aws_secretsmanager_secret.")
    (egress,) = of_type(out, VpcSecurityGroupEgressRule.TF_RESOURCE_TYPE).values()
    assert (egress["from_port"], egress["to_port"], egress["cidr_ipv4"]) == (443, 443, "10.0.0.0/16")
