"""<env>-bootstrap: the state bucket, its access-log bucket and the lock table.

It is the one stack that cannot start on its own backend: `scripts/ops.py` (bootstrap) applies it on
local state first, then migrates that state into the bucket it just created.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from environments.schema import Environment
from modules.github_deploy_access import CI_ROLE_MANAGED_POLICIES, GithubDeployAccess
from modules.state_backend import StateBackend
from stacks.base import EnvironmentStack


class BootstrapStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment) -> None:
        super().__init__(scope, env=env, component="bootstrap", region=env.state.region, regional_name=False)
        self.state_backend = StateBackend(
            self,
            "state",
            env=env,
            # The exception to env.disposable: state records every stack of the environment, so a
            # real account keeps it even in dev (`make destroy` keeps this stack there too); only
            # the emulator's state goes.
            protect=not env.local_aws,
            enforce_state_key=env.tls_only_bucket_policies,
        )
        # GitHub Actions reaches this account only through OIDC roles (no keys): see modules/github_deploy_access.py.
        self.ci_access = GithubDeployAccess(
            self,
            "ci",
            ci=env.ci,
            environment=env.name,
            account_id=env.account_id,
            production=env.is_production,
            state_bucket_arn=self.state_backend.bucket.arn,
            lock_table_arn=self.state_backend.lock_table.arn,
            state_key_arn=self.state_backend.key.arn,
        )
        TerraformOutput(self, "deploy_role_arn", value=self.ci_access.deploy_role.arn)
        TerraformOutput(self, "plan_role_arn", value=self.ci_access.plan_role.arn)
        TerraformOutput(self, "state_bucket", value=self.state_backend.bucket.name)
        TerraformOutput(self, "lock_table", value=self.state_backend.lock_table.name)
        TerraformOutput(self, "state_key_arn", value=self.state_backend.key.arn)
        TerraformOutput(self, "permissions_boundary_arn", value=self.ci_access.boundary.arn)

    def extra_attachable_policies(self) -> tuple[str, ...]:
        # PowerUserAccess and ReadOnlyAccess, on the CI roles only: an administrator applies this
        # stack, and the deploy role may attach neither.
        return CI_ROLE_MANAGED_POLICIES
