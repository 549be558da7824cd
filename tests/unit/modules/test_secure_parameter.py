"""modules/secure_parameter.py: OutOfBandSecureParameter, a SecureString Terraform never manages or reads."""

from __future__ import annotations

import pytest

from modules.secure_parameter import OutOfBandSecureParameter
from tests.helpers import KEY, synth


def test_out_of_band_parameter_is_never_a_resource_terraform_reads():
    """The provider decrypts a managed SecureString on every refresh, so the value (ignore_changes)
    or at least the plan role's read of it (value_wo) would reach state or CI: it stays unmanaged."""
    holder = {}

    def build(scope):
        holder["p"] = OutOfBandSecureParameter(
            scope, "p", name="/dev/code-refactor/github-token", description="d", kms_key_arn=KEY
        )

    out = synth(build)
    assert "aws_ssm_parameter" not in out.get("resource", {})
    assert "aws_ssm_parameter" not in out.get("data", {})
    command = holder["p"].set_command("us-east-2")
    assert "--name /dev/code-refactor/github-token" in command and "read -rs" in command
    assert f"--type SecureString --key-id {KEY}" in command
    assert holder["p"].arn.endswith(":parameter/dev/code-refactor/github-token")


def test_out_of_band_parameter_needs_a_path():
    with pytest.raises(ValueError, match="must be a path"):
        synth(lambda s: OutOfBandSecureParameter(s, "p", name="token", description="d", kms_key_arn=KEY))
