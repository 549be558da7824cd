"""modules/certificate.py: the DNS-validated certificate."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.route53_record import Route53Record

from modules.certificate import DnsValidatedCertificate
from tests.helpers import of_type, resources, scratch_stack, synth, synth_stack


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


def test_certificate_validates_every_name_by_dns():
    stack = scratch_stack()
    DnsValidatedCertificate(
        stack, "c", domain_name="api.example.com", alternative_names=["b.example.com"], zone_id="Z1"
    )
    out = synth_stack(stack)
    records = resources(out, Route53Record.TF_RESOURCE_TYPE)
    assert len(records) == 2
    assert {'o.domain_name == "api.example.com"' in r["name"] for r in records} == {True, False}
    (validation,) = out["resource"]["aws_acm_certificate_validation"].values()
    assert len(validation["validation_record_fqdns"]) == 2
