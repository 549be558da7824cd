"""Build the cdktf App: every stack of every selected environment."""

from __future__ import annotations

from cdktf import App

from environments.schema import Environment
from stacks.bootstrap import BootstrapStack
from stacks.network import NetworkStack
from stacks.refactor_app import RefactorAppStack
from stacks.refactor_data import RefactorDataStack
from stacks.refactor_edge import RefactorEdgeStack


def add_environment(app: App, env: Environment) -> None:
    BootstrapStack(app, env=env)
    refactor_networks = {
        region: NetworkStack(app, env=env, workload="refactor", region=region) for region in env.networks["refactor"]
    }
    primary_network = refactor_networks[env.primary_region]
    data = RefactorDataStack(app, env=env, network=primary_network)
    RefactorAppStack(app, env=env, network=primary_network, data=data.exports)
    RefactorEdgeStack(app, env=env)


def build_app(environments: list[Environment], *, outdir: str = "cdktf.out") -> App:
    app = App(outdir=outdir, skip_validation=False)
    for env in environments:
        add_environment(app, env)
    return app
