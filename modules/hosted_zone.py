"""The public hosted zone a stack's names go into: the account's existing zone, or a stand-in.

Real accounts look their zone up (registrar delegation is outside Terraform); an environment
without one (the emulator, a sandbox account) creates a stand-in so certificates and records
have somewhere to go. Both are made under the same construct id, so switching keeps the address.
"""

from __future__ import annotations

from typing import Literal

from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone
from constructs import Construct


def hosted_zone_id(
    scope: Construct, id_: str, *, domain: str, source: Literal["create", "existing"], comment: str
) -> str:
    """The zone ID for `domain`: a new public zone (`create`) or the account's existing one (`existing`)."""
    if source == "create":
        return Route53Zone(scope, id_, name=domain, comment=comment).zone_id
    if source == "existing":
        return DataAwsRoute53Zone(scope, id_, name=domain, private_zone=False).zone_id
    raise ValueError(f"hosted zone for {domain}: source must be 'create' or 'existing', not {source!r}")
