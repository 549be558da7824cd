"""CKV_GUARD_1xxx: checkov's IAM policy checks, judging every policy but a permissions boundary.

A permissions boundary grants nothing: AWS intersects it with the role's own policies. Its Allow
of "*" is the ceiling, and its Denies are what bind (modules/github_deploy_access.py). checkov's IAM checks
read it as a grant and fail it, and checkov has no per-resource suppression for Terraform JSON.
So .checkov.yaml skips the built-in IDs below, and each is re-registered here under
CKV_GUARD_1<number, 3 digits> with the same logic, returning UNKNOWN only for a document whose statements
carry the sid BOUNDARY_SID. A grant that borrowed that sid to hide would still fail synth: the
LeastPrivilegeIam guardrail recognises a boundary by structure (a policy some role names as its
permissions_boundary), not by sid.
"""

from __future__ import annotations

import importlib
import json

from checkov.common.models.enums import CheckResult
from checkov.terraform.checks.data.registry import data_registry
from checkov.terraform.checks.resource.registry import resource_registry
from guardrail_support import first

BOUNDARY_SID = "PermissionsBoundaryCeiling"
# Built-in check module (under checkov.terraform.checks) -> its check ID. Data checks read
# aws_iam_policy_document (synthesized JSON); resource checks read rendered policies (plans).
DATA_CHECKS = {
    "data.aws.AdminPolicyDocument": "CKV_AWS_1",
    "data.aws.StarActionPolicyDocument": "CKV_AWS_49",
    "data.aws.IAMCredentialsExposure": "CKV_AWS_107",
    "data.aws.IAMDataExfiltration": "CKV_AWS_108",
    "data.aws.IAMPermissionsManagement": "CKV_AWS_109",
    "data.aws.IAMPrivilegeEscalation": "CKV_AWS_110",
    "data.aws.IAMWriteAccess": "CKV_AWS_111",
    "data.aws.ResourcePolicyDocument": "CKV_AWS_356",
}
RESOURCE_CHECKS = {
    "resource.aws.IAMAdminPolicyDocument": "CKV_AWS_62",
    "resource.aws.IAMStarActionPolicyDocument": "CKV_AWS_63",
    "resource.aws.IAMPrivilegeEscalation": "CKV_AWS_286",
    "resource.aws.IAMCredentialsExposure": "CKV_AWS_287",
    "resource.aws.IAMDataExfiltration": "CKV_AWS_288",
    "resource.aws.IAMPermissionsManagement": "CKV_AWS_289",
    "resource.aws.IAMWriteAccess": "CKV_AWS_290",
    "resource.aws.IAMStarResourcePolicyDocument": "CKV_AWS_355",
}


def guard_id(builtin_id: str) -> str:
    return "CKV_GUARD_1" + builtin_id.rsplit("_", 1)[1].zfill(3)


def is_boundary_document(conf: dict) -> bool:
    """An aws_iam_policy_document (synthesized JSON) holding the boundary's ceiling statement."""
    statements = conf.get("statement") or []
    while len(statements) == 1 and isinstance(statements[0], list):
        statements = statements[0]
    return any(isinstance(s, dict) and first(s.get("sid")) == BOUNDARY_SID for s in statements)


def is_boundary_policy(conf: dict) -> bool:
    """A resource whose rendered policy (plan JSON) holds the boundary's ceiling statement."""
    policy = first(conf.get("policy"))
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False
    if not isinstance(policy, dict):
        return False
    statements = policy.get("Statement") or []
    statements = [statements] if isinstance(statements, dict) else statements
    return any(isinstance(s, dict) and s.get("Sid") == BOUNDARY_SID for s in statements)


def _builtin_class(module: str, builtin_id: str) -> type:
    check = importlib.import_module(f"checkov.terraform.checks.{module}").check
    if check.id != builtin_id:
        raise RuntimeError(f"checkov moved {builtin_id}: {module} now holds {check.id}; update {__name__}")
    return type(check)


def _renamed(check, builtin_id: str, registry) -> None:
    """The base __init__ registered the check under the built-in ID, which the registry already
    holds (so it was dropped); register it again under its own ID."""
    check.id = guard_id(builtin_id)
    check.bc_id = None  # else the skip of the built-in ID, mapped to its platform ID, skips this too
    check.name = f"{check.name} (permissions boundaries excepted; replaces {builtin_id})"
    registry.register(check)


def _data_variant(module: str, builtin_id: str):
    base = _builtin_class(module, builtin_id)

    def __init__(self) -> None:
        base.__init__(self)
        _renamed(self, builtin_id, data_registry)

    def scan_data_conf(self, conf: dict) -> CheckResult:
        return CheckResult.UNKNOWN if is_boundary_document(conf) else base.scan_data_conf(self, conf)

    return type(f"BoundaryAware{base.__name__}", (base,), {"__init__": __init__, "scan_data_conf": scan_data_conf})()


def _resource_variant(module: str, builtin_id: str):
    base = _builtin_class(module, builtin_id)

    def __init__(self) -> None:
        base.__init__(self)
        _renamed(self, builtin_id, resource_registry)

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return CheckResult.UNKNOWN if is_boundary_policy(conf) else base.scan_resource_conf(self, conf)

    return type(
        f"BoundaryAware{base.__name__}", (base,), {"__init__": __init__, "scan_resource_conf": scan_resource_conf}
    )()


checks = [_data_variant(m, i) for m, i in DATA_CHECKS.items()] + [
    _resource_variant(m, i) for m, i in RESOURCE_CHECKS.items()
]
