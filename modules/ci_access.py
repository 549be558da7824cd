"""GitHub Actions' way into one environment's account: the GitHub OIDC provider and two roles.

    deploy role   assumable only by workflow jobs of `ci.github_repository` running in the GitHub
                  environment named like this environment (sub repo:<owner>/<name>:environment:<env>);
                  applies reviewed plans.
    plan role     assumable by pull-request jobs and by jobs on main (drift checks); read-only,
                  plus what a plan needs to take the state lock.

There are no access keys anywhere: a job exchanges its short-lived OIDC token for a session of at
most `max_session_hours`.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from environments.schema import CiConfig
from modules.iam import Statement, policy_document

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
# Everything but IAM, Organizations and Account management; IAM is granted below, scoped to this account.
DEPLOY_MANAGED_POLICY = "arn:aws:iam::aws:policy/PowerUserAccess"
PLAN_MANAGED_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
# What the stacks create in IAM: roles, their policies and instance profiles, and this OIDC provider.
DEPLOY_IAM_ACTIONS = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:GetRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:ListRoleTags",
    "iam:PassRole",
    "iam:PutRolePolicy",
    "iam:GetRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:ListRolePolicies",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:CreatePolicy",
    "iam:DeletePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListPolicyVersions",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
    "iam:CreateInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:GetInstanceProfile",
    "iam:AddRoleToInstanceProfile",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile",
    "iam:CreateServiceLinkedRole",
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


def subjects(ci: CiConfig, environment: str) -> dict[str, list[str]]:
    """The OIDC `sub` claims each role trusts."""
    repo = f"repo:{ci.github_repository}"
    return {
        "deploy": [f"{repo}:environment:{environment}"],
        "plan": [f"{repo}:pull_request", f"{repo}:ref:refs/heads/main"],
    }


class GithubDeployAccess(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        ci: CiConfig,
        environment: str,
        account_id: str,
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
        claims = subjects(ci, environment)

        def trust(kind: str):
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
                            ("StringEquals", f"{GITHUB_OIDC_HOST}:sub", claims[kind]),
                        ],
                    )
                ],
            )

        self.deploy_role = IamRole(
            self,
            "deploy-role",
            name=ci.deploy_role.name,
            description=f"GitHub Actions deploys {environment} from {ci.github_repository}",
            assume_role_policy=trust("deploy").json,
            max_session_duration=ci.deploy_role.max_session_hours * 3600,
        )
        IamRolePolicyAttachment(self, "deploy-power-user", role=self.deploy_role.name, policy_arn=DEPLOY_MANAGED_POLICY)
        deploy_iam = policy_document(
            self,
            "deploy-iam",
            [
                Statement(
                    sid="ManageWorkloadIam",
                    actions=DEPLOY_IAM_ACTIONS,
                    resources=[
                        f"arn:aws:iam::{account_id}:role/*",
                        f"arn:aws:iam::{account_id}:policy/*",
                        f"arn:aws:iam::{account_id}:instance-profile/*",
                        f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}",
                    ],
                ),
                Statement(sid="ManagePasswordPolicy", actions=ACCOUNT_PASSWORD_POLICY_ACTIONS),
            ],
        )
        IamRolePolicy(self, "deploy-iam-policy", role=self.deploy_role.id, policy=deploy_iam.json)

        self.plan_role = IamRole(
            self,
            "plan-role",
            name=ci.plan_role.name,
            description=f"GitHub Actions plans {environment} (read-only) from {ci.github_repository}",
            assume_role_policy=trust("plan").json,
            max_session_duration=ci.plan_role.max_session_hours * 3600,
        )
        IamRolePolicyAttachment(self, "plan-read-only", role=self.plan_role.name, policy_arn=PLAN_MANAGED_POLICY)
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
            ],
        )
        IamRolePolicy(self, "plan-lock-policy", role=self.plan_role.id, policy=plan_lock.json)
