"""SecureString parameters whose value Terraform never touches, not even by reading it.

An operator creates and updates the parameter (`set_command`, which reads the value from a
prompt). Terraform only names it: the stacks hand its ARN to the services that read it at run time.

Why not a Terraform resource: `aws_ssm_parameter` reads every SecureString with decryption on each
refresh (hashicorp/terraform-provider-aws internal/service/ssm/parameter.go, findParameterByName
with withDecryption=true). `ignore_changes = [value]` still stores the value in state; `value_wo`
keeps it out of state but the refresh still decrypts it, so every role that plans would have to be
allowed to read the secret. Unmanaged, no plan, state or plan role ever sees it.
"""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from constructs import Construct


class OutOfBandSecureParameter(Construct):
    def __init__(self, scope: Construct, id_: str, *, name: str, description: str, kms_key_arn: str) -> None:
        super().__init__(scope, id_)
        if not name.startswith("/"):
            raise ValueError(f"parameter name {name!r} must be a path, e.g. /dev/refactor/github-token")
        self.parameter_name = name
        self.description = description
        self.kms_key_arn = kms_key_arn
        stack = TerraformStack.of(self)
        # An EnvironmentStack knows its region and account; elsewhere ask the provider.
        region = getattr(stack, "region", None) or DataAwsRegion(self, "region").name
        env = getattr(stack, "env", None)
        account = env.account_id if env is not None else DataAwsCallerIdentity(self, "account").account_id
        self._arn = f"arn:aws:ssm:{region}:{account}:parameter{name}"
        # Earlier versions managed it as aws_ssm_parameter.<path>_parameter_<hash> (in refactor-data:
        # aws_ssm_parameter.github-token_parameter_8371DD6B). A `removed` block would forget it without
        # deleting it, but checkov cannot parse `removed` in Terraform JSON, so docs/security.md gives
        # the one-time `terraform state rm` for environments deployed before this change.

    @property
    def name(self) -> str:
        return self.parameter_name

    @property
    def arn(self) -> str:
        return self._arn

    def set_command(self, region: str) -> str:
        """The command an operator runs to create or replace the value (read from a prompt, not argv)."""
        return (
            f"read -rs VALUE && aws ssm put-parameter --region {region} --name {self.parameter_name} "
            f'--type SecureString --key-id {self.kms_key_arn} --overwrite --value "$VALUE"'
        )
