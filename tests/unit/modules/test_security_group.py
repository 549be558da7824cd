"""modules/security_group.py: the HTTPS-only and the client-only group, made in the caller's scope."""

from __future__ import annotations

import pytest

from modules.security_group import (
    client_only_security_group,
    https_egress,
    https_only_security_group,
    security_group,
    tcp_egress_to_group,
)
from tests.helpers import of_type, synth


def test_https_only_group_has_one_way_out_on_443_and_no_way_in():
    out = synth(
        lambda s: https_only_security_group(
            s,
            "fn-sg",
            name_prefix="fn-",
            description="fn: HTTPS out",
            vpc_id="vpc-1",
            egress_id="fn-out-https",
            egress_description="HTTPS to AWS APIs",
            tags={"Name": "fn"},
        )
    )
    # Made under the caller's ids, not inside a construct: the addresses code had before moving onto it.
    (group,) = of_type(out, "aws_security_group").values()
    assert list(of_type(out, "aws_security_group")) == ["fn-sg"]
    assert group["name_prefix"] == "fn-" and group["tags"] == {"Name": "fn"}
    # No inline rules: they would fight the rule resources (the provider's documented warning).
    assert "ingress" not in group and "egress" not in group
    (egress,) = of_type(out, "aws_vpc_security_group_egress_rule").values()
    assert list(of_type(out, "aws_vpc_security_group_egress_rule")) == ["fn-out-https"]
    assert (egress["ip_protocol"], egress["from_port"], egress["to_port"]) == ("tcp", 443, 443)
    assert egress["cidr_ipv4"] == "0.0.0.0/0"
    assert egress["security_group_id"] == "${aws_security_group.fn-sg.id}"
    assert of_type(out, "aws_vpc_security_group_ingress_rule") == {}


def test_https_only_group_can_reach_only_the_vpc_and_be_replaced_before_it_is_destroyed():
    # The rotation function's shape (VPC endpoints only) and the hosts' (an instance keeps its group
    # attached, so a replacement must exist before the old one is deleted).
    def build(s):
        https_only_security_group(
            s,
            "sg",
            name_prefix="h-",
            description="d",
            vpc_id="vpc-1",
            egress_id="out",
            egress_description="to the VPC",
            egress_cidr_ipv4="10.0.0.0/16",
            create_before_destroy=True,
        )

    out = synth(build)
    assert of_type(out, "aws_security_group")["sg"]["lifecycle"] == {"create_before_destroy": True}
    assert of_type(out, "aws_vpc_security_group_egress_rule")["out"]["cidr_ipv4"] == "10.0.0.0/16"
    # By default neither: a function's group is not in use by anything that outlives it.
    plain = synth(
        lambda s: https_only_security_group(
            s, "sg", name_prefix="f-", description="d", vpc_id="vpc-1", egress_id="out", egress_description="e"
        )
    )
    assert "lifecycle" not in of_type(plain, "aws_security_group")["sg"]


def test_https_egress_can_be_narrowed_to_a_cidr():
    out = synth(
        lambda s: https_egress(s, "out", security_group_id="sg-1", description="to the VPC", cidr_ipv4="10.0.0.0/16")
    )
    (egress,) = of_type(out, "aws_vpc_security_group_egress_rule").values()
    assert egress["cidr_ipv4"] == "10.0.0.0/16" and egress["from_port"] == 443


def test_client_only_group_admits_each_client_on_its_port_and_starts_nothing():
    out = synth(
        lambda s: client_only_security_group(
            s,
            "security-group",
            name="app-aurora",
            description="Aurora: from the app tier only",
            vpc_id="vpc-1",
            port=5432,
            client_security_group_ids=["sg-a", "sg-b"],
            client_description="PostgreSQL from the app tier",
        )
    )
    (group,) = of_type(out, "aws_security_group").values()
    # An explicit empty egress removes AWS's default allow-all: a data store starts no connections.
    assert group["egress"] == [] and group["name"] == "app-aurora"
    ingress = of_type(out, "aws_vpc_security_group_ingress_rule")
    assert sorted(ingress) == ["from-client-0", "from-client-1"]
    assert [r["referenced_security_group_id"] for r in ingress.values()] == ["sg-a", "sg-b"]
    for rule in ingress.values():
        assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 5432, 5432)
        assert "cidr_ipv4" not in rule
    assert of_type(out, "aws_vpc_security_group_egress_rule") == {}


def test_client_only_group_without_clients_is_refused():
    with pytest.raises(ValueError, match="app-redis: a client-only security group needs at least one client"):
        synth(
            lambda s: client_only_security_group(
                s,
                "sg",
                name="app-redis",
                description="d",
                vpc_id="vpc-1",
                port=6379,
                client_security_group_ids=[],
                client_description="Redis",
            )
        )


def test_a_plain_group_has_no_inline_rules_and_egress_reaches_only_the_target_group_port():
    def build(s):
        group = security_group(s, "clients", name="c", description="attach to reach the data tier", vpc_id="vpc-1")
        tcp_egress_to_group(
            s, "to-db", security_group_id=group.id, target_security_group_id="sg-db", port=5432, description="db"
        )

    out = synth(build)
    group = of_type(out, "aws_security_group")["clients"]
    # Inline rules would fight the rule resources; Terraform drops AWS's default allow-all egress.
    assert "egress" not in group and "ingress" not in group and group["name"] == "c"
    rule = of_type(out, "aws_vpc_security_group_egress_rule")["to-db"]
    assert rule["referenced_security_group_id"] == "sg-db" and "cidr_ipv4" not in rule
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 5432, 5432)
