"""The hosted zone a stack's names go into, and the alias records it holds.

Real accounts look their public zone up (registrar delegation is outside Terraform); an
environment without one (the emulator, a sandbox account) creates a stand-in so certificates and
records have somewhere to go. Both are made under the same construct id, in `scope` itself, so
switching keeps the address and callers keep theirs.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone, Route53ZoneVpc
from constructs import Construct


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
    zone looked up by name (`comment` applies to a created zone only)."""
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
    scope: Construct,
    id_: str,
    *,
    zone_id: str,
    name: str,
    target_dns_name: str,
    target_zone_id: str,
    record_type: str = "A",
    evaluate_target_health: bool = True,
) -> Route53Record:
    """An alias (A, or AAAA for IPv6) to a load balancer or any AWS alias target, answering only
    while the target is healthy. A CloudFront distribution has no health to evaluate: Route 53
    requires evaluate_target_health=False for it."""
    return Route53Record(
        scope,
        id_,
        zone_id=zone_id,
        name=name,
        type=record_type,
        alias=Route53RecordAlias(
            name=target_dns_name, zone_id=target_zone_id, evaluate_target_health=evaluate_target_health
        ),
    )
