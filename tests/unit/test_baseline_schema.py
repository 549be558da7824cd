"""Schema rules for the account, baseline and production tier (issue 10, items B17, C18, C20, A3, C24)."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
import pytest

from environments.loader import ENVIRONMENTS_DIR
from environments.schema import AWS_REGIONS, Environment
from tests.helpers import env_data, validation_errors


def test_one_availability_zone_is_refused_everywhere():
    dev = env_data("dev")
    dev["networks"]["tablesleuth"]["us-east-2"]["az_count"] = 1
    message = validation_errors(dev)
    assert "networks.tablesleuth.us-east-2.az_count" in message
    assert "need subnets in at least 2 availability zones; set az_count: 2" in message


def test_production_rules_follow_the_tier_not_the_name():
    prod = env_data("prod")
    prod["name"] = "production"
    prod["database"]["deletion_protection"] = False
    assert "prod requires database.deletion_protection" in validation_errors(prod)

    dev = env_data("dev")
    assert Environment.model_validate(dev).is_production is False
    dev["tier"] = "production"
    assert "prod requires a NAT gateway per AZ" in validation_errors(dev)


def test_a_prod_named_environment_must_say_tier_production():
    prod = env_data("prod")
    prod["tier"] = "development"
    assert "an environment named prod must set tier: production" in validation_errors(prod)


def test_tier_is_required_and_closed():
    dev = env_data("dev")
    del dev["tier"]
    assert "tier\n  Field required" in validation_errors(dev)
    dev["tier"] = "prod"
    assert "'production', 'staging' or 'development'" in validation_errors(dev)


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_waf_allow_list_cannot_allow_everyone(cidr):
    dev = env_data("dev")
    dev["api"]["waf"]["allow_cidrs"] = [cidr]
    message = validation_errors(dev)
    assert "api.waf.allow_cidrs" in message
    if cidr == "0.0.0.0/0":
        assert "allows every address before any other WAF rule runs" in message
    else:
        assert "valid IPv4 network" in message


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["alerts"].update(emails=[]), "tier production requires alerts.emails"),
        (lambda d: d["compute"].update(min_tasks=0), "tier production requires compute.min_tasks >= 1"),
        (
            lambda d: d["tablesleuth"].update(min_size=0, desired_capacity=0),
            "tier production requires tablesleuth.min_size >= 1",
        ),
    ],
)
def test_production_needs_recipients_tasks_and_hosts(mutate, message):
    prod = env_data("prod")
    mutate(prod)
    assert message in validation_errors(prod)


def test_unknown_primary_region_is_reported_as_a_region():
    dev = env_data("dev")
    dev["primary_region"] = "us-east-7"
    message = validation_errors(dev)
    assert "primary_region\n  Value error, unknown AWS region 'us-east-7'" in message
    assert "must include the primary region" not in message


def test_region_list_matches_botocore():
    data = json.loads((Path(botocore.__file__).parent / "data" / "endpoints.json").read_text())
    (aws,) = [p for p in data["partitions"] if p["partition"] == "aws"]
    assert sorted(AWS_REGIONS) == sorted(aws["regions"])


MONITOR = "arn:aws:ce::111111111111:anomalymonitor/0b7e8b35-aaaa-bbbb-cccc-1234567890ab"


def test_cost_anomaly_subscription_is_required_but_the_monitor_may_exist():
    dev = env_data("dev")
    dev["baseline"]["cost_anomaly_detection"] = False
    assert "needs a cost anomaly subscription" in validation_errors(dev)

    dev = env_data("dev")
    dev["baseline"]["anomaly_monitor_arn"] = MONITOR
    assert Environment.model_validate(dev).baseline.anomaly_monitor_arn.endswith("1234567890ab")
    dev["baseline"]["anomaly_monitor_arn"] = "arn:aws:sns:us-east-2:111111111111:topic"
    assert "is not a Cost Anomaly Detection monitor ARN" in validation_errors(dev)


def test_adopted_session_preferences_must_name_a_workload_region():
    dev = env_data("dev")
    dev["baseline"]["adopt_session_preferences"] = ["eu-west-1"]
    assert "baseline.adopt_session_preferences lists ['eu-west-1'], where no baseline runs" in validation_errors(dev)


def test_only_known_service_linked_roles_can_be_adopted():
    dev = env_data("dev")
    dev["baseline"]["adopt_service_linked_roles"] = ["ecs.amazonaws.com"]
    assert "baseline.adopt_service_linked_roles.0" in validation_errors(dev)


def test_processor_reservation_can_be_switched_off():
    dev = env_data("dev")
    dev["compute"]["processor_reserved_concurrency"] = None
    assert Environment.model_validate(dev).compute.processor_reserved_concurrency is None
    dev["compute"]["processor_reserved_concurrency"] = 0
    assert "compute.processor_reserved_concurrency" in validation_errors(dev)


def test_checkov_production_rules_read_the_tier(tmp_path, monkeypatch):
    """CKV_GUARD_4's prod MFA rule asks the environment file's tier, not the environment's name."""
    monkeypatch.syspath_prepend(str(ENVIRONMENTS_DIR.parent / "policies" / "checkov"))
    import guardrail_support

    assert guardrail_support.is_production("prod") is True
    assert guardrail_support.is_production("dev") is False
    (tmp_path / "production.yaml").write_text("name: production\ntier: production\n")
    (tmp_path / "qa.yaml").write_text("name: qa\ntier: development\n")
    monkeypatch.setattr(guardrail_support, "ENVIRONMENTS", tmp_path)
    assert guardrail_support.is_production("production") is True
    assert guardrail_support.is_production("qa") is False
