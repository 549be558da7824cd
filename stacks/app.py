"""Build the cdktf App: every stack of every selected environment."""

from __future__ import annotations

from cdktf import App

from environments.schema import Environment
from stacks.base import EnvironmentStack
from stacks.refactor.app import RefactorAppStack
from stacks.refactor.data import RefactorDataStack
from stacks.refactor.edge import RefactorEdgeStack
from stacks.shared.baseline import BaselineStack
from stacks.shared.bootstrap import BootstrapStack
from stacks.shared.network import NetworkStack
from stacks.tablesleuth.stack import TableSleuthStack


def add_environment(app: App, env: Environment) -> None:
    BootstrapStack(app, env=env)
    baselines = {region: BaselineStack(app, env=env, region=region) for region in env.workload_regions}
    for region, baseline in baselines.items():
        # The primary baseline makes the account-wide pieces (IAM service-linked roles) that stacks
        # in every region rely on, so the other regions' baselines, and all that follows them, come after.
        if region != env.primary_region:
            baseline.add_dependency(baselines[env.primary_region])
    refactor_networks = {
        region: NetworkStack(app, env=env, workload="refactor", region=region) for region in env.networks["refactor"]
    }
    primary_network = refactor_networks[env.primary_region]
    data = RefactorDataStack(app, env=env, network=primary_network)
    RefactorAppStack(app, env=env, network=primary_network, data=data.exports)
    RefactorEdgeStack(app, env=env)
    for region in env.networks.get("tablesleuth", {}) if env.tablesleuth else ():
        tablesleuth_network = NetworkStack(app, env=env, workload="tablesleuth", region=region)
        TableSleuthStack(app, env=env, region=region, network=tablesleuth_network.network, baseline=baselines[region])
    deploy_after_baseline(app, env, baselines)


def deploy_after_baseline(app: App, env: Environment, baselines: dict[str, BaselineStack]) -> None:
    """Every workload stack deploys after its region's baseline (Config recorder, EBS default
    encryption, Session Manager logging): the manifest orders deploys by these dependencies."""
    for stack in app.node.children:
        if (
            isinstance(stack, EnvironmentStack)
            and stack.env.name == env.name
            and stack.component not in ("bootstrap", "baseline")
            and stack.region in baselines
        ):
            stack.add_dependency(baselines[stack.region])


def build_app(environments: list[Environment], *, outdir: str = "cdktf.out") -> App:
    app = App(outdir=outdir, skip_validation=False)
    for env in environments:
        add_environment(app, env)
    return app
