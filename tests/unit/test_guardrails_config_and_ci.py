"""The baseline/ci config rules, the CI matrix and config outputs, and the plan summary."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from environments.schema import Environment
from scripts import ci, plan_summary
from tests.helpers import env_data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"monthly_budget_usd": None}, "baseline.monthly_budget_usd is required on a real account"),
        ({"alert_emails": []}, "baseline.alert_emails needs at least one address on a real account"),
        ({"cost_anomaly_detection": False}, "baseline.cost_anomaly_detection may be off only on the emulator"),
        ({"session_log_retention_days": 10}, "10 is not a CloudWatch Logs retention"),
    ],
)
def test_real_accounts_keep_their_cost_controls(change, message):
    config = env_data("dev")
    config["baseline"].update(change)
    with pytest.raises(ValidationError, match=message):
        Environment.model_validate(config)


def test_the_emulator_may_leave_cost_controls_off():
    env = Environment.model_validate(env_data("local"))
    assert env.baseline.monthly_budget_usd is None and not env.baseline.cost_anomaly_detection


@pytest.mark.parametrize("repository", ["no-slash", "owner/name with space", "/name"])
def test_ci_repository_must_be_owner_slash_name(repository):
    config = env_data("dev")
    config["ci"]["github_repository"] = repository
    with pytest.raises(ValidationError, match=r"ci\.github_repository"):
        Environment.model_validate(config)


def test_workload_regions_are_the_union_with_primary_first():
    config = env_data("dev")
    config["networks"]["tablesleuth"] = {
        "us-west-2": {"cidr": "10.10.0.0/16", "az_count": 2, "nat_gateways": "single", "interface_endpoints": True}
    }
    assert Environment.model_validate(config).workload_regions == ["us-east-2", "us-west-2"]


def test_ci_config_names_the_oidc_roles():
    values = ci.config("prod")
    assert values["deploy_role_arn"] == "arn:aws:iam::333333333333:role/prod-github-deploy"
    assert values["plan_role_arn"] == "arn:aws:iam::333333333333:role/prod-github-plan"
    assert values["region"] == "us-east-2"


def test_ci_matrix_plans_every_non_production_stack_in_deploy_order(synth_dir, monkeypatch):
    from scripts import manifest

    monkeypatch.setattr(manifest, "OUTDIR", synth_dir)
    monkeypatch.setattr(manifest.load, "__defaults__", (synth_dir,))
    include = ci.matrix()["include"]
    # No pull request plans prod: its plan role trusts only main (docs/security.md).
    assert {row["env"] for row in include} == {"dev", "staging"}
    dev = [row["stack"] for row in include if row["env"] == "dev"]
    assert dev[0] == "dev-bootstrap"
    assert dev.index("dev-baseline-us-east-2") < dev.index("dev-refactor-app")
    assert dev.index("dev-refactor-network-us-east-2") < dev.index("dev-refactor-data") < dev.index("dev-refactor-app")


def test_plan_summary_counts_changes_and_calls_out_destruction(tmp_path):
    plan = {
        "resource_changes": [
            {"address": "aws_s3_bucket.a", "change": {"actions": ["create"]}},
            {"address": "aws_iam_role.r", "change": {"actions": ["update"]}},
            {"address": "aws_rds_cluster.db", "change": {"actions": ["delete", "create"]}},
            {"address": "aws_sqs_queue.q", "change": {"actions": ["delete"]}},
            {"address": "aws_vpc.v", "change": {"actions": ["no-op"]}},
        ]
    }
    path = tmp_path / "dev-data.json"
    path.write_text(json.dumps(plan))
    text = plan_summary.render([path])
    assert text.startswith(plan_summary.MARKER)
    assert "| dev-data | 1 | 1 | 1 | 1 | n/a |" in text
    assert "- `dev-data`: delete `aws_sqs_queue.q`" in text
    assert "- `dev-data`: replace `aws_rds_cluster.db`" in text
    path.write_text(json.dumps({"resource_changes": plan["resource_changes"][:2]}))
    assert "No resource is destroyed or replaced." in plan_summary.render([path])
