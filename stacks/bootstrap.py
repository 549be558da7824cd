"""<env>-bootstrap: the state bucket, its access-log bucket and the lock table.

It is the one stack that cannot start on its own backend: `scripts/bootstrap.py` applies it on
local state first, then migrates that state into the bucket it just created.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from environments.schema import Environment
from modules.state_backend import StateBackend
from stacks.base import EnvironmentStack


class BootstrapStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment) -> None:
        super().__init__(scope, env=env, component="bootstrap", region=env.state.region, regional_name=False)
        self.state_backend = StateBackend(
            self,
            "state",
            env=env,
            # Real environments keep their state whatever happens; only the emulator is disposable.
            protect=not env.local_aws,
        )
        TerraformOutput(self, "state_bucket", value=self.state_backend.bucket.name)
        TerraformOutput(self, "lock_table", value=self.state_backend.lock_table.name)
        TerraformOutput(self, "state_key_arn", value=self.state_backend.key.arn)
