"""Small helpers over the provider's IAM policy document data source.

Policies are built with `aws_iam_policy_document`, never hand-written JSON, so Terraform
normalises them and a plan shows a real diff when a statement changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocument
from constructs import Construct

# Session Manager instead of SSH: what the SSM agent on an instance needs (one home for both the
# hosts and the image builds).
SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


@dataclass(frozen=True, kw_only=True)
class Statement:
    """One policy statement. `principals` maps a principal type to its identifiers."""

    sid: str
    actions: Sequence[str]
    resources: Sequence[str] = ("*",)
    # Deny statements only: every resource but these (then leave `resources` empty).
    not_resources: Sequence[str] = ()
    effect: str = "Allow"
    principals: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # (test, variable, values), e.g. ("Bool", "aws:SecureTransport", ["false"])
    conditions: Sequence[tuple[str, str, Sequence[str]]] = ()

    def render(self) -> dict:
        rendered: dict = {
            "sid": self.sid,
            "effect": self.effect,
            "actions": list(self.actions),
        }
        if self.not_resources:
            if self.effect != "Deny" or self.resources:
                raise ValueError(f"statement {self.sid}: not_resources is for Deny statements without resources")
            # jsii takes a struct given as a dict by its camelCase names; "not_resources" is dropped.
            rendered["notResources"] = list(self.not_resources)
        else:
            rendered["resources"] = list(self.resources)
        if self.principals:
            rendered["principals"] = [{"type": kind, "identifiers": list(ids)} for kind, ids in self.principals.items()]
        if self.conditions:
            rendered["condition"] = [
                {"test": test, "variable": variable, "values": list(values)}
                for test, variable, values in self.conditions
            ]
        return rendered


def policy_document(scope: Construct, id_: str, statements: Sequence[Statement]) -> DataAwsIamPolicyDocument:
    return DataAwsIamPolicyDocument(scope, id_, statement=[s.render() for s in statements])


def assume_role_policy(scope: Construct, id_: str, *, service: str, conditions=()) -> DataAwsIamPolicyDocument:
    """Trust policy letting one AWS service principal assume a role."""
    return policy_document(
        scope,
        id_,
        [
            Statement(
                sid="TrustService",
                actions=["sts:AssumeRole"],
                resources=(),
                principals={"Service": [service]},
                conditions=conditions,
            )
        ],
    )
