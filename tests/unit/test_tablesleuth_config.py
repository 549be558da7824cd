"""TableSleuth's configuration and host scripts: what the schema refuses, how the schedule and
instance types are derived, and that the scripts render and parse."""

from __future__ import annotations

import copy
import subprocess

import pytest

from environments.schema import Environment, TableSleuthScheduleConfig
from modules.user_data import USERDATA_DIR, placeholders, render, render_scripts
from scripts.toolchain import project_tool
from tests.helpers import env_data, validation_errors

SCRIPTS = sorted((USERDATA_DIR / "tablesleuth").glob("*.sh"))


@pytest.fixture
def dev() -> dict:
    return copy.deepcopy(env_data("dev"))


def test_spot_needs_at_least_two_instance_types(dev):
    dev["tablesleuth"]["spot_instance_types"] = [dev["tablesleuth"]["instance_type"]]
    assert "at least two distinct spot_instance_types" in validation_errors(dev)


def test_desired_must_sit_between_min_and_max(dev):
    dev["tablesleuth"].update(min_size=1, desired_capacity=3, max_size=2)
    assert "min_size <= desired_capacity <= max_size" in validation_errors(dev)


def test_time_zone_must_be_iana(dev):
    dev["tablesleuth"]["schedule"]["timezone"] = "Central Time"
    assert "not an IANA time zone" in validation_errors(dev)


def test_schedule_days_and_times_are_checked(dev):
    dev["tablesleuth"]["schedule"]["days"] = "WEEKDAYS"
    assert "days" in validation_errors(dev)
    dev = copy.deepcopy(env_data("dev"))
    dev["tablesleuth"]["schedule"]["stop_at"] = "25:00"
    assert "stop_at" in validation_errors(dev)


def test_a_public_alb_must_say_who_may_connect(dev):
    dev["tablesleuth"]["public_alb"] = True
    assert "alb_allowed_cidrs" in validation_errors(dev)


def test_the_host_needs_a_public_name_even_with_a_certificate(dev):
    """The web UI's page URLs come from tablesleuth-<region>.<dns_zone_name>; a certificate alone
    leaves the UI no name to send the browser to."""
    dev["tablesleuth"].pop("dns_zone_name")
    dev["tablesleuth"]["certificate_arn"] = "arn:aws:acm:us-east-2:111111111111:certificate/abc"
    assert "dns_zone_name is required" in validation_errors(dev)


def test_real_environments_must_sign_users_in(dev):
    del dev["tablesleuth"]["login"]
    assert "tablesleuth.login is required outside local_aws" in validation_errors(dev)


def test_login_needs_a_cognito_user_pool_arn(dev):
    dev["tablesleuth"]["login"]["user_pool_arn"] = "arn:aws:iam::111111111111:role/not-a-pool"
    assert "is not a Cognito user pool ARN" in validation_errors(dev)


def test_login_behind_an_internal_alb_needs_a_route_to_cognito(dev):
    dev["networks"]["tablesleuth"]["us-east-2"]["nat_gateways"] = "none"
    errors = validation_errors(dev)
    assert "networks.tablesleuth.us-east-2.nat_gateways: none leaves the internal load balancer no route" in errors


def test_flight_sql_cannot_be_opened_to_the_network(dev):
    """GizmoSQL speaks Flight SQL without TLS here, so it listens on 127.0.0.1 only; the old
    setting that opened its port to CIDRs is gone, and using it is an error, not a no-op."""
    dev["tablesleuth"]["flight_sql_allowed_cidrs"] = ["10.0.0.0/8"]
    assert "flight_sql_allowed_cidrs" in validation_errors(dev)


def test_only_the_emulator_may_create_its_own_zone(dev):
    dev["tablesleuth"]["create_dns_zone"] = True
    assert "create_dns_zone is only for local_aws" in validation_errors(dev)


def test_the_host_network_needs_interface_endpoints(dev):
    dev["networks"]["tablesleuth"]["us-east-2"]["interface_endpoints"] = False
    assert "interface_endpoints must be true" in validation_errors(dev)


def test_host_and_network_come_together(dev):
    no_network = copy.deepcopy(dev)
    del no_network["networks"]["tablesleuth"]
    assert "lists no region" in validation_errors(no_network)
    no_host = copy.deepcopy(dev)
    del no_host["tablesleuth"]
    assert "no tablesleuth section" in validation_errors(no_host)


def test_regions_may_not_share_a_range():
    prod = env_data("prod")
    prod["networks"]["tablesleuth"]["us-west-2"]["cidr"] = "10.10.0.0/16"
    message = validation_errors(prod)
    assert "networks.tablesleuth.us-east-2.cidr (10.10.0.0/16) overlaps networks.tablesleuth.us-west-2.cidr" in message


def test_prod_rules_cover_every_tablesleuth_region():
    prod = env_data("prod")
    prod["networks"]["tablesleuth"]["eu-west-1"]["nat_gateways"] = "single"
    assert "networks.tablesleuth.eu-west-1.nat_gateways: per_az" in validation_errors(prod)


def test_unknown_tablesleuth_key_is_refused(dev):
    dev["tablesleuth"]["spot_price"] = "0.05"
    assert "spot_price" in validation_errors(dev)


def test_schedule_renders_cron_in_local_time():
    schedule = TableSleuthScheduleConfig(enabled=True, timezone="Europe/Berlin", stop_at="18:30", start_at="07:05")
    assert schedule.stop_recurrence == "30 18 * * MON-FRI"
    assert schedule.start_recurrence == "5 7 * * MON-FRI"


def test_instance_types_put_the_template_type_first_without_repeats():
    env = Environment.model_validate(env_data("dev"))
    assert env.tablesleuth.instance_types[0] == env.tablesleuth.instance_type
    assert len(env.tablesleuth.instance_types) == len(set(env.tablesleuth.instance_types))


# --- host scripts ----------------------------------------------------------------------------------
VALUES = {
    "GIZMOSQL_VERSION": "v1.0.0",
    "TABLESLEUTH_VERSION": "0.6.1",
    "TEXTUAL_SERVE_VERSION": "1.1.3",
    "REGION": "us-east-2",
    "PUBLIC_HOSTNAME": "tablesleuth-us-east-2.dev.example.com",
    "SESSION_ARGS": "parquet s3://bucket/warehouse/",
    "SECRET_NAME": "dev-tablesleuth-us-east-2-gizmosql-password",
    "APP_PORT": 8080,
    "FLIGHT_SQL_PORT": 31337,
}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_script_parses_with_bash_n(script):
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_script_passes_shellcheck(script):
    result = subprocess.run(
        [project_tool("shellcheck"), "-S", "warning", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_rendered_user_data_parses_and_has_every_value(tmp_path):
    script = render_scripts(SCRIPTS, VALUES)
    assert "@@" not in script
    for value in VALUES.values():
        assert str(value) in script
    path = tmp_path / "user-data.sh"
    path.write_text(script)
    assert subprocess.run(["bash", "-n", str(path)], check=False).returncode == 0


def test_render_refuses_a_missing_value():
    with pytest.raises(ValueError, match="no value for placeholder"):
        render(USERDATA_DIR / "tablesleuth" / "configure.sh", {"REGION": "us-east-2"})


def test_render_refuses_a_value_nothing_uses():
    with pytest.raises(ValueError, match="match no placeholder"):
        render_scripts(SCRIPTS, {**VALUES, "SPOT_PRICE": "0.05"})


def test_render_refuses_multi_line_values():
    with pytest.raises(ValueError, match="spans lines"):
        render(USERDATA_DIR / "tablesleuth" / "install.sh", {**VALUES, "GIZMOSQL_VERSION": "v1\nrm -rf /"})


def test_scripts_name_only_known_placeholders():
    assert set().union(*(placeholders(p.read_text()) for p in SCRIPTS)) == set(VALUES)
