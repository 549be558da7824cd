"""modules/certificate.py: the DNS-validated certificate, the hosted zone and the alias record."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.route53_record import Route53Record
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone

from modules.certificate import DnsValidatedCertificate, alias_record, hosted_zone
from tests.unit.modules.scratch import of_type, synth


def test_each_validation_record_is_looked_up_by_its_domain_not_by_position():
    names = ["app.example.com", "internal.example.com"]
    out = synth(
        lambda s: DnsValidatedCertificate(s, "cert", domain_name=names[0], alternative_names=names[1:], zone_id="Z1")
    )
    records = list(of_type(out, Route53Record.TF_RESOURCE_TYPE).values())
    assert len(records) == 2
    for name, record in zip(names, records, strict=True):
        for field in ("name", "type"):
            # A set has no order: `.0` or tolist(...)[0] would pick any option.
            assert f'o.domain_name == "{name}"' in record[field]
            assert "tolist(" not in record[field] and ".0." not in record[field]
        assert f'o.domain_name == "{name}"' in record["records"][0]
    (cert,) = of_type(out, AcmCertificate.TF_RESOURCE_TYPE).values()
    assert cert["lifecycle"]["create_before_destroy"] is True


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
