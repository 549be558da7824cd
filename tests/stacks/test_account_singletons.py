"""Account-and-region singletons in the baseline, and the principals every policy names (issue 10:
A3, B13, C18, C20, C24 and the systematic "Principals" check)."""

from __future__ import annotations

import json
import re

import pytest
from cdktf import App

from environments.loader import available_environments
from environments.schema import SERVICE_LINKED_ROLES
from stacks.shared.baseline import BaselineStack
from tests.helpers import resources, synth_stack

ENVS = available_environments()

# Principals AWS guarantees to exist, so a policy may name them without any stack creating them:
# - "*" (anyone; such statements carry conditions, checked by the guardrails);
# - the environment's own account root (arn:aws:iam::<account_id>:root);
# - the regional Elastic Load Balancing log-delivery account, which the provider's
#   aws_elb_service_account data source returns for the region (AWS-owned).
GUARANTEED_REFERENCES = ("${data.aws_elb_service_account.",)
# The same ELB log-delivery accounts written out, as AWS lists them for regions opened before
# August 2022 (docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
ELB_LOG_DELIVERY_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-central-1": "054676820928",
}
# References to principals created in the same stack, or (remote state) in an earlier one.
CREATED_REFERENCES = ("${aws_iam_role.", "${aws_iam_service_linked_role.", "${data.terraform_remote_state.")


def _principals(stack: dict) -> list[tuple[str, str]]:
    """(policy document address, AWS principal) for every AWS principal in the stack's policies."""
    found = []
    for name, doc in stack.get("data", {}).get("aws_iam_policy_document", {}).items():
        for statement in doc.get("statement", []):
            for principal in statement.get("principals", []):
                if principal["type"] == "AWS":
                    found.extend((f"data.aws_iam_policy_document.{name}", i) for i in principal["identifiers"])
    for resource_type in ("aws_kms_key", "aws_s3_bucket_policy", "aws_sns_topic_policy", "aws_sns_topic"):
        for name, resource in stack.get("resource", {}).get(resource_type, {}).items():
            policy = resource.get("policy")
            if isinstance(policy, str) and policy.lstrip().startswith("{"):
                for statement in json.loads(policy).get("Statement", []):
                    named = statement.get("Principal") or {}
                    aws = "*" if named == "*" else named.get("AWS", [])
                    found.extend((f"{resource_type}.{name}", i) for i in ([aws] if isinstance(aws, str) else aws))
    return found


def _created_role_arns(stack: dict, account: str) -> set[str]:
    arns = set()
    for role in resources(stack, "aws_iam_role"):
        if "name" in role:
            arns.add(f"arn:aws:iam::{account}:role{role.get('path', '/')}{role['name']}")
    for linked in resources(stack, "aws_iam_service_linked_role"):
        service = linked["aws_service_name"]
        arns.add(f"arn:aws:iam::{account}:role/aws-service-role/{service}/{SERVICE_LINKED_ROLES[service]}")
    return arns


def _dependencies(manifest: dict, name: str) -> set[str]:
    """Every stack that deploys before `name` because it depends on it (transitively)."""
    seen: set[str] = set()
    todo = list(manifest[name]["dependencies"])
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(manifest[dep]["dependencies"])
    return seen


@pytest.mark.parametrize("env_name", ENVS)
def test_every_principal_exists_before_its_policy(env_name, environments, manifest, stack_json):
    """KMS (and IAM) refuse a policy whose principal does not exist yet; moto does not check."""
    env = environments[env_name]
    account = env.account_id
    adopted = {
        f"arn:aws:iam::{account}:role/aws-service-role/{s}/{SERVICE_LINKED_ROLES[s]}"
        for s in env.baseline.adopt_service_linked_roles
    }
    problems = []
    for name in (n for n in manifest if n.startswith(f"{env_name}-")):
        stack = stack_json(name)
        earlier = set().union(*(_created_role_arns(stack_json(d), account) for d in _dependencies(manifest, name)))
        available = _created_role_arns(stack, account) | earlier | adopted
        for where, principal in _principals(stack):
            if principal == "*" or principal == f"arn:aws:iam::{account}:root":
                continue
            # An ELB log-delivery account, and only the one of the stack's own region.
            elb = {f"arn:aws:iam::{a}:root" for r, a in ELB_LOG_DELIVERY_ACCOUNTS.items() if name.endswith(r)}
            if principal in elb:
                continue
            if principal.startswith(GUARANTEED_REFERENCES + CREATED_REFERENCES):
                continue
            if re.fullmatch(rf"arn:aws:iam::{account}:role/.+", principal) and principal in available:
                continue
            problems.append(f"{name} {where}: {principal}")
    assert problems == []


@pytest.mark.parametrize("env_name", ENVS)
def test_service_linked_roles_are_made_once_in_the_primary_baseline(env_name, environments, manifest, stack_json):
    env = environments[env_name]
    primary = f"{env_name}-baseline-{env.primary_region}"
    (linked,) = resources(stack_json(primary), "aws_iam_service_linked_role")
    assert linked["aws_service_name"] == "autoscaling.amazonaws.com"
    for region in env.workload_regions[1:]:
        other = f"{env_name}-baseline-{region}"
        assert resources(stack_json(other), "aws_iam_service_linked_role") == []
        # IAM is global: every other region's baseline (and so its TableSleuth stack) comes after.
        assert primary in manifest[other]["dependencies"]
    for name in manifest:
        if name.startswith(f"{env_name}-tablesleuth-") and "-network-" not in name:
            assert primary in _dependencies(manifest, name)


@pytest.mark.parametrize("env_name", ENVS)
def test_api_gateway_account_role_lives_in_the_primary_baseline(env_name, environments, manifest, stack_json):
    env = environments[env_name]
    primary = f"{env_name}-baseline-{env.primary_region}"
    (account,) = resources(stack_json(primary), "aws_api_gateway_account")
    assert account["cloudwatch_role_arn"].startswith("${aws_iam_role.apigateway-logs-role")
    assert resources(stack_json(f"{env_name}-refactor-app"), "aws_api_gateway_account") == []
    assert primary in manifest[f"{env_name}-refactor-app"]["dependencies"]
    for region in env.workload_regions[1:]:
        assert resources(stack_json(f"{env_name}-baseline-{region}"), "aws_api_gateway_account") == []


@pytest.mark.parametrize("env_name", ENVS)
def test_log_buckets_expire_with_the_environment(env_name, environments, manifest, stack_json):
    days = environments[env_name].baseline.log_bucket_expiration_days
    log_buckets = 0
    for name in (n for n in manifest if n.startswith(f"{env_name}-")):
        stack = stack_json(name)
        sse_s3 = {
            e["bucket"]
            for e in resources(stack, "aws_s3_bucket_server_side_encryption_configuration")
            if e["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"
        }
        for lifecycle in resources(stack, "aws_s3_bucket_lifecycle_configuration"):
            expiry = [r["expiration"][0]["days"] for r in lifecycle["rule"] if r.get("expiration")]
            if lifecycle["bucket"] in sse_s3:
                log_buckets += 1
                assert expiry == [days], f"{name}: log bucket {lifecycle['bucket']}"
            else:
                assert expiry == [], f"{name}: data bucket {lifecycle['bucket']} must not expire current objects"
    assert log_buckets >= 3


def _baseline(environments, env_name: str, **baseline) -> dict:
    env = environments[env_name]
    env = env.model_copy(update={"baseline": env.baseline.model_copy(update=baseline)})
    stack = BaselineStack(App(), env=env, region=env.primary_region)
    return synth_stack(stack)


MONITOR = "arn:aws:ce::111111111111:anomalymonitor/0b7e8b35-aaaa-bbbb-cccc-1234567890ab"


def test_cost_anomaly_subscribes_to_an_existing_monitor(environments, stack_json):
    created = stack_json("dev-baseline-us-east-2")
    assert len(resources(created, "aws_ce_anomaly_monitor")) == 1

    stack = _baseline(environments, "dev", anomaly_monitor_arn=MONITOR)
    assert resources(stack, "aws_ce_anomaly_monitor") == []
    (subscription,) = resources(stack, "aws_ce_anomaly_subscription")
    assert subscription["monitor_arn_list"] == [MONITOR]


def test_session_preferences_are_imported_where_adopted(environments, stack_json):
    created = stack_json("dev-baseline-us-east-2")
    assert "import" not in created

    stack = _baseline(environments, "dev", adopt_session_preferences=["us-east-2"])
    (document,) = resources(stack, "aws_ssm_document")
    assert document["name"] == "SSM-SessionManagerRunShell"
    assert stack["import"] == [{"id": "SSM-SessionManagerRunShell", "to": "aws_ssm_document.session-preferences"}]


def test_adopted_service_linked_roles_are_not_created(environments):
    stack = _baseline(environments, "dev", adopt_service_linked_roles=["autoscaling.amazonaws.com"])
    assert resources(stack, "aws_iam_service_linked_role") == []
