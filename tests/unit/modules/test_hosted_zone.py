"""modules/hosted_zone.py: the stand-in zone or the account's public one under one id, and the
alias record."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.route53_record import Route53Record
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone

from modules.hosted_zone import alias_record, hosted_zone
from tests.helpers import of_type, synth


def test_create_makes_a_zone_and_otherwise_the_public_one_is_looked_up_under_the_same_id():
    made = synth(lambda s: hosted_zone(s, "zone", zone_name="example.com", create=True, comment="stand-in"))
    assert of_type(made, Route53Zone.TF_RESOURCE_TYPE) == {"zone": {"name": "example.com", "comment": "stand-in"}}
    assert of_type(made, DataAwsRoute53Zone.TF_RESOURCE_TYPE, "data") == {}

    found = synth(lambda s: hosted_zone(s, "zone", zone_name="example.com", create=False, comment="unused"))
    assert of_type(found, DataAwsRoute53Zone.TF_RESOURCE_TYPE, "data") == {
        "zone": {"name": "example.com", "private_zone": False}
    }
    assert of_type(found, Route53Zone.TF_RESOURCE_TYPE) == {}


def test_a_created_zone_can_be_private_to_a_vpc_and_a_looked_up_one_is_the_public_zone():
    out = synth(
        lambda s: (
            hosted_zone(s, "made", zone_name="a.example", create=True, private_vpc_id="vpc-1", force_destroy=True),
            hosted_zone(s, "found", zone_name="b.example", create=False),
        )
    )
    made = of_type(out, Route53Zone.TF_RESOURCE_TYPE)["made"]
    assert made["vpc"] == [{"vpc_id": "vpc-1"}] and made["force_destroy"] is True
    assert of_type(out, DataAwsRoute53Zone.TF_RESOURCE_TYPE, "data")["found"]["private_zone"] is False


def test_a_looked_up_zone_refuses_settings_it_cannot_have():
    with pytest.raises(ValueError, match=r"b\.example"):
        synth(lambda s: hosted_zone(s, "found", zone_name="b.example", create=False, private_vpc_id="vpc-1"))


def test_alias_record_answers_only_while_the_target_is_healthy():
    out = synth(
        lambda s: alias_record(
            s, "www", zone_id="Z1", name="www.example.com", target_dns_name="lb.aws", target_zone_id="Z2"
        )
    )
    record = of_type(out, Route53Record.TF_RESOURCE_TYPE)["www"]
    assert record["type"] == "A"
    assert record["alias"] == {"name": "lb.aws", "zone_id": "Z2", "evaluate_target_health": True}


def test_alias_record_to_cloudfront_is_aaaa_too_and_evaluates_no_health():
    # Route 53 refuses EvaluateTargetHealth=true for a CloudFront alias target (AliasTarget docs).
    out = synth(
        lambda s: alias_record(
            s,
            "www6",
            zone_id="Z1",
            name="www.example.com",
            target_dns_name="d1.cloudfront.net",
            target_zone_id="Z2FDTNDATAQYW2",
            record_type="AAAA",
            evaluate_target_health=False,
        )
    )
    record = of_type(out, Route53Record.TF_RESOURCE_TYPE)["www6"]
    assert record["type"] == "AAAA"
    assert record["alias"]["evaluate_target_health"] is False
