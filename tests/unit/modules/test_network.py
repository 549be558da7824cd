"""modules/network.py: Network, the VPC's tiers, NAT routes, interface endpoints and flow logs."""

from __future__ import annotations

from environments.schema import NetworkConfig
from modules.network import Network
from tests.helpers import ACCOUNT, synth


def _network(scope, **overrides):
    config = NetworkConfig.model_validate(
        {"cidr": "10.30.0.0/16", "az_count": 2, "nat_gateways": "single", "interface_endpoints": False, **overrides}
    )
    Network(scope, "net", name="t", region="eu-west-1", account_id=ACCOUNT, config=config)


def test_private_route_tables_use_their_own_az_nat_when_per_az():
    out = synth(lambda s: _network(s, nat_gateways="per_az"))
    routes = [r for r in out["resource"]["aws_route"].values() if "nat_gateway_id" in r]
    assert len({r["nat_gateway_id"] for r in routes}) == 2


def test_single_nat_serves_every_private_route_table():
    out = synth(_network)
    routes = [r for r in out["resource"]["aws_route"].values() if "nat_gateway_id" in r]
    assert len(routes) == 2 and len({r["nat_gateway_id"] for r in routes}) == 1


def test_no_nat_means_no_default_route_from_private_subnets():
    out = synth(lambda s: _network(s, nat_gateways="none"))
    assert all("nat_gateway_id" not in r for r in out["resource"]["aws_route"].values())
    assert "aws_nat_gateway" not in out["resource"]


def test_isolated_tier_has_no_internet_route():
    out = synth(_network)
    tables = out["resource"]["aws_route_table"]
    isolated = next(k for k, v in tables.items() if v["tags"]["Name"] == "t-isolated")
    assert all(isolated not in r["route_table_id"] for r in out["resource"]["aws_route"].values())


def test_interface_endpoints_admit_only_https_from_the_vpc():
    out = synth(lambda s: _network(s, interface_endpoints=True))
    (rule,) = out["resource"]["aws_vpc_security_group_ingress_rule"].values()
    assert (rule["from_port"], rule["to_port"], rule["ip_protocol"], rule["cidr_ipv4"]) == (
        443,
        443,
        "tcp",
        "10.30.0.0/16",
    )
    interface = [e for e in out["resource"]["aws_vpc_endpoint"].values() if e["vpc_endpoint_type"] == "Interface"]
    assert len(interface) == 7 and all(e["private_dns_enabled"] is True for e in interface)


def test_flow_log_key_only_serves_this_log_group():
    out = synth(_network)
    docs = out["data"]["aws_iam_policy_document"]
    key_policy = next(d for d in docs.values() if any(s["sid"] == "CloudWatchLogsUseKey" for s in d["statement"]))
    grant = next(s for s in key_policy["statement"] if s["sid"] == "CloudWatchLogsUseKey")
    assert grant["condition"][0]["values"] == [f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/vpc/t/flow-logs"]
