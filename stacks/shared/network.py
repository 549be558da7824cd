"""<env>-<workload>-network-<region>: one workload's VPC in one region."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from environments.schema import Environment, Workload
from modules.network import Network
from stacks.base import EnvironmentStack


class NetworkStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment, workload: Workload, region: str) -> None:
        super().__init__(scope, env=env, component=f"{workload}-network", region=region)
        self.network = Network(
            self,
            "network",
            name=f"{env.name}-{workload}-{region}",
            region=region,
            account_id=env.account_id,
            config=env.networks[workload][region],
        )
        net = self.network
        TerraformOutput(self, "vpc_id", value=net.vpc.id)
        TerraformOutput(self, "vpc_cidr", value=net.vpc.cidr_block)
        TerraformOutput(self, "public_subnet_ids", value=[s.id for s in net.public_subnets])
        TerraformOutput(self, "private_subnet_ids", value=[s.id for s in net.private_subnets])
        TerraformOutput(self, "isolated_subnet_ids", value=[s.id for s in net.isolated_subnets])
