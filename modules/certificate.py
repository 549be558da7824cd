"""An ACM certificate validated by DNS in a hosted zone (the zone and alias records are
modules/hosted_zone.py's)."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route53_record import Route53Record
from constructs import Construct


class DnsValidatedCertificate(Construct):
    """`arn` is the validated certificate: resources that use it wait for ACM to issue it.

    One validation record per name; names are known at synth, so each record is a plain resource
    keyed by name (no for_each over apply-time values).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        domain_name: str,
        alternative_names: Sequence[str] = (),
        zone_id: str,
        provider: AwsProvider | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.certificate = AcmCertificate(
            self,
            "certificate",
            domain_name=domain_name,
            subject_alternative_names=list(alternative_names) or None,
            validation_method="DNS",  # key: RSA 2048, the default every consumer here accepts
            # A replacement must be issued before the old one is detached from listeners.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            provider=provider,
        )
        records = []
        for index, name in enumerate([domain_name, *alternative_names]):
            # The options are a set: look each name up rather than relying on an order. A raw
            # Terraform expression, because a for-expression has no token form in cdktf.
            options = (
                f"{AcmCertificate.TF_RESOURCE_TYPE}.{self.certificate.friendly_unique_id}.domain_validation_options"
            )
            lookup = f'[for o in {options} : o if o.domain_name == "{name}"][0]'
            records.append(
                Route53Record(
                    self,
                    f"validation-{index}",
                    zone_id=zone_id,
                    name=f"${{{lookup}.resource_record_name}}",
                    type=f"${{{lookup}.resource_record_type}}",
                    records=[f"${{{lookup}.resource_record_value}}"],
                    ttl=300,
                    allow_overwrite=True,
                    provider=provider,
                )
            )
        self.validation = AcmCertificateValidation(
            self,
            "validation",
            certificate_arn=self.certificate.arn,
            validation_record_fqdns=[r.fqdn for r in records],
            provider=provider,
        )

    @property
    def arn(self) -> str:
        return self.validation.certificate_arn
