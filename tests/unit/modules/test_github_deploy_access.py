"""modules/github_deploy_access.py alone: GitHub's OIDC trust bound to the repository, the environment and main,
the plan role's explicit denies, and the permissions boundary both CI roles carry."""

from __future__ import annotations

import re

import pytest

from environments.schema import CiConfig, DeployRoleConfig
from modules.github_deploy_access import GITHUB_OIDC_HOST, GithubDeployAccess
from tests.helpers import ACCOUNT, of_type, synth

REPOSITORY = "example-org/aws-workloads"
STATE_BUCKET = "arn:aws:s3:::dev-tfstate"
LOCK_TABLE = f"arn:aws:dynamodb:us-east-2:{ACCOUNT}:table/dev-tfstate-lock"
STATE_KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/state"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/dev-workload-boundary"
SUB = f"{GITHUB_OIDC_HOST}:sub"
AUD = f"{GITHUB_OIDC_HOST}:aud"


def _access(*, production: bool = False, create_oidc_provider: bool = True) -> dict:
    ci = CiConfig(
        github_repository=REPOSITORY,
        deploy_role=DeployRoleConfig(name="dev-deploy", max_session_hours=2),
        plan_role=DeployRoleConfig(name="dev-plan"),
        create_oidc_provider=create_oidc_provider,
    )
    return synth(
        lambda s: GithubDeployAccess(
            s,
            "ci",
            ci=ci,
            environment="dev",
            account_id=ACCOUNT,
            production=production,
            state_bucket_arn=STATE_BUCKET,
            lock_table_arn=LOCK_TABLE,
            state_key_arn=STATE_KEY,
        )
    )


@pytest.fixture(scope="module")
def out() -> dict:
    return _access()


def _role(out: dict, name: str) -> tuple[str, dict]:
    (found,) = [(rid, r) for rid, r in of_type(out, "aws_iam_role").items() if r["name"] == name]
    return found


def _document(out: dict, reference: str) -> list[dict]:
    """The statements of the policy document a `${data.aws_iam_policy_document.<id>.json}` names."""
    (logical_id,) = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}", reference).groups()
    return of_type(out, "aws_iam_policy_document", "data")[logical_id]["statement"]


def _conditions(statement: dict) -> dict[str, tuple[str, list[str]]]:
    return {c["variable"]: (c["test"], c["values"]) for c in statement.get("condition", [])}


def _by_sid(statements: list[dict]) -> dict[str, dict]:
    return {s["sid"]: s for s in statements}


def _trust(out: dict, role_name: str) -> dict:
    _, role = _role(out, role_name)
    (statement,) = _document(out, role["assume_role_policy"])
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"] and statement["effect"] == "Allow"
    return statement


def test_deploy_role_trusts_only_this_repositorys_environment_job_on_main(out):
    statement = _trust(out, "dev-deploy")
    (provider_id,) = of_type(out, "aws_iam_openid_connect_provider")
    assert statement["principals"] == [
        {"type": "Federated", "identifiers": [f"${{aws_iam_openid_connect_provider.{provider_id}.arn}}"]}
    ]
    # Exact match, no wildcard: another branch declaring `environment: dev` gets a different sub.
    assert _conditions(statement) == {
        AUD: ("StringEquals", ["sts.amazonaws.com"]),
        SUB: ("StringEquals", [f"repo:{REPOSITORY}:environment:dev:ref:refs/heads/main"]),
    }


def test_plan_role_trusts_main_and_pull_requests_outside_production(out):
    test, subjects = _conditions(_trust(out, "dev-plan"))[SUB]
    # StringLike only because a pull request's ref carries its number.
    assert test == "StringLike"
    assert subjects == [
        f"repo:{REPOSITORY}:ref:refs/heads/main:ref:refs/heads/main",
        f"repo:{REPOSITORY}:pull_request:ref:refs/pull/*/merge",
    ]


def test_production_is_planned_from_main_only():
    conditions = _conditions(_trust(_access(production=True), "dev-plan"))
    assert conditions[SUB] == ("StringEquals", [f"repo:{REPOSITORY}:ref:refs/heads/main:ref:refs/heads/main"])
    assert conditions[AUD] == ("StringEquals", ["sts.amazonaws.com"])


def test_oidc_provider_is_githubs_with_the_sts_audience(out):
    (provider,) = of_type(out, "aws_iam_openid_connect_provider").values()
    assert provider["url"] == f"https://{GITHUB_OIDC_HOST}"
    assert provider["client_id_list"] == ["sts.amazonaws.com"]


def test_an_accounts_existing_oidc_provider_is_trusted_not_created():
    out = _access(create_oidc_provider=False)
    assert of_type(out, "aws_iam_openid_connect_provider") == {}
    for role in ("dev-deploy", "dev-plan"):
        assert _trust(out, role)["principals"] == [
            {"type": "Federated", "identifiers": [f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB_OIDC_HOST}"]}
        ]


def test_both_roles_carry_the_boundary_and_their_session_length(out):
    ((boundary_id, boundary),) = of_type(out, "aws_iam_policy").items()
    assert boundary["name"] == "dev-workload-boundary"
    for name, seconds in (("dev-deploy", 7200), ("dev-plan", 3600)):
        _, role = _role(out, name)
        assert role["permissions_boundary"] == f"${{aws_iam_policy.{boundary_id}.arn}}", name
        assert role["max_session_duration"] == seconds, name


def test_each_role_gets_its_managed_policy(out):
    deploy_id, _ = _role(out, "dev-deploy")
    plan_id, _ = _role(out, "dev-plan")
    attached = {a["role"]: a["policy_arn"] for a in of_type(out, "aws_iam_role_policy_attachment").values()}
    assert attached == {
        f"${{aws_iam_role.{deploy_id}.name}}": "arn:aws:iam::aws:policy/PowerUserAccess",
        f"${{aws_iam_role.{plan_id}.name}}": "arn:aws:iam::aws:policy/ReadOnlyAccess",
    }


def _boundary(out: dict) -> dict[str, dict]:
    (boundary,) = of_type(out, "aws_iam_policy").values()
    return _by_sid(_document(out, boundary["policy"]))


def test_boundary_caps_at_everything_minus_the_ways_out(out):
    statements = _boundary(out)
    assert statements.pop("PermissionsBoundaryCeiling")["actions"] == ["*"]
    assert {sid: s["effect"] for sid, s in statements.items()} == dict.fromkeys(
        [
            "NoRoleWithoutTheBoundary",
            "NoBoundaryRemoval",
            "OnlyListedManagedPolicies",
            "CiRolesAreFixed",
            "BoundaryIsFixed",
            "NoUsersKeysOrPolicies",
        ],
        "Deny",
    )
    unbounded = statements["NoRoleWithoutTheBoundary"]
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"} <= set(unbounded["actions"])
    assert _conditions(unbounded) == {"iam:PermissionsBoundary": ("StringNotEquals", [BOUNDARY_ARN])}
    assert statements["NoBoundaryRemoval"]["actions"] == ["iam:DeleteRolePermissionsBoundary"]
    fixed = statements["CiRolesAreFixed"]
    assert fixed["resources"] == [f"arn:aws:iam::{ACCOUNT}:role/dev-deploy", f"arn:aws:iam::{ACCOUNT}:role/dev-plan"]
    assert {"iam:Put*", "iam:Attach*", "iam:Update*", "iam:PassRole"} <= set(fixed["actions"])
    assert statements["BoundaryIsFixed"]["resources"] == [BOUNDARY_ARN]
    assert "iam:CreatePolicyVersion" in statements["BoundaryIsFixed"]["actions"]
    assert {"iam:CreateUser", "iam:CreateAccessKey", "iam:CreatePolicy"} <= set(
        statements["NoUsersKeysOrPolicies"]["actions"]
    )


def _inline(out: dict, role_name: str) -> dict[str, dict]:
    role_id, _ = _role(out, role_name)
    role = f"${{aws_iam_role.{role_id}.id}}"
    (policy,) = [p for p in of_type(out, "aws_iam_role_policy").values() if p["role"] == role]
    return _by_sid(_document(out, policy["policy"]))


def test_deploy_role_repeats_every_boundary_deny_so_either_alone_holds(out):
    boundary_denies = {sid: s for sid, s in _boundary(out).items() if s["effect"] == "Deny"}
    deploy = _inline(out, "dev-deploy")
    for sid, statement in boundary_denies.items():
        assert deploy[sid] == statement, sid
    # Its own role changes are allowed only with the boundary attached.
    assert _conditions(deploy["BoundedRoleChanges"]) == {"iam:PermissionsBoundary": ("StringEquals", [BOUNDARY_ARN])}


def test_plan_role_denies_every_read_of_data_keys_and_secrets_but_the_state(out):
    plan = _inline(out, "dev-plan")
    denies = {sid: s for sid, s in plan.items() if s["effect"] == "Deny"}
    assert set(denies) == {"NoObjectDataButState", "NoDecryptButStateKey", "NoSecretParameters", "NoSecretOrDataValues"}
    # Explicit denies on everything but the exceptions: no allow anywhere (ReadOnlyAccess) overrides them.
    objects = denies["NoObjectDataButState"]
    assert "s3:GetObject" in objects["actions"] and objects["not_resources"] == [f"{STATE_BUCKET}/dev/*"]
    keys = denies["NoDecryptButStateKey"]
    assert "kms:Decrypt" in keys["actions"] and keys["not_resources"] == [STATE_KEY]
    data = denies["NoSecretOrDataValues"]
    assert {"secretsmanager:GetSecretValue", "dynamodb:GetItem", "logs:GetLogEvents", "lambda:InvokeFunction"} <= set(
        data["actions"]
    )
    assert data["not_resources"] == [LOCK_TABLE]
    parameters = denies["NoSecretParameters"]
    assert "ssm:GetParameter" in parameters["actions"]
    assert parameters["resources"] == [f"arn:aws:ssm:*:{ACCOUNT}:parameter/dev/code-refactor/*"]
    # What a plan does need: the lock (table item and lock file) and the state key.
    assert plan["TakeStateLock"]["resources"] == [LOCK_TABLE]
    assert plan["WriteLockFile"]["resources"] == [f"{STATE_BUCKET}/dev/*.tflock"]
    assert plan["UseStateKey"]["resources"] == [STATE_KEY]
