"""The CI trust model as synthesized (docs/security.md names these tests): the permissions boundary
on every role, what the deploy and plan roles may and may not do, and state under its own key."""

from __future__ import annotations

import json

import pytest

from environments.loader import available_environments
from modules.github_deploy_access import ATTACHABLE_MANAGED_POLICIES
from policies.managed_policies import boundary_arn
from tests.helpers import resources

ENVS = available_environments()
REAL_ENVS = [e for e in ENVS if e != "local"]


def _documents(stack: dict) -> dict:
    return stack["data"]["aws_iam_policy_document"]


def _document_of(stack: dict, reference: str) -> dict:
    return _documents(stack)[reference.split(".")[2]]


def _statements(document: dict) -> dict[str, dict]:
    return {s["sid"]: s for s in document["statement"]}


def _conditions(statement: dict) -> dict[str, tuple[str, list]]:
    return {c["variable"]: (c["test"], c["values"]) for c in statement.get("condition", [])}


def _bootstrap(stack_json, env_name):
    stack = stack_json(f"{env_name}-bootstrap")
    policies = resources(stack, "aws_iam_role_policy")
    roles = {r["name"]: r for r in resources(stack, "aws_iam_role")}
    return stack, roles, policies


@pytest.mark.parametrize("env_name", ENVS)
def test_every_role_of_every_stack_carries_the_permissions_boundary(env_name, environments, manifest, stack_json):
    env = environments[env_name]
    expected = boundary_arn(env_name, env.account_id)
    seen = 0
    for name in [s for s in manifest if s.startswith(f"{env_name}-")]:
        stack = stack_json(name)
        boundary_names = {p["name"] for p in resources(stack, "aws_iam_policy")}
        for role in resources(stack, "aws_iam_role"):
            seen += 1
            value = role.get("permissions_boundary")
            if value == expected:
                continue
            # In bootstrap the roles reference the boundary policy made beside them.
            assert value and value.startswith("${aws_iam_policy."), (name, role.get("name"), value)
            assert f"{env_name}-workload-boundary" in boundary_names
    assert seen >= 8


@pytest.mark.parametrize("env_name", ENVS)
def test_boundary_refuses_every_way_out(env_name, environments, stack_json):
    env = environments[env_name]
    stack, roles, _ = _bootstrap(stack_json, env_name)
    (boundary,) = resources(stack, "aws_iam_policy")
    assert boundary["name"] == f"{env_name}-workload-boundary"
    statements = _statements(_document_of(stack, boundary["policy"]))
    arn = boundary_arn(env_name, env.account_id)
    iam = f"arn:aws:iam::{env.account_id}"
    no_role = statements["NoRoleWithoutTheBoundary"]
    assert no_role["effect"] == "Deny"
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"} <= set(
        no_role["actions"]
    )
    assert _conditions(no_role)["iam:PermissionsBoundary"] == ("StringNotEquals", [arn])
    assert statements["NoBoundaryRemoval"]["actions"] == ["iam:DeleteRolePermissionsBoundary"]
    listed = statements["OnlyListedManagedPolicies"]
    assert _conditions(listed)["iam:PolicyARN"] == ("ArnNotEquals", list(ATTACHABLE_MANAGED_POLICIES))
    assert "arn:aws:iam::aws:policy/AdministratorAccess" not in ATTACHABLE_MANAGED_POLICIES
    fixed = statements["CiRolesAreFixed"]
    assert fixed["effect"] == "Deny" and "iam:UpdateAssumeRolePolicy" not in fixed["actions"]
    assert {"iam:Attach*", "iam:Put*", "iam:Update*", "iam:PassRole"} <= set(fixed["actions"])
    assert set(fixed["resources"]) == {f"{iam}:role/{env.ci.deploy_role.name}", f"{iam}:role/{env.ci.plan_role.name}"}
    assert statements["BoundaryIsFixed"]["resources"] == [arn]
    assert "iam:CreatePolicyVersion" in statements["BoundaryIsFixed"]["actions"]
    assert {"iam:CreateUser", "iam:CreateAccessKey", "iam:CreatePolicy"} <= set(
        statements["NoUsersKeysOrPolicies"]["actions"]
    )
    # Both CI roles live under it, so neither can lift itself out.
    assert {r["permissions_boundary"] for r in roles.values()} == {f"${{aws_iam_policy.{_name(stack, boundary)}.arn}}"}


def _name(stack: dict, resource: dict) -> str:
    return next(k for k, v in stack["resource"]["aws_iam_policy"].items() if v is resource)


@pytest.mark.parametrize("env_name", ENVS)
def test_deploy_role_changes_roles_only_inside_the_boundary(env_name, environments, stack_json):
    env = environments[env_name]
    stack, roles, policies = _bootstrap(stack_json, env_name)
    deploy = roles[env.ci.deploy_role.name]
    (policy,) = [p for p in policies if "deploy-role" in p["role"]]
    statements = _statements(_document_of(stack, policy["policy"]))
    arn = boundary_arn(env_name, env.account_id)
    bounded = statements["BoundedRoleChanges"]
    assert set(bounded["actions"]) == {
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:PutRolePermissionsBoundary",
    }
    assert _conditions(bounded)["iam:PermissionsBoundary"] == ("StringEquals", [arn])
    attach = _conditions(statements["BoundedListedAttachments"])
    assert attach["iam:PermissionsBoundary"] == ("StringEquals", [arn])
    assert attach["iam:PolicyARN"] == ("ArnEquals", list(ATTACHABLE_MANAGED_POLICIES))
    tagged = statements["ManageThisEnvironmentsRoles"]
    assert {"iam:UpdateAssumeRolePolicy", "iam:DeleteRole"} <= set(tagged["actions"])
    assert _conditions(tagged)["aws:ResourceTag/Environment"] == ("StringEquals", [env_name])
    # AWS evaluates no resource-tag condition for PassRole: under one, it would never be allowed.
    (pass_role,) = [s for s in statements.values() if "iam:PassRole" in s["actions"] and s["effect"] == "Allow"]
    assert pass_role["actions"] == ["iam:PassRole"] and "condition" not in pass_role
    assert "iam:PassRole" in statements["CiRolesAreFixed"]["actions"]
    # No statement allows a role write, a policy version or a user without a condition.
    writes = ("iam:Create", "iam:Put", "iam:Attach", "iam:Update", "iam:PassRole", "iam:Delete")
    for sid, statement in statements.items():
        if statement["effect"] != "Allow" or "condition" in statement:
            continue
        risky = [a for a in statement["actions"] if a.startswith(writes)]
        assert all(
            # PassRole takes no tag condition; the CI roles are denied below.
            a.startswith(
                (
                    "iam:CreateInstanceProfile",
                    "iam:DeleteInstanceProfile",
                    "iam:CreateServiceLinkedRole",
                    "iam:PassRole",
                )
            )
            or "OpenIDConnect" in a
            or "PasswordPolicy" in a
            for a in risky
        ), (sid, risky)
    for denied in ("NoRoleWithoutTheBoundary", "CiRolesAreFixed", "BoundaryIsFixed", "OnlyListedManagedPolicies"):
        assert statements[denied]["effect"] == "Deny"
    assert deploy["max_session_duration"] == env.ci.deploy_role.max_session_hours * 3600


@pytest.mark.parametrize("env_name", REAL_ENVS)
def test_deploy_sessions_outlast_a_first_full_deploy(env_name, environments):
    # Second-pass review item 4: a first prod deploy can pass an hour; the workflow asks for 4 h.
    assert environments[env_name].ci.deploy_role.max_session_hours >= 4


@pytest.mark.parametrize("env_name", ENVS)
def test_plan_role_reads_configuration_and_state_but_no_data_or_secret(env_name, environments, stack_json):
    env = environments[env_name]
    stack, _roles, policies = _bootstrap(stack_json, env_name)
    (policy,) = [p for p in policies if "plan-role" in p["role"]]
    statements = _statements(_document_of(stack, policy["policy"]))
    objects = statements["NoObjectDataButState"]
    assert objects["effect"] == "Deny" and "s3:GetObject" in objects["actions"]
    assert objects["not_resources"] == [f"${{aws_s3_bucket.{_bucket(stack)}.arn}}/{env_name}/*"]
    keys = statements["NoDecryptButStateKey"]
    assert keys["effect"] == "Deny" and "kms:Decrypt" in keys["actions"] and len(keys["not_resources"]) == 1
    values = statements["NoSecretOrDataValues"]
    assert {"secretsmanager:GetSecretValue", "dynamodb:Scan", "logs:GetLogEvents"} <= set(values["actions"])
    parameters = statements["NoSecretParameters"]
    assert parameters["effect"] == "Deny" and "ssm:GetParameter" in parameters["actions"]
    assert parameters["resources"] == [f"arn:aws:ssm:*:{env.account_id}:parameter/{env_name}/code-refactor/*"]


def _bucket(stack: dict) -> str:
    """The state bucket's logical id (the other bucket holds its access logs)."""
    return next(k for k, v in stack["resource"]["aws_s3_bucket"].items() if "access-logs" not in v["bucket"])


@pytest.mark.parametrize("env_name", REAL_ENVS)
def test_state_is_written_under_the_state_key(env_name, environments, manifest, stack_json):
    env = environments[env_name]
    for name in [s for s in manifest if s.startswith(f"{env_name}-")]:
        stack = stack_json(name)
        backend = stack["terraform"]["backend"]["s3"]
        assert backend["encrypt"] is True and backend["kms_key_id"] == env.state.kms_key_arn, name
        for remote in stack.get("data", {}).get("terraform_remote_state", {}).values():
            assert remote["config"]["kms_key_id"] == env.state.kms_key_arn, name


@pytest.mark.parametrize("env_name", REAL_ENVS)
def test_state_bucket_refuses_objects_under_another_key(env_name, stack_json):
    stack = stack_json(f"{env_name}-bootstrap")
    documents = _documents(stack)
    policies = [
        _statements(documents[p["policy"].split(".")[2]])
        for p in resources(stack, "aws_s3_bucket_policy")
        if "DenyStateWithoutKms" in json.dumps(documents[p["policy"].split(".")[2]])
    ]
    (statements,) = policies
    no_kms = _conditions(statements["DenyStateWithoutKms"])
    assert no_kms["s3:x-amz-server-side-encryption"] == ("StringNotEquals", ["aws:kms"])
    other = _conditions(statements["DenyStateUnderAnotherKey"])
    test, values = other["s3:x-amz-server-side-encryption-aws-kms-key-id"]
    assert test == "StringNotEquals" and values[0].startswith("${aws_kms_key.")


@pytest.mark.parametrize("env_name", ENVS)
def test_data_keys_serve_only_this_code_bases_roles_through_their_services(env_name, stack_json):
    """The data keys' kms:ViaService grants no longer reach every principal of the account."""
    stack = stack_json(f"{env_name}-refactor-data")
    via = [
        statement
        for document in _documents(stack).values()
        for statement in document["statement"]
        if any(c["variable"] == "kms:ViaService" for c in statement.get("condition", []))
        # key policies only: a role's own policy may narrow its kms:Decrypt by service too
        and any("*" in p["identifiers"] for p in statement.get("principals", []))
    ]
    assert len(via) >= 4
    for statement in via:
        assert _conditions(statement)["aws:PrincipalTag/ManagedBy"] == ("StringEquals", ["cdktf"]), statement["sid"]
