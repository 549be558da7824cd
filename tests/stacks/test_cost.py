"""The monthly cost estimate (`make cost`), priced offline from the synthesized stacks.

Every environment is priced from the session's synthesized JSON. The figures asserted here are
the price table's own rows times quantities read from the stacks, so a change to a stack, a price
row or the usage file that breaks the arithmetic fails here, not on the bill.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date

import pytest
import yaml

from scripts import cost
from scripts.synthesized import Resource, Stack, load_environment

ENVS = ("local", "dev", "staging", "prod")


@pytest.fixture(scope="module")
def reports(synth_dir, no_plans):
    return {env: cost.estimate(env, synth_dir, no_plans) for env in ENVS}


@pytest.fixture(scope="module")
def prices():
    return cost.Prices()


def _lines(report, rtype, stack_part=""):
    return [r for r in report["resources"] if r["type"] == rtype and stack_part in r["stack"]]


def test_every_resource_type_is_priced_free_or_listed_as_not_priced(synth_dir, no_plans):
    """A new resource type in no list fails here, so nothing is silently priced at $0."""
    known = set(cost.FREE) | set(cost.NOT_PRICED)
    assert not set(cost.FREE) & set(cost.NOT_PRICED)
    for env in ENVS:
        for stack in load_environment(env, synth_dir, no_plans):
            for r in stack.resources:
                # price_environment raises for anything outside FREE/NOT_PRICED without a branch
                known.add(r.type)
    prices, usage = cost.Prices(), cost.Usage("dev")
    stray = Stack("dev-x", [Resource("dev-x", "aws_neptune_cluster", "db", "us-east-2", {})], False)
    with pytest.raises(KeyError, match="aws_neptune_cluster"):
        cost.price_environment("dev", [stray], prices, usage)


def test_not_priced_types_are_listed_never_zero(reports):
    for env, report in reports.items():
        listed = {n["type"] for n in report["not_priced"]}
        assert "aws_ecs_cluster" in listed, env  # Container Insights: charged, not modelled
        priced = {r["type"] for r in report["resources"]}
        assert not listed & priced
        assert all(n["why"] for n in report["not_priced"])
        assert all(r["parts"] and r["monthly"] >= 0 for r in report["resources"])


def test_price_table_is_dated_sourced_and_covers_every_region_in_use(synth_dir, no_plans, prices):
    raw = yaml.safe_load(cost.PRICES_FILE.read_text())
    assert date.fromisoformat(raw["reviewed"]) <= date.today()
    for key, row in raw["rows"].items():
        assert re.match(r"^https://aws\.amazon\.com/[a-z0-9/.-]+/$", row["source"]), key
        assert row["unit"], key
    used = {r.region for env in ENVS for s in load_environment(env, synth_dir, no_plans) for r in s.resources}
    assert used <= set(prices.regions), f"regions without prices: {used - set(prices.regions)}"
    for key, row in raw["rows"].items():
        if "global" not in row:
            missing = [r for r in prices.regions if r not in row]
            assert not missing, f"{key} has no price for {missing}"


def test_usage_files_state_their_assumptions():
    for env in ENVS:
        text = (cost.USAGE_DIR / f"{env}.yaml").read_text()
        assert text.startswith("# Usage of the"), env
        assert "Assumptions" in text or "assumptions" in text, env


def test_nat_gateways_per_az_in_prod_single_in_dev(reports, prices):
    dev_nats = _lines(reports["dev"], "aws_nat_gateway", "refactor-network")
    prod_nats = _lines(reports["prod"], "aws_nat_gateway", "refactor-network")
    assert len(dev_nats) == 1 and len(prod_nats) == 3
    hours = prices("vpc.nat_gateway_hour", "us-east-2") * 730
    gb = cost.Usage("dev").get("nat_gateway", "gb_processed")
    assert dev_nats[0]["monthly"] == pytest.approx(hours + gb * prices("vpc.nat_gateway_gb", "us-east-2"), abs=0.01)
    eu = _lines(reports["prod"], "aws_nat_gateway", "eu-west-1")
    assert eu and eu[0]["region"] == "eu-west-1"
    assert eu[0]["monthly"] > prod_nats[0]["monthly"]  # Ireland's NAT costs more than Ohio's


def test_fargate_spot_share_follows_the_capacity_provider_strategy(reports, prices, environments):
    dev = _lines(reports["dev"], "aws_ecs_service")[0]
    # dev: min_tasks 1 and on_demand_base 1, so the one task is on-demand
    assert [p["what"] for p in dev["parts"]] == ["1 on-demand task(s) of 0.5 vCPU/1 GB"]
    prod = _lines(reports["prod"], "aws_ecs_service")[0]
    tasks = cost.Usage("prod").raw["fargate"]["average_tasks"]
    per_task = environments["prod"].compute.cpu / 1024 * prices("fargate.vcpu_hour", "us-east-2") + environments[
        "prod"
    ].compute.memory / 1024 * prices("fargate.gb_hour", "us-east-2")
    assert prod["monthly"] == pytest.approx(tasks * per_task * 730, abs=0.01)


def test_fargate_spot_tasks_are_priced_at_spot_rates(synth_dir, no_plans, prices):
    stacks = load_environment("staging", synth_dir, no_plans)
    usage = cost.Usage("staging")
    usage.raw = {**usage.raw, "fargate": {"average_tasks": 5}}
    lines, _ = cost.price_environment("staging", stacks, prices, usage)
    ecs = next(ln for ln in lines if ln.type == "aws_ecs_service")
    # base 1 on-demand, the other 4 split 1:3 -> 2 on-demand, 3 spot
    assert [w for w, _ in ecs.parts] == ["2 on-demand task(s) of 1 vCPU/2 GB", "3 spot task(s)"]
    assert ecs.parts[1][1] < ecs.parts[0][1]


def test_scheduled_hosts_pay_only_their_hours(synth_dir, no_plans, reports):
    stacks = load_environment("dev", synth_dir, no_plans)
    group = next(r for s in stacks for r in s.resources if r.type == "aws_autoscaling_group")
    schedules = [r for s in stacks for r in s.resources if r.type == "aws_autoscaling_schedule"]
    average, _ = cost.running_fraction(group, schedules)
    assert average == pytest.approx(50 / 168)  # 08:00-18:00, Monday to Friday
    assert cost.running_fraction(group, [])[0] == 1
    dev_host = _lines(reports["dev"], "aws_autoscaling_group")[0]
    prod_host = _lines(reports["prod"], "aws_autoscaling_group", "us-east-2")[0]
    assert "spot (scheduled)" in dev_host["parts"][0]["what"]
    assert "on-demand" in prod_host["parts"][0]["what"]
    assert dev_host["monthly"] < prod_host["monthly"] / 10


def test_aurora_readers_and_prod_cache_nodes_are_counted(reports, environments):
    for env in ("dev", "staging", "prod"):
        instances = _lines(reports[env], "aws_rds_cluster_instance")
        assert len(instances) == 1 + environments[env].database.reader_count, env
    redis = _lines(reports["prod"], "aws_elasticache_replication_group")[0]
    assert redis["parts"][0]["what"] == "2 x cache.r7g.large"


def test_plan_json_replaces_synthesized_values(synth_dir, tmp_path, reports, prices):
    def address(rtype):
        return next(r["address"] for r in reports["dev"]["resources"] if r["type"] == rtype)

    # plan JSON writes nested blocks as one-element lists, cdk.tf.json as objects
    plan = {
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": address("aws_elasticache_replication_group"),
                        "mode": "managed",
                        "values": {"num_cache_clusters": 3},
                    },
                    {
                        "address": address("aws_rds_cluster"),
                        "mode": "managed",
                        "values": {"serverlessv2_scaling_configuration": [{"min_capacity": 2, "max_capacity": 4}]},
                    },
                ]
            }
        }
    }
    (tmp_path / "dev-refactor-data.json").write_text(json.dumps(plan))
    planned = cost.estimate("dev", synth_dir, tmp_path)
    assert planned["planned_stacks"] == ["dev-refactor-data"]
    before = _lines(reports["dev"], "aws_elasticache_replication_group")[0]["monthly"]
    after = _lines(planned, "aws_elasticache_replication_group")[0]["monthly"]
    assert after == pytest.approx(3 * before, abs=0.01)
    writer = _lines(planned, "aws_rds_cluster_instance")[0]
    above = cost.Usage("dev").get("aurora", "average_acu_above_min")
    assert writer["monthly"] == pytest.approx((2 + above) * prices("aurora.acu_hour", "us-east-2") * 730, abs=0.01)


def test_diff_names_what_changed_and_by_how_much(synth_dir, tmp_path, no_plans, reports):
    """What `make cost BASE=ref` prints: here the head drops dev's refactor NAT gateway."""
    head_dir = tmp_path / "cdktf.out"
    shutil.copytree(synth_dir, head_dir)
    stack_file = head_dir / "stacks" / "dev-refactor-network-us-east-2" / "cdk.tf.json"
    config = json.loads(stack_file.read_text())
    removed = next(iter(config["resource"]["aws_nat_gateway"]))
    del config["resource"]["aws_nat_gateway"][removed]
    stack_file.write_text(json.dumps(config))
    head = cost.estimate("dev", head_dir, no_plans)
    d = cost.diff(reports["dev"], head)
    nat = next(c for c in d["changes"] if c["address"] == f"aws_nat_gateway.{removed}")
    assert nat["head"] is None and nat["delta"] == pytest.approx(-nat["base"])
    assert d["delta"] == pytest.approx(head["total_monthly"] - reports["dev"]["total_monthly"], abs=0.01)
    assert d["changes"][0] is nat  # the largest change first
    text = cost.render_diff(d)
    assert f"aws_nat_gateway.{removed}" in text and "removed" in text


def test_budgets_sit_above_the_estimate(reports):
    """Issue 10 C27: a budget whose first ACTUAL alert is below the baseline estimate fires every
    month and is ignored; one far above the estimate never warns at all."""
    for env in ("dev", "staging", "prod"):
        report = reports[env]
        assert report["budgets"], f"{env} has no budget"
        for b in report["budgets"]:
            needed = report["total_monthly"] * 100 / b["lowest_actual_alert_percent"]
            assert b["alert_at"] >= report["total_monthly"], (
                f"{env}: the {b['lowest_actual_alert_percent']:g}% alert of the ${b['limit']:,.0f} budget fires at "
                f"${b['alert_at']:,.2f}, below the ${report['total_monthly']:,.2f} estimate (`make cost ENV={env}`): "
                f"raise baseline.monthly_budget_usd in environments/{env}.yaml to at least ${needed:,.0f}"
            )
            assert b["limit"] <= 2 * report["total_monthly"], f"{env}: budget more than twice the estimate"


def test_command_line_table_json_and_pr_section(synth_dir, monkeypatch, capsys, reports):
    monkeypatch.setenv("CDKTF_OUTDIR", str(synth_dir))
    assert cost.main(["dev", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_monthly"] == pytest.approx(sum(data["stacks"].values()), abs=0.05)
    assert cost.main(["prod"]) == 0
    text = capsys.readouterr().out
    assert "TOTAL prod" in text and "not priced" in text and "prod-refactor-data" in text
    section = cost.render_pr([reports["dev"], reports["prod"]], {"dev": cost.diff(reports["dev"], reports["dev"])})
    assert section.startswith(cost.MARKER)
    assert "| dev |" in section and "| prod |" in section and "+0.00" in section


def test_base_ref_errors_name_the_fix_and_synths_are_reused(tmp_path, monkeypatch):
    with pytest.raises(SystemExit, match="git ref 'no-such-ref' not found"):
        cost.base_outdir("dev", "no-such-ref")
    # a commit already synthesized for this environment is not synthesized again
    monkeypatch.setattr(cost, "BUILD_DIR", tmp_path)
    head = cost.subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=cost.REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    cached = tmp_path / "base" / head / "dev" / "cdktf.out"
    cached.mkdir(parents=True)
    (cached / "manifest.json").write_text("{}")
    monkeypatch.setattr(cost.subprocess, "run", _refuse_after_rev_parse(cost.subprocess.run))
    assert cost.base_outdir("dev", "HEAD") == cached


def _refuse_after_rev_parse(real_run):
    def run(args, *a, **kw):
        if args[:2] == ["git", "rev-parse"]:
            return real_run(args, *a, **kw)
        raise AssertionError(f"unexpected command {args}")

    return run
