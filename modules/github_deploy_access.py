"""GitHub Actions' way into one environment's account: the GitHub OIDC provider, two roles, and the
permissions boundary that every role of the environment carries.

    deploy role   assumable only by jobs of `ci.github_repository` on `main` running in the GitHub
                  environment named like this environment; plans and applies stack by stack.
    plan role     assumable by jobs on `main` (drift checks) and, outside production, by
                  pull-request jobs; reads configuration and state, never data or secret values.
    boundary      `<env>-workload-boundary`: the ceiling of every role the stacks create, the two
                  above included. It refuses every way to climb out: a role without the boundary,
                  removing it, editing it, touching the CI roles, users and access keys, and
                  managed policies outside policies/managed_policies.py.

Trust needs GitHub's OIDC subject customised to `repo`, `context` and `ref` (docs/security.md
says how), so a subject carries the branch: `repo:<owner>/<name>:environment:<env>:ref:refs/heads/main`.
With the default subject an environment job's `sub` names no branch, and any pushed branch that
declares `environment: dev` would get the deploy role.

There are no access keys anywhere: a job exchanges its short-lived OIDC token for a session of at
most `max_session_hours`. The bootstrap stack that holds all of this is applied by an administrator
(docs/security.md): the deploy role may not change any of it.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from environments.schema import REFACTOR_PARAMETER_PATH, CiConfig
from environments.schema import ManagedBy as MANAGED_BY
from modules.iam import Statement, policy_document
from policies.managed_policies import ATTACHABLE_MANAGED_POLICIES, boundary_name

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
# The repository's OIDC subject template (PUT /repos/{owner}/{repo}/actions/oidc/customization/sub).
# "context" is the default subject's tail (environment:<env>, pull_request or ref:<ref>); "ref" adds
# the branch, which the default subject of an environment job lacks.
OIDC_SUBJECT_CLAIM_KEYS = ("repo", "context", "ref")
MAIN = "refs/heads/main"
# Everything but IAM, Organizations and Account management; IAM is granted below, bounded.
DEPLOY_MANAGED_POLICY = "arn:aws:iam::aws:policy/PowerUserAccess"
# The read side of every service Terraform refreshes, kept current by AWS. It also reads data
# (objects, parameter and secret values, table items, log events); PLAN_DENIED_DATA_ACTIONS takes
# that back with explicit denies, which no allow anywhere can override.
PLAN_MANAGED_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
CI_ROLE_MANAGED_POLICIES = (DEPLOY_MANAGED_POLICY, PLAN_MANAGED_POLICY)

# Role changes that AWS evaluates against the iam:PermissionsBoundary condition key.
BOUNDED_ROLE_ACTIONS = (
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
)
BOUNDED_ATTACH_ACTIONS = ("iam:AttachRolePolicy", "iam:DetachRolePolicy")
# Role changes AWS does not evaluate against iam:PermissionsBoundary. They are allowed only on roles
# tagged as this environment's (provider default_tags put Environment and ManagedBy on every role
# the stacks create), so an account's other roles (OrganizationAccountAccessRole, SSO roles) cannot
# be re-trusted; a Deny keeps the CI roles out as well. iam:PassRole is not here: AWS evaluates no
# resource-tag condition for it (IAM user guide, "Granting a user permissions to pass a role to an
# AWS service"), so it would never be allowed. A service accepts a passed role only if the role
# trusts that service, and the deploy role can change the trust of tagged roles only.
TAGGED_ROLE_ACTIONS = (
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
)
ROLE_READ_ACTIONS = (
    "iam:GetRole",
    "iam:ListRoleTags",
    "iam:GetRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListPolicyVersions",
)
INSTANCE_PROFILE_ACTIONS = (
    "iam:CreateInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:GetInstanceProfile",
    "iam:AddRoleToInstanceProfile",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile",
)
OIDC_PROVIDER_ACTIONS = (
    "iam:GetOpenIDConnectProvider",
    "iam:CreateOpenIDConnectProvider",
    "iam:DeleteOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
)
ACCOUNT_PASSWORD_POLICY_ACTIONS = (
    "iam:GetAccountPasswordPolicy",
    "iam:UpdateAccountPasswordPolicy",
    "iam:DeleteAccountPasswordPolicy",
)
# Any change to a role: what nobody bounded may do to the CI roles.
ROLE_WRITE_ACTIONS = (
    "iam:Attach*",
    "iam:Detach*",
    "iam:Put*",
    "iam:Delete*",
    "iam:Update*",
    "iam:Tag*",
    "iam:Untag*",
    "iam:AddRoleToInstanceProfile",
    "iam:PassRole",
)
# Changing the boundary's text changes every role's ceiling at once.
POLICY_WRITE_ACTIONS = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
)
# Long-lived credentials and principals outside this model.
IDENTITY_ESCALATION_ACTIONS = (
    "iam:CreateUser",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:AddUserToGroup",
    "iam:AttachGroupPolicy",
    "iam:PutGroupPolicy",
    "iam:CreatePolicy",
)
# What `terraform plan` never needs and the plan role must never do: read data or secret values.
PLAN_DENIED_DATA_ACTIONS = (
    "secretsmanager:GetSecretValue",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "sqs:ReceiveMessage",
    "rds-data:ExecuteStatement",
    "rds-db:connect",
    "elasticache:Connect",
    "lambda:InvokeFunction",
    "ecs:ExecuteCommand",
    "ssm:StartSession",
    "ssm:GetCommandInvocation",
    "cognito-idp:AdminGetUser",
    "cognito-idp:ListUsers",
)
PLAN_DENIED_KEY_ACTIONS = ("kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")
# Parameter reads the plan needs (AMI IDs are plain Strings) stay; SecureString values need
# kms:Decrypt, which the plan role is denied, and the secret path is denied outright as well.
PLAN_DENIED_PARAMETER_ACTIONS = (
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
)


def subjects(ci: CiConfig, environment: str, *, production: bool) -> dict[str, list[str]]:
    """The OIDC `sub` claims each role trusts (GitHub subject template: repo, context, ref).

    Deploys: the GitHub environment of this name, on main. Plans: drift checks on main and, outside
    production, pull requests (whose ref is refs/pull/<n>/merge). Production is planned only from
    main, by the deploy job in the reviewer-gated prod environment.
    """
    repo = f"repo:{ci.github_repository}"
    plan = [f"{repo}:ref:{MAIN}:ref:{MAIN}"]
    if not production:
        plan.append(f"{repo}:pull_request:ref:refs/pull/*/merge")
    return {"deploy": [f"{repo}:environment:{environment}:ref:{MAIN}"], "plan": plan}


class GithubDeployAccess(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        ci: CiConfig,
        environment: str,
        account_id: str,
        production: bool,
        state_bucket_arn: str,
        lock_table_arn: str,
        state_key_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        provider_arn = f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"
        if ci.create_oidc_provider:
            provider = IamOpenidConnectProvider(
                self, "github-oidc", url=f"https://{GITHUB_OIDC_HOST}", client_id_list=[GITHUB_OIDC_AUDIENCE]
            )
            provider_arn = provider.arn
        claims = subjects(ci, environment, production=production)
        iam = f"arn:aws:iam::{account_id}"
        ci_roles = [ci.deploy_role.arn(account_id), ci.plan_role.arn(account_id)]
        boundary_policy_arn = f"{iam}:policy/{boundary_name(environment)}"
        self.boundary_arn = boundary_policy_arn

        def trust(kind: str):
            # StringLike because a pull request's ref carries its number; "*" matches only there.
            test = "StringLike" if any("*" in sub for sub in claims[kind]) else "StringEquals"
            return policy_document(
                self,
                f"{kind}-trust",
                [
                    Statement(
                        sid="GithubActionsOidc",
                        actions=["sts:AssumeRoleWithWebIdentity"],
                        resources=(),
                        principals={"Federated": [provider_arn]},
                        conditions=[
                            ("StringEquals", f"{GITHUB_OIDC_HOST}:aud", [GITHUB_OIDC_AUDIENCE]),
                            (test, f"{GITHUB_OIDC_HOST}:sub", claims[kind]),
                        ],
                    )
                ],
            )

        # What no bounded principal may do, whatever its own policies say: the boundary's denies,
        # repeated on the deploy role's own policy so that either alone holds.
        guard = [
            Statement(
                sid="NoRoleWithoutTheBoundary",
                effect="Deny",
                actions=[*BOUNDED_ROLE_ACTIONS, *BOUNDED_ATTACH_ACTIONS],
                resources=[f"{iam}:role/*"],
                conditions=[("StringNotEquals", "iam:PermissionsBoundary", [boundary_policy_arn])],
            ),
            Statement(sid="NoBoundaryRemoval", effect="Deny", actions=["iam:DeleteRolePermissionsBoundary"]),
            Statement(
                sid="OnlyListedManagedPolicies",
                effect="Deny",
                actions=["iam:AttachRolePolicy"],
                resources=[f"{iam}:role/*"],
                conditions=[("ArnNotEquals", "iam:PolicyARN", list(ATTACHABLE_MANAGED_POLICIES))],
            ),
            Statement(sid="CiRolesAreFixed", effect="Deny", actions=ROLE_WRITE_ACTIONS, resources=ci_roles),
            Statement(
                sid="BoundaryIsFixed", effect="Deny", actions=POLICY_WRITE_ACTIONS, resources=[boundary_policy_arn]
            ),
            Statement(sid="NoUsersKeysOrPolicies", effect="Deny", actions=IDENTITY_ESCALATION_ACTIONS),
        ]
        boundary_document = policy_document(
            self,
            "boundary-document",
            [
                # A boundary grants nothing; it caps what the role's own policies grant. The cap is
                # "everything" minus the escalation paths denied below.
                Statement(sid="PermissionsBoundaryCeiling", actions=["*"]),
                *guard,
            ],
        )
        self.boundary = IamPolicy(
            self,
            "boundary",
            name=boundary_name(environment),
            description=f"Permissions boundary of every role in {environment} (see docs/security.md)",
            policy=boundary_document.json,
        )

        self.deploy_role = IamRole(
            self,
            "deploy-role",
            name=ci.deploy_role.name,
            description=f"GitHub Actions deploys {environment} from {ci.github_repository}@main",
            assume_role_policy=trust("deploy").json,
            max_session_duration=ci.deploy_role.max_session_hours * 3600,
            permissions_boundary=self.boundary.arn,
        )
        IamRolePolicyAttachment(self, "deploy-power-user", role=self.deploy_role.name, policy_arn=DEPLOY_MANAGED_POLICY)
        deploy_iam = policy_document(
            self,
            "deploy-iam",
            [
                Statement(
                    sid="BoundedRoleChanges",
                    actions=BOUNDED_ROLE_ACTIONS,
                    resources=[f"{iam}:role/*"],
                    conditions=[("StringEquals", "iam:PermissionsBoundary", [boundary_policy_arn])],
                ),
                Statement(
                    sid="BoundedListedAttachments",
                    actions=BOUNDED_ATTACH_ACTIONS,
                    resources=[f"{iam}:role/*"],
                    conditions=[
                        ("StringEquals", "iam:PermissionsBoundary", [boundary_policy_arn]),
                        ("ArnEquals", "iam:PolicyARN", list(ATTACHABLE_MANAGED_POLICIES)),
                    ],
                ),
                Statement(
                    sid="ManageThisEnvironmentsRoles",
                    actions=TAGGED_ROLE_ACTIONS,
                    resources=[f"{iam}:role/*"],
                    conditions=[
                        ("StringEquals", "aws:ResourceTag/Environment", [environment]),
                        ("StringEquals", "aws:ResourceTag/ManagedBy", [MANAGED_BY]),
                    ],
                ),
                Statement(sid="PassRoles", actions=["iam:PassRole"], resources=[f"{iam}:role/*"]),
                Statement(sid="ReadRoles", actions=ROLE_READ_ACTIONS, resources=[f"{iam}:role/*", f"{iam}:policy/*"]),
                Statement(
                    sid="ManageInstanceProfiles",
                    actions=INSTANCE_PROFILE_ACTIONS,
                    resources=[f"{iam}:instance-profile/*"],
                ),
                Statement(
                    sid="CreateServiceLinkedRoles",
                    actions=["iam:CreateServiceLinkedRole"],
                    resources=[f"{iam}:role/aws-service-role/*"],
                ),
                Statement(
                    sid="ManageGithubOidcProvider",
                    actions=OIDC_PROVIDER_ACTIONS,
                    resources=[f"{iam}:oidc-provider/{GITHUB_OIDC_HOST}"],
                ),
                Statement(sid="ManagePasswordPolicy", actions=ACCOUNT_PASSWORD_POLICY_ACTIONS),
                *guard,
            ],
        )
        IamRolePolicy(self, "deploy-iam-policy", role=self.deploy_role.id, policy=deploy_iam.json)

        self.plan_role = IamRole(
            self,
            "plan-role",
            name=ci.plan_role.name,
            description=f"GitHub Actions plans {environment} (configuration and state) from {ci.github_repository}",
            assume_role_policy=trust("plan").json,
            max_session_duration=ci.plan_role.max_session_hours * 3600,
            permissions_boundary=self.boundary.arn,
        )
        IamRolePolicyAttachment(self, "plan-read-only", role=self.plan_role.name, policy_arn=PLAN_MANAGED_POLICY)
        state_objects = f"{state_bucket_arn}/{environment}/*"
        plan_lock = policy_document(
            self,
            "plan-lock",
            [
                Statement(
                    sid="TakeStateLock",
                    actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                    resources=[lock_table_arn],
                ),
                Statement(
                    sid="WriteLockFile",
                    actions=["s3:PutObject", "s3:DeleteObject"],
                    resources=[f"{state_bucket_arn}/{environment}/*.tflock"],
                ),
                Statement(
                    sid="UseStateKey",
                    actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    resources=[state_key_arn],
                ),
                # Explicit denies win over every allow, ReadOnlyAccess's and the keys' account-wide
                # kms:ViaService grants included: no object but this environment's state, no secret
                # or parameter value, no key but the state key, no table item but the lock.
                Statement(
                    sid="NoObjectDataButState",
                    effect="Deny",
                    actions=["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectTorrent"],
                    resources=[],
                    not_resources=[state_objects],
                ),
                Statement(
                    sid="NoDecryptButStateKey",
                    effect="Deny",
                    actions=PLAN_DENIED_KEY_ACTIONS,
                    resources=[],
                    not_resources=[state_key_arn],
                ),
                Statement(
                    sid="NoSecretParameters",
                    effect="Deny",
                    actions=PLAN_DENIED_PARAMETER_ACTIONS,
                    resources=[f"arn:aws:ssm:*:{account_id}:parameter/{environment}/{REFACTOR_PARAMETER_PATH}/*"],
                ),
                Statement(
                    sid="NoSecretOrDataValues",
                    effect="Deny",
                    actions=PLAN_DENIED_DATA_ACTIONS,
                    resources=[],
                    not_resources=[lock_table_arn],
                ),
            ],
        )
        IamRolePolicy(self, "plan-lock-policy", role=self.plan_role.id, policy=plan_lock.json)
