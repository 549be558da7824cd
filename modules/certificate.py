"""DNS for an entry point: the hosted zone (created or looked up), an ACM certificate validated by
DNS in it, and the alias record that points a name at a load balancer."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone, Route53ZoneVpc
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


def hosted_zone(
    scope: Construct,
    id_: str,
    *,
    zone_name: str,
    create: bool,
    private_vpc_id: str | None = None,
    comment: str | None = None,
    force_destroy: bool = False,
) -> Route53Zone | DataAwsRoute53Zone:
    """The zone records go into: created (a stand-in where the account has none, private to
    `private_vpc_id` when given, so nothing on the internet is claimed) or the account's public
    zone looked up by name. Made in `scope` itself, so callers keep their addresses."""
    if create:
        return Route53Zone(
            scope,
            id_,
            name=zone_name,
            comment=comment,
            vpc=[Route53ZoneVpc(vpc_id=private_vpc_id)] if private_vpc_id else None,
            force_destroy=force_destroy or None,
        )
    if private_vpc_id is not None or force_destroy:
        raise ValueError(f"{zone_name}: a looked-up zone is the account's public one; no VPC, no force_destroy")
    return DataAwsRoute53Zone(scope, id_, name=zone_name, private_zone=False)


def alias_record(
    scope: Construct, id_: str, *, zone_id: str, name: str, target_dns_name: str, target_zone_id: str
) -> Route53Record:
    """An A alias to a load balancer (or any AWS alias target), answering only while it is healthy."""
    return Route53Record(
        scope,
        id_,
        zone_id=zone_id,
        name=name,
        type="A",
        alias=Route53RecordAlias(name=target_dns_name, zone_id=target_zone_id, evaluate_target_health=True),
    )
