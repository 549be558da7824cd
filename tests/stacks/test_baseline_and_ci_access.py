"""The baseline stack of every environment and the CI access in bootstrap, as synthesized."""

from __future__ import annotations

import json

import pytest

from environments.loader import available_environments
from scripts import manifest as synthesized
from tests.helpers import resources

ENVS = available_environments()


@pytest.mark.parametrize("env_name", ENVS)
def test_one_baseline_per_workload_region_and_only_its_users_wait_for_it(env_name, environments, manifest, synth_dir):
    """The stacks that use what a baseline makes deploy after it: refactor-app (API Gateway's
    account logging role) and each TableSleuth host (its region's Session Manager log group and
    key, the Auto Scaling service-linked role). Networks, data and edge use nothing of it, and
    waiting put a whole baseline apply on the deploy's longest chain."""
    env = environments[env_name]
    baselines = sorted(n for n in manifest if n.startswith(f"{env_name}-baseline-"))
    assert baselines == sorted(f"{env_name}-baseline-{r}" for r in env.workload_regions)
    order = [s.name for s in synthesized.deploy_order(synthesized.load(synth_dir), env_name)]
    primary = f"{env_name}-baseline-{env.primary_region}"
    users = {f"{env_name}-refactor-app": primary} | {
        f"{env_name}-tablesleuth-{r}": f"{env_name}-baseline-{r}" for r in env.networks.get("tablesleuth", {})
    }
    for user, baseline in users.items():
        assert baseline in manifest[user]["dependencies"], user
        assert order.index(baseline) < order.index(user), user
    for name in manifest:
        if name.startswith(f"{env_name}-") and ("-network-" in name or name.endswith(("-refactor-data", "-edge"))):
            assert not [d for d in manifest[name]["dependencies"] if "-baseline-" in d], name


@pytest.mark.parametrize("env_name", ENVS)
def test_regional_singletons(env_name, environments, stack_json):
    env = environments[env_name]
    stack = stack_json(f"{env_name}-baseline-{env.primary_region}")
    (recorder,) = resources(stack, "aws_config_configuration_recorder")
    assert recorder["recording_group"]["all_supported"] is True
    assert recorder["recording_group"]["include_global_resource_types"] is True  # primary region
    (channel,) = resources(stack, "aws_config_delivery_channel")
    assert channel["s3_kms_key_arn"].startswith("${aws_kms_key.")
    (status,) = resources(stack, "aws_config_configuration_recorder_status")
    assert status["is_enabled"] is True
    rules = {r["source"]["source_identifier"] for r in resources(stack, "aws_config_config_rule")}
    assert rules == {"EC2_EBS_ENCRYPTION_BY_DEFAULT", "VPC_FLOW_LOGS_ENABLED"}
    (ebs,) = resources(stack, "aws_ebs_encryption_by_default")
    assert ebs["enabled"] is True
    (ebs_key,) = resources(stack, "aws_ebs_default_kms_key")
    assert ebs_key["key_arn"].startswith("${aws_kms_key.")
    (document,) = resources(stack, "aws_ssm_document")
    assert document["name"] == "SSM-SessionManagerRunShell"
    assert document["document_type"] == "Session"
    assert '"cloudWatchEncryptionEnabled" = true' in document["content"]
    assert '"kmsKeyId" = aws_kms_key.session-log-key_' in document["content"]
    (log_group,) = resources(stack, "aws_cloudwatch_log_group")
    assert log_group["kms_key_id"].startswith("${aws_kms_key.")
    assert log_group["retention_in_days"] == env.baseline.session_log_retention_days


@pytest.mark.parametrize("env_name", ENVS)
def test_config_records_everything_and_global_types_exactly_once(env_name, environments, stack_json):
    env = environments[env_name]
    recording = {}
    for region in env.workload_regions:
        (recorder,) = resources(stack_json(f"{env_name}-baseline-{region}"), "aws_config_configuration_recorder")
        assert recorder["recording_group"]["all_supported"] is True, region
        recording[region] = recorder["recording_group"]["include_global_resource_types"]
    assert [r for r, records_global in recording.items() if records_global] == [env.primary_region]


@pytest.mark.parametrize("env_name", ENVS)
def test_account_wide_singletons_only_in_the_primary_region(env_name, environments, stack_json):
    env = environments[env_name]
    stack = stack_json(f"{env_name}-baseline-{env.primary_region}")
    (password,) = resources(stack, "aws_iam_account_password_policy")
    assert password["minimum_password_length"] >= 14
    assert all(password[k] for k in ("require_symbols", "require_numbers", "require_uppercase_characters"))
    budgets = resources(stack, "aws_budgets_budget")
    monitors = resources(stack, "aws_ce_anomaly_monitor")
    if env.local_aws:
        assert monitors == []  # the emulator has no anomaly API (local.yaml says so)
    else:
        (budget,) = budgets
        assert float(budget["limit_amount"]) == env.baseline.monthly_budget_usd
        notified = {e for n in budget["notification"] for e in n["subscriber_email_addresses"]}
        assert notified == set(env.baseline.alert_emails)
        (monitor,) = monitors
        assert monitor["monitor_dimension"] == "SERVICE"
        (subscription,) = resources(stack, "aws_ce_anomaly_subscription")
        assert {s["address"] for s in subscription["subscriber"]} == set(env.baseline.alert_emails)


@pytest.mark.parametrize("env_name", ENVS)
def test_github_oidc_roles_trust_only_this_repository(env_name, environments, stack_json):
    env = environments[env_name]
    stack = stack_json(f"{env_name}-bootstrap")
    (provider,) = resources(stack, "aws_iam_openid_connect_provider")
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    assert provider["client_id_list"] == ["sts.amazonaws.com"]
    roles = {r["name"]: r for r in resources(stack, "aws_iam_role")}
    assert set(roles) == {env.ci.deploy_role.name, env.ci.plan_role.name}
    documents = stack["data"]["aws_iam_policy_document"]
    repo = env.ci.github_repository
    subs = {}
    for role in roles.values():
        document_name = role["assume_role_policy"].split(".")[2]
        (statement,) = documents[document_name]["statement"]
        assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
        assert statement["principals"][0]["type"] == "Federated"
        conditions = {c["variable"]: (c["test"], c["values"]) for c in statement["condition"]}
        assert conditions["token.actions.githubusercontent.com:aud"] == ("StringEquals", ["sts.amazonaws.com"])
        subs[role["name"]] = conditions["token.actions.githubusercontent.com:sub"]
    # Subject template repo, context, ref (docs/security.md): the branch is part of every subject.
    assert subs[env.ci.deploy_role.name] == (
        "StringEquals",
        [f"repo:{repo}:environment:{env_name}:ref:refs/heads/main"],
    )
    main = f"repo:{repo}:ref:refs/heads/main:ref:refs/heads/main"
    if env.is_production:
        # Production is planned only from main: no pull request gets near its data.
        assert subs[env.ci.plan_role.name] == ("StringEquals", [main])
    else:
        assert subs[env.ci.plan_role.name] == ("StringLike", [main, f"repo:{repo}:pull_request:ref:refs/pull/*/merge"])
    # No long-lived keys anywhere.
    assert "aws_iam_access_key" not in json.dumps(stack)
