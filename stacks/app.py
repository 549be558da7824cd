"""Build the cdktf App: every stack of every selected environment."""

from __future__ import annotations

from cdktf import App

from environments.schema import Environment
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
    refactor_app = RefactorAppStack(app, env=env, network=primary_network, data=data.exports)
    # API Gateway writes stage logs only once the account's CloudWatch Logs role is set, and the
    # primary baseline sets it (an account-and-region setting, aws_api_gateway_account).
    refactor_app.add_dependency(baselines[env.primary_region])
    RefactorEdgeStack(app, env=env)
    for region in env.networks.get("tablesleuth", {}) if env.tablesleuth else ():
        tablesleuth_network = NetworkStack(app, env=env, workload="tablesleuth", region=region)
        # Reads its region's baseline (Session Manager log group and key; the Auto Scaling
        # service-linked role its key policy names), so cdktf orders it after that baseline.
        TableSleuthStack(app, env=env, region=region, network=tablesleuth_network.network, baseline=baselines[region])
    # Networks, data and edge use nothing a baseline makes, so they do not wait for one: AWS Config
    # records resources that exist before its recorder starts, and EBS default encryption only
    # concerns instances' volumes (TableSleuth's). Waiting cost a local deploy a baseline's 80 s.


def build_app(environments: list[Environment], *, outdir: str = "cdktf.out") -> App:
    app = App(outdir=outdir, skip_validation=False)
    for env in environments:
        add_environment(app, env)
    return app
