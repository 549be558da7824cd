"""SecureString parameters whose real value is set out of band.

Terraform creates the parameter with a placeholder and then ignores its value, so the real secret
is written by an operator (`aws ssm put-parameter --overwrite ...`) and never passes through
code, the synthesized JSON, a plan, or the state's history.
"""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

# Deliberately not a secret: it tells whoever reads it what to do.
PLACEHOLDER = "unset: write the real value with aws ssm put-parameter --overwrite"


class OutOfBandSecureParameter(Construct):
    def __init__(self, scope: Construct, id_: str, *, name: str, description: str, kms_key_arn: str) -> None:
        super().__init__(scope, id_)
        self.parameter_name = name
        if not name.startswith("/"):
            raise ValueError(f"parameter name {name!r} must be a path, e.g. /dev/code-refactor/github-token")
        self.parameter = SsmParameter(
            self,
            "parameter",
            name=name,
            description=description,
            type="SecureString",
            key_id=kms_key_arn,
            value=PLACEHOLDER,
            tier="Standard",
            lifecycle=TerraformResourceLifecycle(ignore_changes=["value"]),
        )

    @property
    def name(self) -> str:
        return self.parameter.name

    @property
    def arn(self) -> str:
        return self.parameter.arn

    def set_command(self, region: str) -> str:
        """The command an operator runs to store the real value (read from a prompt, not argv)."""
        return (
            f"read -rs VALUE && aws ssm put-parameter --region {region} --name {self.parameter_name} "
            '--type SecureString --overwrite --value "$VALUE"'
        )
