"""One VPC of one workload in one region, and how its subnets are carved."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from environments.schema.types import LogRetentionDays, StrictModel

# Three tiers of subnets (public, private app, isolated database) share a VPC. Each subnet is
# the VPC's prefix + 4 bits, and each tier owns a fixed run of MAX_AZS blocks, so adding an AZ
# later appends a subnet and never renumbers the existing ones.
SUBNET_TIERS = ("public", "private", "isolated")
SUBNET_PREFIX_BITS = 4
MAX_AZS = 4


class NetworkConfig(StrictModel):
    """One VPC of one workload in one region."""

    cidr: ipaddress.IPv4Network
    # Aurora DB subnet groups and both ALBs refuse subnets in fewer than two AZs, so one AZ could
    # never deploy (the network synthesizes; the data and app stacks fail on AWS).
    az_count: int = Field(le=MAX_AZS)
    availability_zones: list[str] | None = Field(
        default=None, description="Explicit AZ names; by default <region>a, <region>b, ..."
    )
    nat_gateways: Literal["none", "single", "per_az"]
    interface_endpoints: bool = Field(
        description="ssm, ssmmessages, ec2messages, logs, secretsmanager, ecr.api, ecr.dkr"
    )
    flow_log_retention_days: LogRetentionDays = 90

    @field_validator("cidr")
    @classmethod
    def _cidr_size(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not 16 <= cidr.prefixlen <= 24:
            raise ValueError(f"VPC CIDR {cidr} must be between /16 and /24 (AWS allows no larger)")
        if not cidr.is_private:
            raise ValueError(f"VPC CIDR {cidr} must be a private (RFC 1918) range")
        return cidr

    @field_validator("az_count")
    @classmethod
    def _two_zones_at_least(cls, count: int) -> int:
        if count < 2:
            raise ValueError(
                f"az_count {count} is too few: Aurora subnet groups and load balancers need subnets in at "
                "least 2 availability zones; set az_count: 2"
            )
        return count

    @model_validator(mode="after")
    def _zones_match_count(self) -> NetworkConfig:
        if self.availability_zones is not None and len(self.availability_zones) != self.az_count:
            raise ValueError(
                f"availability_zones lists {len(self.availability_zones)} zones but az_count is "
                f"{self.az_count}; make them agree or drop availability_zones"
            )
        return self

    def zones(self, region: str) -> list[str]:
        if self.availability_zones is not None:
            return list(self.availability_zones)
        return [f"{region}{letter}" for letter in "abcd"[: self.az_count]]

    def subnet_cidrs(self) -> dict[str, list[str]]:
        """Tier -> one CIDR per AZ, carved in order from the VPC range."""
        blocks = list(self.cidr.subnets(prefixlen_diff=SUBNET_PREFIX_BITS))
        return {
            tier: [str(block) for block in blocks[i * MAX_AZS : i * MAX_AZS + self.az_count]]
            for i, tier in enumerate(SUBNET_TIERS)
        }
