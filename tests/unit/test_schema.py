"""The environment schema: what it accepts, what it refuses, and how it says so."""

from __future__ import annotations

import copy
import ipaddress

import pytest
from pydantic import ValidationError

from environments.loader import ENVIRONMENTS_DIR, available_environments, load_environment
from environments.schema import Environment, NetworkConfig
from tests.helpers import env_data, validation_errors


@pytest.fixture
def dev_data() -> dict:
    return env_data("dev")


def test_every_shipped_environment_loads():
    assert available_environments() == ["dev", "local", "prod", "staging"]
    for name in available_environments():
        env = load_environment(ENVIRONMENTS_DIR / f"{name}.yaml")
        assert env.name == name
        assert set(env.default_tags()) == {"Environment", "Project", "Owner", "CostCenter", "ManagedBy"}


def test_only_local_targets_the_embedded_aws():
    flags = {n: load_environment(ENVIRONMENTS_DIR / f"{n}.yaml").local_aws for n in available_environments()}
    assert flags == {"dev": False, "local": True, "prod": False, "staging": False}


def test_unknown_key_is_refused(dev_data):
    dev_data["compute"]["cpus"] = 2
    assert "compute.cpus" in validation_errors(dev_data)


def test_bad_cidr_is_refused(dev_data):
    dev_data["networks"]["refactor"]["us-east-2"]["cidr"] = "10.20.0.0/33"
    assert "networks.refactor.us-east-2.cidr" in validation_errors(dev_data)


def test_public_or_oversized_cidr_is_refused(dev_data):
    net = dev_data["networks"]["refactor"]["us-east-2"]
    net["cidr"] = "8.8.0.0/16"
    assert "private" in validation_errors(dev_data)
    net["cidr"] = "10.0.0.0/8"
    assert "between /16 and /24" in validation_errors(dev_data)


def test_overlapping_cidrs_are_refused(dev_data):
    dev_data["networks"]["tablesleuth"] = {
        "us-east-2": {**dev_data["networks"]["refactor"]["us-east-2"], "cidr": "10.20.128.0/17"}
    }
    message = validation_errors(dev_data)
    assert "overlaps" in message and "networks.tablesleuth.us-east-2.cidr" in message


def test_min_above_max_is_refused(dev_data):
    dev_data["database"]["min_capacity"] = 8
    dev_data["database"]["max_capacity"] = 4
    assert "min_capacity (8.0) must be <= max_capacity (4.0)" in validation_errors(dev_data)
    dev_data["database"]["min_capacity"] = 1
    dev_data["compute"]["min_tasks"] = 5
    assert "min_tasks (5) must be <= max_tasks (4)" in validation_errors(dev_data)


def test_fargate_memory_must_fit_cpu(dev_data):
    dev_data["compute"]["memory"] = 512
    assert "not valid with cpu 512" in validation_errors(dev_data)


def test_az_count_is_bounded(dev_data):
    dev_data["networks"]["refactor"]["us-east-2"]["az_count"] = 5
    assert "az_count" in validation_errors(dev_data)


def test_prod_requires_protection_multi_az_and_nat_per_az():
    prod = env_data("prod")
    Environment.model_validate(prod)  # the shipped file passes

    no_protection = copy.deepcopy(prod)
    no_protection["database"]["deletion_protection"] = False
    assert "prod requires database.deletion_protection" in validation_errors(no_protection)

    single_nat = copy.deepcopy(prod)
    single_nat["networks"]["refactor"]["us-east-2"]["nat_gateways"] = "single"
    assert "nat_gateways: per_az" in validation_errors(single_nat)

    one_az = copy.deepcopy(prod)
    one_az["networks"]["refactor"]["us-east-2"]["az_count"] = 1
    assert "at least 2 availability zones" in validation_errors(one_az)


def test_dev_may_run_without_deletion_protection(dev_data):
    dev_data["database"]["deletion_protection"] = False
    assert Environment.model_validate(dev_data).database.deletion_protection is False


def test_primary_region_needs_a_refactor_network(dev_data):
    dev_data["primary_region"] = "eu-west-1"
    assert "must include the primary region eu-west-1" in validation_errors(dev_data)


def test_dr_region_must_differ(dev_data):
    dev_data["dr_region"] = dev_data["primary_region"]
    assert "dr_region must differ" in validation_errors(dev_data)


def _network(**overrides) -> NetworkConfig:
    base = {"cidr": "10.20.0.0/16", "az_count": 2, "nat_gateways": "single", "interface_endpoints": False}
    return NetworkConfig.model_validate({**base, **overrides})


def test_subnets_are_disjoint_and_inside_the_vpc():
    net = _network(az_count=4)
    vpc = ipaddress.ip_network("10.20.0.0/16")
    subnets = [ipaddress.ip_network(c) for tier in net.subnet_cidrs().values() for c in tier]
    assert len(subnets) == 12
    assert all(s.subnet_of(vpc) for s in subnets)
    assert all(not a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1 :])


def test_adding_an_az_never_renumbers_existing_subnets():
    two, three = _network(az_count=2).subnet_cidrs(), _network(az_count=3).subnet_cidrs()
    for tier in two:
        assert three[tier][:2] == two[tier]


def test_zones_default_to_region_letters_and_can_be_explicit():
    assert _network(az_count=3).zones("us-east-2") == ["us-east-2a", "us-east-2b", "us-east-2c"]
    assert _network(availability_zones=["use2-az1", "use2-az3"]).zones("us-east-2") == ["use2-az1", "use2-az3"]
    with pytest.raises(ValidationError, match="lists 1 zones but az_count is 2"):
        _network(availability_zones=["us-east-2a"])


def test_flow_log_retention_must_be_a_cloudwatch_value():
    with pytest.raises(ValidationError, match="not a CloudWatch Logs retention"):
        _network(flow_log_retention_days=10)


@pytest.fixture
def prod_data() -> dict:
    return env_data("prod")


@pytest.mark.parametrize(
    ("section", "field", "value", "message"),
    [
        ("database", "deletion_protection", False, "prod requires database.deletion_protection: true"),
        ("database", "reader_count", 0, "database.reader_count >= 1"),
        ("cache", "node_count", 1, "cache.node_count >= 2"),
        ("documents", "replication_time_control", False, "documents.replication_time_control: true"),
    ],
)
def test_prod_refuses_data_tier_shortcuts(prod_data, section, field, value, message):
    prod_data[section][field] = value
    assert message in validation_errors(prod_data)


def test_data_tier_fields_are_checked(dev_data):
    dev_data["database"]["backup_window"] = "3am-4am"
    assert "database.backup_window" in validation_errors(dev_data)
    dev_data["database"]["backup_window"] = "03:00-04:00"
    dev_data["cache"]["node_type"] = "t4g.micro"
    assert "cache.node_type" in validation_errors(dev_data)
    dev_data["cache"]["node_type"] = "cache.t4g.micro"
    dev_data["documents"]["replication_time_control"] = True
    assert "replication_time_control needs replication: true" in validation_errors(dev_data)
