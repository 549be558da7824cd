"""The two security-group shapes the workloads repeat: HTTPS-only egress, and client-only ingress.

    sg = https_only_security_group(self, "sg", name_prefix="fn-", description="...", vpc_id=vpc.id,
                                   egress_id="out-https", egress_description="HTTPS to AWS APIs")
    db = client_only_security_group(self, "security-group", name="app-aurora", description="...",
                                    vpc_id=vpc.id, port=5432, client_security_group_ids=[clients.id],
                                    client_description="PostgreSQL from the app tier")

These are functions, not constructs: the resources land in the caller's scope under the caller's
ids, so code that moves onto them keeps every Terraform address.

Rules are separate resources (`aws_vpc_security_group_*_rule`), never inline blocks: the provider
documents that inline `ingress`/`egress` and rule resources fight over the same group. A group
that must start nothing says `egress=[]`, which removes AWS's default allow-all egress.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

HTTPS_PORT = 443
# AWS API endpoints (and GitHub) are public addresses, reached through NAT or interface endpoints.
ANYWHERE_IPV4 = "0.0.0.0/0"


def security_group(scope: Construct, id_: str, *, name: str, description: str, vpc_id: str) -> SecurityGroup:
    """A named group with no rules of its own: the caller adds them as rule resources (e.g.
    `tcp_egress_to_group`). Terraform removes AWS's default allow-all egress on create, so until
    then nothing goes out; an inline `egress` would fight the rule resources."""
    return SecurityGroup(scope, id_, name=name, description=description, vpc_id=vpc_id)


def tcp_egress_to_group(
    scope: Construct, id_: str, *, security_group_id: str, target_security_group_id: str, port: int, description: str
) -> VpcSecurityGroupEgressRule:
    """One egress rule: TCP `port` to the members of another group (a client to its data store)."""
    return VpcSecurityGroupEgressRule(
        scope,
        id_,
        security_group_id=security_group_id,
        referenced_security_group_id=target_security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=description,
    )


def https_egress(
    scope: Construct, id_: str, *, security_group_id: str, description: str, cidr_ipv4: str = ANYWHERE_IPV4
) -> VpcSecurityGroupEgressRule:
    """One egress rule: TCP 443 to `cidr_ipv4` (anywhere by default)."""
    return VpcSecurityGroupEgressRule(
        scope,
        id_,
        security_group_id=security_group_id,
        description=description,
        ip_protocol="tcp",
        from_port=HTTPS_PORT,
        to_port=HTTPS_PORT,
        cidr_ipv4=cidr_ipv4,
    )


def https_only_security_group(
    scope: Construct,
    id_: str,
    *,
    name_prefix: str,
    description: str,
    vpc_id: str,
    egress_id: str,
    egress_description: str,
    tags: dict[str, str] | None = None,
    egress_cidr_ipv4: str = ANYWHERE_IPV4,
    create_before_destroy: bool = False,
) -> SecurityGroup:
    """A group with no ingress and one egress rule, HTTPS out to `egress_cidr_ipv4` (a function or
    host calling AWS APIs; the VPC's CIDR where only its interface endpoints may be reached).

    Terraform removes AWS's default allow-all egress from a group it creates, so the rule below is
    the only way out. `create_before_destroy`: a changed description replaces the group, and
    anything still attached (an instance) needs the new one to exist before the old goes.
    """
    group = SecurityGroup(
        scope,
        id_,
        name_prefix=name_prefix,
        description=description,
        vpc_id=vpc_id,
        tags=tags,
        lifecycle={"create_before_destroy": True} if create_before_destroy else None,
    )
    https_egress(
        scope, egress_id, security_group_id=group.id, description=egress_description, cidr_ipv4=egress_cidr_ipv4
    )
    return group


def client_only_security_group(
    scope: Construct,
    id_: str,
    *,
    name: str,
    description: str,
    vpc_id: str,
    port: int,
    client_security_group_ids: Sequence[str],
    client_description: str,
    ingress_id_prefix: str = "from-client",
) -> SecurityGroup:
    """A data store's group: `port` in from each client group, nothing out (it starts no connections).

    The ingress rules are `<ingress_id_prefix>-<index>`, one per client group.
    """
    if not client_security_group_ids:
        raise ValueError(f"{name}: a client-only security group needs at least one client security group")
    group = SecurityGroup(scope, id_, name=name, description=description, vpc_id=vpc_id, egress=[])
    for index, client in enumerate(client_security_group_ids):
        VpcSecurityGroupIngressRule(
            scope,
            f"{ingress_id_prefix}-{index}",
            security_group_id=group.id,
            referenced_security_group_id=client,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=client_description,
        )
    return group
