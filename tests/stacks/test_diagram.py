"""The architecture picture (`make diagram`), generated from the synthesized stacks.

The graph itself is asserted (the request paths exist in every environment, a region removed from
config leaves the picture), and it is rendered for real with Graphviz `dot`, which `make diagram`
and `make test` install (Debian package graphviz).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from scripts import diagram
from scripts.synthesized import load_environment

ENVS = ("local", "dev", "staging", "prod")


@pytest.fixture(scope="module")
def graphs(synth_dir, no_plans):
    return {env: diagram.graph_for(env, synth_dir, no_plans) for env in ENVS}


def paths(graph: diagram.Graph, *kinds: str) -> list[list[str]]:
    """Every chain of nodes of these kinds, in order, joined by edges."""
    edges = graph.edge_pairs()
    chains = [[n.id] for n in graph.nodes.values() if n.kind == kinds[0]]
    for kind in kinds[1:]:
        chains = [[*c, b] for c in chains for (a, b) in edges if a == c[-1] and graph.nodes[b].kind == kind]
    return chains


def test_api_request_path_exists_in_every_environment(graphs, environments):
    for env, graph in graphs.items():
        chain = paths(graph, "client", "waf", "api", "vpc_link", "nlb", "alb", "ecs")
        assert len(chain) == 1, f"{env}: client -> WAF -> API -> VPC link -> NLB -> ALB -> ECS missing"
        ecs = chain[0][-1]
        reaches = {graph.nodes[b].kind for a, b in graph.edge_pairs() if a == ecs}
        expected = {"aurora", "s3"} | (
            set()
            if environments[env].emulator_workarounds and environments[env].emulator_workarounds.skip_redis
            else {"redis"}
        )
        assert expected <= reaches, f"{env}: ECS reaches {reaches}"
        assert paths(graph, "s3", "lambda"), f"{env}: upload -> document Lambda missing"


def test_static_site_path_where_a_distribution_exists(graphs, environments):
    for env, graph in graphs.items():
        chain = paths(graph, "client", "waf", "cloudfront", "s3")
        assert bool(chain) == environments[env].edge.distribution, env


def test_every_tablesleuth_region_has_hosts_behind_an_alb_and_gizmosql(graphs, environments):
    for env, graph in graphs.items():
        regions = set(environments[env].networks.get("tablesleuth", {}))
        chains = paths(graph, "alb", "hosts", "gizmosql")
        assert {graph.nodes[c[0]].region for c in chains} == regions, env
        for c in chains:
            assert graph.nodes[c[1]].vpc and graph.nodes[c[1]].vpc == graph.nodes[c[2]].vpc


def test_prod_backups_and_replication_reach_the_dr_region(graphs, environments):
    graph, dr = graphs["prod"], environments["prod"].dr_region
    copies = paths(graph, "aurora", "backup", "backup")
    assert copies and graph.nodes[copies[0][-1]].region == dr
    replicas = [c for c in paths(graph, "s3", "s3") if graph.nodes[c[1]].region == dr]
    assert replicas, "documents -> replica in the DR region missing"


def test_vpcs_carry_their_subnet_tiers_and_plumbing_stays_out(graphs):
    graph = graphs["prod"]
    refactor = next(v for v in graph.vpcs.values() if v.label.startswith("refactor VPC"))
    assert "public ×3 · private ×3 · isolated ×3" in refactor.label and "NAT ×3" in refactor.label
    kinds = {n.kind for n in graph.nodes.values()}
    assert not kinds & {"aws_iam_role", "aws_kms_key", "aws_lb_listener", "aws_security_group"}
    assert len(graph.nodes) < 40, "the picture should stay readable: collapse, don't list"
    # log buckets and rotation functions reach nothing on a request path: not drawn
    assert not [n for n in graph.nodes.values() if n.kind == "s3" and "log" in n.label]


def test_a_region_removed_from_config_leaves_the_picture(tmp_path, graphs):
    from environments.loader import load_environment as load_env_file
    from stacks.app import build_app

    raw = yaml.safe_load((Path(diagram.REPO_ROOT) / "environments" / "prod.yaml").read_text())
    del raw["networks"]["tablesleuth"]["eu-west-1"]
    env_file = tmp_path / "prod.yaml"
    env_file.write_text(yaml.safe_dump(raw))
    outdir = tmp_path / "cdktf.out"
    build_app([load_env_file(env_file)], outdir=str(outdir)).synth()
    smaller = diagram.graph_for("prod", outdir, tmp_path / "no-plans")
    assert "eu-west-1" in {n.region for n in graphs["prod"].nodes.values()}
    assert "eu-west-1" not in {n.region for n in smaller.nodes.values()}
    assert len(paths(smaller, "alb", "hosts", "gizmosql")) == 2
    assert "r_eu_west_1" not in diagram.to_mermaid(smaller)


def test_mermaid_has_every_node_and_edge(graphs):
    for env, graph in graphs.items():
        text = diagram.to_mermaid(graph)
        assert text.startswith("flowchart LR\n"), env
        for n in graph.nodes.values():
            assert f"  {n.id}" in text, (env, n.id)
        for a, b, _ in graph.edges:
            assert any(line.strip().startswith(a) and line.strip().endswith(b) for line in text.splitlines())


def test_renders_svg_and_png_with_graphviz(graphs, tmp_path):
    files = diagram.render(graphs["prod"], tmp_path)
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = files["svg"].read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for label in ("API Gateway (REST)", "VPC link", "ECS Fargate service", "GizmoSQL"):
        assert label in svg


def test_readme_shows_prods_current_picture(graphs):
    """README's block is generated: `make diagram ENV=prod README=1` rewrites it."""
    text = diagram.README.read_text()
    block = text.split(diagram.README_BEGIN, 1)[1].split(diagram.README_END, 1)[0]
    assert block.strip() == f"```mermaid\n{diagram.to_mermaid(graphs['prod'])}```", (
        "README's architecture picture is stale: run `make diagram ENV=prod README=1` and commit README.md and docs/"
    )
    assert "docs/architecture-prod.svg" in text


def test_pr_picture_shows_what_a_change_touches(synth_dir, no_plans, graphs, tmp_path):
    stacks = load_environment("dev", synth_dir, no_plans)
    graph = graphs["dev"]
    listener = next(
        r for s in stacks for r in s.resources if r.type == "aws_lb_listener" and r.stack == "dev-refactor-app"
    )
    plan = {
        "resource_changes": [
            {
                "address": listener.address,
                "type": listener.type,
                "name": listener.name,
                "change": {"actions": ["update"]},
            }
        ]
    }
    plan_dir = tmp_path / "plans"
    plan_dir.mkdir()
    (plan_dir / "dev-refactor-app.json").write_text(json.dumps(plan))
    changed = diagram.changed_keys("dev", stacks, plan_dir, None)
    sub, hit = diagram.changed_subgraph(graph, stacks, changed)
    assert {graph.nodes[h].kind for h in hit} <= {"alb", "nlb", "ecs"} and hit
    assert "hosts" not in {n.kind for n in sub.nodes.values()}  # TableSleuth is untouched
    assert "class " in diagram.to_mermaid(sub, highlight=hit) and "changed" in diagram.to_mermaid(sub, highlight=hit)
    nothing, none_hit = diagram.changed_subgraph(graph, stacks, set())
    assert not none_hit and not nothing.nodes
