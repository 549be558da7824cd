"""Synth-time guardrails: rules that read every resource of a stack before it is written.

Each rule is its own aspect. It runs once per stack (on the stack node), sees every resource and
data source as the stack's synthesized JSON has it (one `to_terraform()` call, tokens resolved to
Terraform references), and reports findings through `Annotations` on the offending construct.
apply_guardrails runs all of them as one validation of the stack instead (one call, not one per
construct). cdktf refuses to synthesize a stack with an ERROR
annotation and prints `[construct/path] message`; every message ends with the fix.

    Aspects.of(stack).add(EncryptedStorage())      # or: apply_guardrails(stack, production=...)
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jsii
from cdktf import (
    Annotations,
    Aspects,
    IAspect,
    TerraformDataSource,
    TerraformResource,
    TerraformStack,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from constructs import IConstruct, IValidation

from policies.iam_allowlist import has_no_resource_level_permissions

REQUIRED_TAGS = ("Environment", "Project", "Owner", "CostCenter")
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
INTERNET = {"0.0.0.0/0", "::/0"}
PUBLIC_CANNED_ACLS = {"public-read", "public-read-write", "authenticated-read"}
PUBLIC_GRANTEES = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}
# Attributes that hold a policy document (JSON, or a reference to an aws_iam_policy_document).
POLICY_ATTRIBUTES = {
    "aws_iam_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_user_policy": "policy",
    "aws_iam_group_policy": "policy",
    "aws_kms_key": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_sqs_queue_policy": "policy",
}
ADMIN_MANAGED_POLICIES = ("arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/IAMFullAccess")


# ---------------------------------------------------------------------------------------------
# A resolved view of one stack
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Element:
    """One resource or data source: its type, Terraform name, resolved config and construct path."""

    kind: str  # "resource" or "data"
    type: str
    name: str
    config: dict
    path: str  # the construct path cdktf records in the element's "//" metadata
    view: StackView = field(repr=False, compare=False)

    @property
    def address(self) -> str:
        return f"data.{self.type}.{self.name}" if self.kind == "data" else f"{self.type}.{self.name}"

    @property
    def construct(self) -> IConstruct:
        """The construct that made it: looked up only when a finding needs it (a jsii call per level)."""
        return self.view.construct_at(self.path)

    def get(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)

    def refers_to(self, other: Element) -> bool:
        """Does any value of this element reference `other` (e.g. ${aws_s3_bucket.logs.id})?"""
        return f"${{{other.address}." in json.dumps(self.config)


class StackView:
    """The stack as Terraform will see it, from one `to_terraform()` call.

    That call returns what synth writes to cdk.tf.json, tokens resolved, in one jsii round trip.
    Aspects run after every stack's prepareStack (cross-stack outputs and remote state exist), so
    the view is the file synth is about to write. Resolving each resource through jsii instead
    (to_terraform plus Tokenization.resolve per construct) cost about a third of a full synth.
    """

    def __init__(self, stack: TerraformStack) -> None:
        self.stack = stack
        self._stack_path: str | None = None
        synthesized = stack.to_terraform()
        self.elements: list[Element] = []
        self.providers: dict[str, dict] = {}  # "aws" or "aws.<alias>" -> provider config
        for provider_type, configs in (synthesized.get("provider") or {}).items():
            for config in configs if isinstance(configs, list) else [configs]:
                alias = config.get("alias")
                self.providers[f"{provider_type}.{alias}" if alias else provider_type] = config
        for kind in ("resource", "data"):
            for resource_type, by_name in (synthesized.get(kind) or {}).items():
                for name, config in by_name.items():
                    path = ((config.get("//") or {}).get("metadata") or {}).get("path", "")
                    config = {k: v for k, v in config.items() if k != "//"}
                    self.elements.append(Element(kind, resource_type, name, config, path, self))

    def construct_at(self, path: str) -> IConstruct:
        if self._stack_path is None:
            self._stack_path = self.stack.node.path
        node: IConstruct = self.stack
        relative = path[len(self._stack_path) + 1 :] if path.startswith(self._stack_path + "/") else ""
        for part in relative.split("/") if relative else ():
            node = node.node.find_child(part)
        return node

    def construct_class(self, element: Element) -> type:
        """The binding class of a resource type, without a jsii call when the bindings are loaded."""
        cls = _binding_class(element.kind, element.type)
        return cls if cls is not None else type(element.construct)

    def of_type(self, *types: str) -> Iterator[Element]:
        return (e for e in self.elements if e.kind == "resource" and e.type in types)

    def data_of_type(self, *types: str) -> Iterator[Element]:
        return (e for e in self.elements if e.kind == "data" and e.type in types)

    def default_tags(self, element: Element) -> dict:
        provider_ref = element.get("provider") or "aws"
        provider_ref = provider_ref.strip("${}") if isinstance(provider_ref, str) else "aws"
        provider = self.providers.get(provider_ref, {})
        tags: dict = {}
        for block in blocks(provider.get("default_tags")):
            tags.update(block.get("tags") or {})
        return tags


@functools.cache
def _binding_class(kind: str, terraform_type: str) -> type | None:
    """The class cdktf_cdktf_provider_aws generates for `aws_<x>` (module `<x>`, or `data_aws_<x>`
    for a data source), if the stacks already imported it; None means ask the construct itself."""
    name = f"data_{terraform_type}" if kind == "data" else terraform_type.removeprefix("aws_")
    module = sys.modules.get(f"cdktf_cdktf_provider_aws.{name}")
    base = TerraformDataSource if kind == "data" else TerraformResource
    found = (
        [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, base) and value.__module__ == module.__name__
        ]
        if module is not None and terraform_type.startswith("aws_")
        else []
    )
    return found[0] if len(found) == 1 else None


# ---------------------------------------------------------------------------------------------
# Value helpers: synthesized values may be lists or single blocks, strings or booleans
# ---------------------------------------------------------------------------------------------


def blocks(value: Any) -> list[dict]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)]


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def is_reference(value: Any) -> bool:
    """A value Terraform computes (a reference or expression): the guard cannot judge it at synth."""
    return isinstance(value, str) and "${" in value


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true") or is_reference(value)


def is_set(value: Any) -> bool:
    return value not in (None, "", [], {})


def port(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# The aspect base
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    construct: IConstruct
    message: str


@jsii.implements(IAspect)
class StackRule:
    """Runs `check` once per stack and annotates each finding (error, or warning for `severity`)."""

    rule = "Rule"
    severity = "error"

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, TerraformStack):
            self.report(StackView(node))

    def report(self, view: StackView) -> None:
        for finding in self.check(view):
            message = f"[{self.rule}] {finding.message}"
            if self.severity == "error":
                Annotations.of(finding.construct).add_error(message)
            else:
                Annotations.of(finding.construct).add_warning(message)

    def check(self, view: StackView) -> Iterator[Finding]:
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class EncryptedStorage(StackRule):
    """S3, EBS, RDS, ElastiCache, EFS, SNS, SQS and log groups must be encrypted at rest."""

    rule = "EncryptedStorage"

    def check(self, view: StackView) -> Iterator[Finding]:
        sse_configs = list(view.of_type("aws_s3_bucket_server_side_encryption_configuration"))
        for bucket in view.of_type("aws_s3_bucket"):
            inline = bucket.get("server_side_encryption_configuration")
            if not inline and not any(c.refers_to(bucket) for c in sse_configs):
                yield Finding(
                    bucket.construct,
                    f"S3 bucket {bucket.address} has no default encryption. Fix: build it with "
                    "modules.storage.SecureBucket, or add an aws_s3_bucket_server_side_encryption_configuration "
                    "with sse_algorithm aws:kms and a KMS key (SSE-S3 only for access-log buckets).",
                )
        for volume in view.of_type("aws_ebs_volume"):
            if not is_true(volume.get("encrypted")):
                yield Finding(volume.construct, f"EBS volume {volume.address} is not encrypted. Fix: encrypted=True.")
        for holder in view.of_type("aws_instance"):
            for field_name in ("root_block_device", "ebs_block_device"):
                for device in blocks(holder.get(field_name)):
                    if not is_true(device.get("encrypted")):
                        yield Finding(
                            holder.construct,
                            f"{holder.address} declares an unencrypted {field_name}. Fix: set encrypted=True on it.",
                        )
        for template in view.of_type("aws_launch_template"):
            for mapping in blocks(template.get("block_device_mappings")):
                for ebs in blocks(mapping.get("ebs")):
                    if not is_true(ebs.get("encrypted")):
                        yield Finding(
                            template.construct,
                            f"launch template {template.address} maps {mapping.get('device_name', 'a device')} "
                            'to an unencrypted EBS volume. Fix: set ebs.encrypted="true" (and kms_key_id).',
                        )
        for cluster in view.of_type("aws_rds_cluster", "aws_db_instance"):
            if cluster.get("replicate_source_db") or cluster.get("snapshot_identifier"):
                continue  # encryption follows the source
            if not is_true(cluster.get("storage_encrypted")):
                yield Finding(
                    cluster.construct,
                    f"database {cluster.address} stores data unencrypted. Fix: storage_encrypted=True with kms_key_id.",
                )
        for group in view.of_type("aws_elasticache_replication_group"):
            if not is_true(group.get("at_rest_encryption_enabled")):
                yield Finding(
                    group.construct,
                    f"ElastiCache {group.address} is not encrypted at rest. Fix: at_rest_encryption_enabled=True "
                    "with kms_key_id.",
                )
        for cache in view.of_type("aws_elasticache_cluster"):
            if not cache.get("replication_group_id"):
                yield Finding(
                    cache.construct,
                    f"ElastiCache cluster {cache.address} cannot be encrypted at rest on its own. Fix: use an "
                    "aws_elasticache_replication_group with at_rest_encryption_enabled=True.",
                )
        for fs in view.of_type("aws_efs_file_system"):
            if not is_true(fs.get("encrypted")):
                yield Finding(fs.construct, f"EFS {fs.address} is not encrypted. Fix: encrypted=True with kms_key_id.")
        for resource_type, attribute, what in (
            ("aws_sns_topic", "kms_master_key_id", "SNS topic"),
            ("aws_sqs_queue", "kms_master_key_id", "SQS queue"),
            ("aws_cloudwatch_log_group", "kms_key_id", "log group"),
        ):
            for element in view.of_type(resource_type):
                if not is_set(element.get(attribute)):
                    yield Finding(
                        element.construct,
                        f"{what} {element.address} has no KMS key. Fix: set {attribute} to a customer-managed key "
                        "(modules.encryption.EncryptionKey) whose policy grants the service.",
                    )


class NoAdminPortsFromInternet(StackRule):
    """No ingress from 0.0.0.0/0 or ::/0 that reaches SSH (22) or RDP (3389)."""

    rule = "NoAdminPortsFromInternet"

    @staticmethod
    def _exposed(protocol: Any, from_port: Any, to_port: Any) -> list[str]:
        protocol = str(protocol).lower()
        if protocol in ("-1", "all"):
            return list(ADMIN_PORTS.values())
        if protocol not in ("tcp", "6", "udp", "17"):
            return []
        low, high = port(from_port), port(to_port)
        if low is None or high is None:
            return []
        return [name for number, name in ADMIN_PORTS.items() if low <= number <= high]

    def check(self, view: StackView) -> Iterator[Finding]:
        fix = (
            "Fix: reach instances through Session Manager (no inbound port), or allow the port only from a "
            "specific CIDR or security group."
        )
        rules: list[tuple[Element, dict]] = []
        for group in view.of_type("aws_security_group"):
            rules += [(group, r) for r in blocks(group.get("ingress"))]
        rules += [(r, r.config) for r in view.of_type("aws_security_group_rule") if r.get("type") == "ingress"]
        for element, rule in rules:
            sources = set(as_list(rule.get("cidr_blocks"))) | set(as_list(rule.get("ipv6_cidr_blocks")))
            exposed = self._exposed(rule.get("protocol"), rule.get("from_port"), rule.get("to_port"))
            if sources & INTERNET and exposed:
                yield Finding(
                    element.construct,
                    f"{element.address} opens {'/'.join(exposed)} to {', '.join(sorted(sources & INTERNET))}. {fix}",
                )
        for rule in view.of_type("aws_vpc_security_group_ingress_rule"):
            sources = {rule.get("cidr_ipv4"), rule.get("cidr_ipv6")} & INTERNET
            exposed = self._exposed(rule.get("ip_protocol"), rule.get("from_port"), rule.get("to_port"))
            if sources and exposed:
                yield Finding(
                    rule.construct, f"{rule.address} opens {'/'.join(exposed)} to {', '.join(sorted(sources))}. {fix}"
                )


class NoPublicS3Acls(StackRule):
    """No public canned ACL or public grant, and every public access block blocks ACLs."""

    rule = "NoPublicS3Acls"

    def check(self, view: StackView) -> Iterator[Finding]:
        fix = "Fix: keep buckets private (BucketOwnerEnforced, no ACL); serve public content through CloudFront."
        for element in view.of_type("aws_s3_bucket", "aws_s3_bucket_acl", "aws_s3_object"):
            if element.get("acl") in PUBLIC_CANNED_ACLS:
                yield Finding(element.construct, f"{element.address} sets the public ACL '{element.get('acl')}'. {fix}")
            for policy in blocks(element.get("access_control_policy")):
                for grant in blocks(policy.get("grant")):
                    for grantee in blocks(grant.get("grantee")):
                        if grantee.get("uri") in PUBLIC_GRANTEES:
                            yield Finding(element.construct, f"{element.address} grants {grantee['uri']}. {fix}")
        for block in view.of_type("aws_s3_bucket_public_access_block"):
            open_flags = [
                flag for flag in ("block_public_acls", "ignore_public_acls") if block.get(flag) not in (True, "true")
            ]
            if open_flags:
                yield Finding(
                    block.construct,
                    f"{block.address} leaves {', '.join(open_flags)} off, so public ACLs take effect. "
                    "Fix: set all four public access block flags to True.",
                )


class Imdsv2Required(StackRule):
    """Instances, launch templates and Image Builder instances require IMDSv2 session tokens."""

    rule = "Imdsv2Required"

    def check(self, view: StackView) -> Iterator[Finding]:
        for element, attribute in [
            *((e, "metadata_options") for e in view.of_type("aws_launch_template", "aws_instance")),
            *((e, "metadata_options") for e in view.of_type("aws_launch_configuration")),
            *((e, "instance_metadata_options") for e in view.of_type("aws_imagebuilder_infrastructure_configuration")),
        ]:
            options = blocks(element.get(attribute))
            if not options or options[0].get("http_tokens") != "required":
                yield Finding(
                    element.construct,
                    f'{element.address} allows IMDSv1. Fix: set {attribute} http_tokens="required" '
                    "(and http_put_response_hop_limit 1, or 2 for containers).",
                )


class ProdDatabaseDeletionProtection(StackRule):
    """In production (the environment's tier, not its name), databases (Aurora, RDS, DynamoDB) must
    have deletion protection."""

    rule = "ProdDatabaseDeletionProtection"

    def __init__(self, *, production: bool) -> None:
        self.production = production

    def check(self, view: StackView) -> Iterator[Finding]:
        if not self.production:
            return
        for element, attribute in [
            *((e, "deletion_protection") for e in view.of_type("aws_rds_cluster", "aws_db_instance")),
            *((e, "deletion_protection") for e in view.of_type("aws_rds_global_cluster")),
            *((e, "deletion_protection_enabled") for e in view.of_type("aws_dynamodb_table")),
        ]:
            if not is_true(element.get(attribute)):
                yield Finding(
                    element.construct,
                    f"prod database {element.address} has no deletion protection. Fix: {attribute}=True "
                    "(environments/prod.yaml requires database.deletion_protection).",
                )


class LeastPrivilegeIam(StackRule):
    """No Allow of "*" or "<service>:*" actions, no Allow with NotAction, and Resource "*" only for
    actions without resource-level permissions (policies/iam_allowlist.py).

    Key policies are the exception AWS defines: there "*" as Resource means "this key", and the
    account root holding "kms:*" is AWS's default key policy.
    """

    rule = "LeastPrivilegeIam"

    def check(self, view: StackView) -> Iterator[Finding]:
        consumers: dict[str, set[str]] = {}
        for element in view.elements:
            if element.kind == "resource":
                text = json.dumps(element.config)
                for name in re.findall(r"\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}", text):
                    consumers.setdefault(name, set()).add(element.type)
        boundaries = PermissionsBoundaryRequired.boundary_documents(view)
        for document in view.data_of_type("aws_iam_policy_document"):
            key_policy = consumers.get(document.name) == {"aws_kms_key"}
            if document.name in boundaries:
                continue  # a permissions boundary grants nothing: its Allow is a ceiling, its Denies bind
            for statement in blocks(document.get("statement")):
                yield from self._statement(
                    document,
                    sid=statement.get("sid", "(no sid)"),
                    effect=statement.get("effect", "Allow"),
                    actions=as_list(statement.get("actions")),
                    not_actions=as_list(statement.get("not_actions")),
                    resources=as_list(statement.get("resources")),
                    has_principals=bool(statement.get("principals")),
                    key_policy=key_policy,
                )
        for element in view.elements:
            attribute = POLICY_ATTRIBUTES.get(element.type)
            texts = [element.get(attribute)] if attribute else []
            if element.type == "aws_iam_role":
                texts += [p.get("policy") for p in blocks(element.get("inline_policy"))]
            for text in texts:
                for statement in self._json_statements(text):
                    yield from self._statement(
                        element,
                        sid=statement.get("Sid", "(no sid)"),
                        effect=statement.get("Effect", "Allow"),
                        actions=as_list(statement.get("Action")),
                        not_actions=as_list(statement.get("NotAction")),
                        resources=as_list(statement.get("Resource")),
                        has_principals="Principal" in statement,
                        key_policy=element.type == "aws_kms_key",
                    )
        attachments = [
            (a, a.get("policy_arn"))
            for a in view.of_type(
                "aws_iam_role_policy_attachment",
                "aws_iam_user_policy_attachment",
                "aws_iam_group_policy_attachment",
                "aws_iam_policy_attachment",
            )
        ]
        attachments += [(r, arn) for r in view.of_type("aws_iam_role") for arn in as_list(r.get("managed_policy_arns"))]
        for attachment, policy_arn in attachments:
            if policy_arn in ADMIN_MANAGED_POLICIES:
                yield Finding(
                    attachment.construct,
                    f"{attachment.address} attaches {policy_arn}. Fix: grant the actions the "
                    "principal needs with modules.iam.policy_document.",
                )

    @staticmethod
    def _json_statements(text: Any) -> list[dict]:
        if not isinstance(text, str) or is_reference(text):
            return []  # a policy document data source (checked above) or a computed value
        try:
            policy = json.loads(text)
        except ValueError:
            return []
        return blocks(policy.get("Statement")) if isinstance(policy, dict) else []

    def _statement(
        self,
        element: Element,
        *,
        sid: str,
        effect: str,
        actions: list,
        not_actions: list,
        resources: list,
        has_principals: bool,
        key_policy: bool,
    ) -> Iterator[Finding]:
        if effect != "Allow":
            return
        where = f"{element.address} statement '{sid}'"
        if not_actions:
            yield Finding(
                element.construct,
                f"{where} allows NotAction {not_actions}, i.e. every other action. Fix: list the actions it needs.",
            )
        kms_only = all(isinstance(a, str) and a.lower().startswith("kms:") for a in actions)
        in_key_policy = key_policy or (has_principals and kms_only)
        wildcards = [a for a in actions if isinstance(a, str) and (a == "*" or a.endswith(":*"))]
        if in_key_policy:
            # AWS's default key policy: the account (root) administers the key with kms:*.
            wildcards = [a for a in wildcards if a.lower() != "kms:*"]
        if wildcards:
            yield Finding(
                element.construct,
                f"{where} allows every action of {wildcards}. Fix: list the actions it needs "
                "(patterns such as s3:Get* are fine).",
            )
        if "*" in resources and not in_key_policy:
            unscoped = [a for a in actions if not (isinstance(a, str) and has_no_resource_level_permissions(a))]
            if unscoped:
                yield Finding(
                    element.construct,
                    f"{where} allows {unscoped} on every resource ('*'). Fix: scope resources to the ARNs it "
                    "needs; only actions without resource-level permissions (policies/iam_allowlist.py) may use '*'.",
                )


class PermissionsBoundaryRequired(StackRule):
    """In real environments every IAM role carries the environment's permissions boundary, and
    attaches only the managed policies the CI deploy role may attach (policies/managed_policies.py).

    The deploy role may create or change a role only with that boundary attached, so a role
    without it would fail on AWS halfway through an apply; here it fails synth with the fix.
    """

    rule = "PermissionsBoundaryRequired"

    def __init__(self, *, boundary_arn: str | None, attachable: tuple[str, ...] = ()) -> None:
        self.boundary_arn = boundary_arn
        self.attachable = attachable

    @staticmethod
    def boundary_documents(view: StackView) -> set[str]:
        """Policy documents used only as the text of a policy that some role has as its boundary."""
        boundary_policies = {
            m
            for role in view.of_type("aws_iam_role")
            for m in re.findall(r"^\$\{aws_iam_policy\.([\w-]+)\.arn\}$", str(role.get("permissions_boundary", "")))
        }
        documents = set()
        for policy in view.of_type("aws_iam_policy"):
            if policy.name in boundary_policies:
                documents.update(
                    re.findall(r"\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}", str(policy.get("policy")))
                )
        return documents

    def _is_boundary(self, view: StackView, value: Any) -> bool:
        if value == self.boundary_arn:
            return True
        match = re.fullmatch(r"\$\{aws_iam_policy\.([\w-]+)\.arn\}", str(value or ""))
        if not match:
            return False
        names = [p.get("name") for p in view.of_type("aws_iam_policy") if p.name == match.group(1)]
        return bool(names) and str(self.boundary_arn).endswith(f":policy/{names[0]}")

    def check(self, view: StackView) -> Iterator[Finding]:
        if self.boundary_arn is None:
            return
        for role in view.of_type("aws_iam_role"):
            if not self._is_boundary(view, role.get("permissions_boundary")):
                yield Finding(
                    role.construct,
                    f"{role.address} has permissions_boundary {role.get('permissions_boundary')!r}, not "
                    f"{self.boundary_arn}. Fix: create roles inside an EnvironmentStack (its aspect attaches "
                    "the boundary) and do not set another one; the CI deploy role may not create it otherwise.",
                )
        for attachment in view.of_type("aws_iam_role_policy_attachment"):
            policy_arn = attachment.get("policy_arn")
            if is_reference(policy_arn) or policy_arn in self.attachable:
                continue
            yield Finding(
                attachment.construct,
                f"{attachment.address} attaches {policy_arn}, which the CI deploy role may not attach. Fix: "
                "grant what the role needs with modules.iam.policy_document, or add the policy with its reason "
                "to policies/managed_policies.py (the deploy role's iam:PolicyARN allow-list).",
            )


# ---------------------------------------------------------------------------------------------
# Warnings
# ---------------------------------------------------------------------------------------------


class RequiredTags(StackRule):
    """Resources that take tags carry Environment, Project, Owner and CostCenter (default_tags count)."""

    rule = "RequiredTags"
    severity = "warning"

    def check(self, view: StackView) -> Iterator[Finding]:
        for element in view.elements:
            if element.kind != "resource" or not hasattr(view.construct_class(element), "tags_input"):
                continue
            effective = {**view.default_tags(element), **(element.get("tags") or {})}
            missing = [tag for tag in REQUIRED_TAGS if tag not in effective]
            if missing:
                yield Finding(
                    element.construct,
                    f"{element.address} lacks the tags {missing}. Fix: use the stack's provider (default_tags "
                    "from the environment) or add them to tags.",
                )


def guardrails(
    *, production: bool, boundary_arn: str | None = None, attachable: tuple[str, ...] = ()
) -> list[StackRule]:
    """`boundary_arn`: the permissions boundary every role must carry (None: not required)."""
    return [
        PermissionsBoundaryRequired(boundary_arn=boundary_arn, attachable=attachable),
        EncryptedStorage(),
        NoAdminPortsFromInternet(),
        LeastPrivilegeIam(),
        NoPublicS3Acls(),
        Imdsv2Required(),
        ProdDatabaseDeletionProtection(production=production),
        RequiredTags(),
    ]


@jsii.implements(IAspect)
class PermissionsBoundary:
    """Gives every IAM role of a stack that has none the environment's permissions boundary.

    It acts once, on the stack node, before the guardrails (added after it) look at the stack, so
    modules create roles as usual and the PermissionsBoundaryRequired guardrail only ever sees a
    role without the boundary if someone set a different one.
    """

    def __init__(self, arn: str) -> None:
        self.arn = arn

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, TerraformStack):
            return
        for child in node.node.find_all():
            if isinstance(child, IamRole) and child.permissions_boundary_input is None:
                child.permissions_boundary = self.arn


@jsii.implements(IAspect)
class Guardrails:
    """Every rule as one aspect, for a scope above the stacks (the App): cdktf calls an aspect once
    per construct, each call a jsii round trip, so one aspect is much cheaper than seven."""

    def __init__(self, rules: list[StackRule]) -> None:
        self.rules = tuple(rules)

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, TerraformStack):
            # One resolved view per stack, shared by every rule (resolving is the expensive part).
            view = StackView(node)
            for rule in self.rules:
                rule.report(view)


@jsii.implements(IValidation)
class StackGuardrails:
    """Every rule, run once per stack as the stack's own validation.

    cdktf runs a stack's validations during synth after all its aspects (the permissions boundary
    included) and before it collects annotations and writes cdk.tf.json, so an ERROR finding still
    stops synth with `[construct/path] message` and leaves that stack unwritten. Unlike an aspect,
    which cdktf calls back from JavaScript for every construct of the stack (3,216 calls for the 38
    stacks, about 1.5 ms each on this machine), a validation is one call per stack.
    """

    def __init__(self, stack: TerraformStack, rules: list[StackRule]) -> None:
        self.stack = stack
        self.rules = tuple(rules)

    def validate(self) -> list[str]:
        view = StackView(self.stack)
        for rule in self.rules:
            rule.report(view)
        return []  # findings are annotations, reported by synth with their construct's path


def apply_guardrails(
    scope: IConstruct, *, production: bool, boundary_arn: str | None = None, attachable: tuple[str, ...] = ()
) -> None:
    """Add every guardrail to `scope` (a stack, or the App for all its stacks).

    A stack gets them as its validation (one call per stack), which an App built with
    skip_validation=True would skip: build_app keeps validations on, and
    tests/policies/test_aspects.py proves an EnvironmentStack with a finding fails synth. The App,
    whose stacks may not exist yet, gets them as an aspect.
    """
    rules = guardrails(production=production, boundary_arn=boundary_arn, attachable=attachable)
    if isinstance(scope, TerraformStack):
        scope.node.add_validation(StackGuardrails(scope, rules))
    else:
        Aspects.of(scope).add(Guardrails(rules))
