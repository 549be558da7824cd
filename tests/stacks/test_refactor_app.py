"""The refactor service's app tier (<env>-refactor-app) and edge (<env>-refactor-edge) in every
environment, from the session's single synth: what each environment's config asks for, and the
controls every environment must have."""

from __future__ import annotations

import json
import re

import pytest
from cdktf_cdktf_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktf_cdktf_provider_aws.api_gateway_method_settings import ApiGatewayMethodSettings
from cdktf_cdktf_provider_aws.api_gateway_usage_plan import ApiGatewayUsagePlan
from cdktf_cdktf_provider_aws.cloudfront_distribution import CloudfrontDistribution
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.ecs_service import EcsService
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.wafv2_web_acl import Wafv2WebAcl
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation

from environments.loader import available_environments
from modules.waf import MANAGED_RULE_GROUPS
from tests.conftest import resources

ENVS = available_environments()
ALARMS = {
    "api-5xx-rate",
    "api-latency-p99",
    "ecs-cpu",
    "ecs-memory",
    "ecs-running-below-desired",
    "alb-unhealthy-hosts",
    "alb-target-5xx",
    "aurora-acu-near-max",
    "aurora-cpu",
    "lambda-errors",
    "lambda-throttles",
    "lambda-dlq-depth",
    "waf-blocked-spike",
}


def app(stack_json, env_name: str) -> dict:
    return stack_json(f"{env_name}-refactor-app")


def edge(stack_json, env_name: str) -> dict:
    return stack_json(f"{env_name}-refactor-edge")


def test_every_environment_has_the_app_and_edge_stacks(manifest):
    for env_name in ENVS:
        assert f"{env_name}-refactor-app" in manifest
        assert f"{env_name}-refactor-edge" in manifest


@pytest.mark.parametrize("env_name", ENVS)
def test_authorizer_on_every_non_options_method(env_name, stack_json):
    methods = resources(app(stack_json, env_name), ApiGatewayMethod.TF_RESOURCE_TYPE)
    guarded = [m for m in methods if m["http_method"] != "OPTIONS"]
    assert len(guarded) == 5 and len(methods) == 6
    for method in guarded:
        assert method["authorization"] == "COGNITO_USER_POOLS" and method["authorizer_id"]
        assert method["api_key_required"] is True
    (authorizer,) = resources(app(stack_json, env_name), "aws_api_gateway_authorizer")
    assert authorizer["type"] == "COGNITO_USER_POOLS"
    assert authorizer["provider_arns"][0].startswith("${aws_cognito_user_pool.")


@pytest.mark.parametrize("env_name", ENVS)
def test_cache_ttl_key_and_throttles_come_from_config(env_name, environments, stack_json):
    env = environments[env_name]
    stack = app(stack_json, env_name)
    settings = {s["method_path"]: s["settings"] for s in resources(stack, ApiGatewayMethodSettings.TF_RESOURCE_TYPE)}
    stage_wide = settings["*/*"]
    assert stage_wide["caching_enabled"] is env.api.cache.enabled
    assert stage_wide["cache_ttl_in_seconds"] == 300
    assert stage_wide["throttling_rate_limit"] == env.api.throttle.rate_limit
    assert stage_wide["throttling_burst_limit"] == env.api.throttle.burst_limit
    get = next(i for i in resources(stack, "aws_api_gateway_integration") if i.get("integration_http_method") == "GET")
    assert "method.request.querystring.id" in get["cache_key_parameters"]
    plans = {p["name"]: p for p in resources(stack, ApiGatewayUsagePlan.TF_RESOURCE_TYPE)}
    assert len(plans) == len(env.api.usage_plans)
    for tier in env.api.usage_plans:
        plan = plans[f"{env_name}-refactor-{tier.name}"]
        assert plan["throttle_settings"]["rate_limit"] == tier.throttle.rate_limit
        assert plan["throttle_settings"]["burst_limit"] == tier.throttle.burst_limit
        assert plan["quota_settings"] == {"limit": tier.quota.limit, "period": tier.quota.period}
    assert len(resources(stack, "aws_api_gateway_api_key")) == sum(len(t.api_keys) for t in env.api.usage_plans)


@pytest.mark.parametrize("env_name", ENVS)
def test_waf_is_on_the_stage_with_its_rules(env_name, environments, stack_json):
    env = environments[env_name]
    stack = app(stack_json, env_name)
    (acl,) = resources(stack, Wafv2WebAcl.TF_RESOURCE_TYPE)
    (association,) = resources(stack, Wafv2WebAclAssociation.TF_RESOURCE_TYPE)
    assert association["resource_arn"].startswith("${aws_api_gateway_stage.")
    assert association["web_acl_arn"].startswith("${aws_wafv2_web_acl.")
    rate = next(r for r in acl["rule"] if "rate_based_statement" in r["statement"])
    assert rate["statement"]["rate_based_statement"]["limit"] == env.api.waf.rate_limit
    groups = {r["statement"]["managed_rule_group_statement"]["name"] for r in acl["rule"] if "override_action" in r}
    assert groups == set(MANAGED_RULE_GROUPS)
    names = {r["name"] for r in acl["rule"]}
    assert ("block-listed-ips" in names) is bool(env.api.waf.block_cidrs)
    assert ("allow-listed-ips" in names) is bool(env.api.waf.allow_cidrs)


@pytest.mark.parametrize("env_name", ENVS)
def test_service_has_no_public_ip_rolls_back_and_uses_spot_only_outside_prod(env_name, environments, stack_json):
    env = environments[env_name]
    (service,) = resources(app(stack_json, env_name), EcsService.TF_RESOURCE_TYPE)
    assert service["network_configuration"]["assign_public_ip"] is False
    assert len(service["network_configuration"]["security_groups"]) == 2  # its own + the data tier's client SG
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    providers = {s["capacity_provider"] for s in service["capacity_provider_strategy"]}
    assert providers == ({"FARGATE", "FARGATE_SPOT"} if env.compute.use_spot else {"FARGATE"})
    assert ("FARGATE_SPOT" in providers) is (env_name != "prod")
    (policy,) = resources(app(stack_json, env_name), "aws_appautoscaling_policy") or [None]
    if env.compute.autoscaling.enabled:
        tracking = policy["target_tracking_scaling_policy_configuration"]
        assert tracking["target_value"] == env.compute.autoscaling.target_cpu_percent
        assert (
            tracking["predefined_metric_specification"]["predefined_metric_type"] == "ECSServiceAverageCPUUtilization"
        )
    else:
        assert env.local_aws and policy is None  # only the emulator goes without


def test_spot_is_used_in_dev():
    # The seed: spot for non-critical workloads. dev is the one that must use it.
    from environments.loader import load_environments

    assert load_environments(["dev"])[0].compute.use_spot is True


@pytest.mark.parametrize("env_name", ENVS)
def test_load_balancers_are_internal_and_protected_unless_disposable(env_name, environments, stack_json):
    # Staging too: only dev and the emulator are torn down (Environment.disposable).
    for lb in resources(app(stack_json, env_name), Lb.TF_RESOURCE_TYPE):
        assert lb["internal"] is True
        assert lb["enable_deletion_protection"] is (not environments[env_name].disposable)


@pytest.mark.parametrize("env_name", ENVS)
def test_document_processor_runs_in_the_vpc_traced_with_a_dlq(env_name, stack_json):
    stack = app(stack_json, env_name)
    (function,) = resources(stack, LambdaFunction.TF_RESOURCE_TYPE)
    assert function["tracing_config"] == {"mode": "Active"}
    assert function["logging_config"]["log_format"] == "JSON"
    assert len(function["vpc_config"]["security_group_ids"]) == 2
    assert function["reserved_concurrent_executions"] >= 1
    assert function["dead_letter_config"]["target_arn"].startswith("${aws_sqs_queue.")
    (notification,) = resources(stack, "aws_s3_bucket_notification")
    assert notification["lambda_function"][0]["filter_prefix"] == "uploads/"


@pytest.mark.parametrize("env_name", ENVS)
def test_every_alarm_notifies_the_topic(env_name, environments, stack_json):
    stack = app(stack_json, env_name)
    alarms = {a["alarm_name"]: a for a in resources(stack, CloudwatchMetricAlarm.TF_RESOURCE_TYPE)}
    assert set(alarms) == {f"{env_name}-refactor-{a}" for a in ALARMS}
    for alarm in alarms.values():
        assert alarm["alarm_actions"] == alarm["ok_actions"]
        (action,) = alarm["alarm_actions"]
        assert action.startswith("${aws_sns_topic.")
    (dashboard,) = resources(stack, "aws_cloudwatch_dashboard")
    for namespace in ("AWS/ApiGateway", "AWS/ECS", "AWS/RDS", "AWS/Lambda"):
        assert namespace in dashboard["dashboard_body"]
    queries = resources(stack, "aws_cloudwatch_query_definition")
    assert len(queries) == (4 if environments[env_name].api.saved_log_queries else 0)


@pytest.mark.parametrize("env_name", ENVS)
def test_every_log_group_is_encrypted_with_retention(env_name, stack_json):
    for stack in (app(stack_json, env_name), edge(stack_json, env_name)):
        for group in resources(stack, "aws_cloudwatch_log_group"):
            assert group["kms_key_id"] and group["retention_in_days"] > 0


@pytest.mark.parametrize("env_name", ENVS)
def test_edge_is_in_us_east_1_with_a_cloudfront_waf(env_name, environments, stack_json):
    env = environments[env_name]
    stack = edge(stack_json, env_name)
    assert stack["provider"]["aws"][0]["region"] == "us-east-1"
    (acl,) = resources(stack, Wafv2WebAcl.TF_RESOURCE_TYPE)
    assert acl["scope"] == "CLOUDFRONT"
    distributions = resources(stack, CloudfrontDistribution.TF_RESOURCE_TYPE)
    assert len(distributions) == (1 if env.edge.distribution else 0)
    for dist in distributions:
        assert dist["web_acl_id"].startswith("${aws_wafv2_web_acl.")
        assert dist["price_class"] == env.edge.price_class
        assert dist["viewer_certificate"]["minimum_protocol_version"] == "TLSv1.2_2021"


def test_only_local_ignores_the_vpc_link_round_trip(stack_json):
    for env_name in ENVS:
        integrations = resources(app(stack_json, env_name), "aws_api_gateway_integration")
        ignored = [i.get("lifecycle", {}).get("ignore_changes") for i in integrations if i["type"] == "HTTP_PROXY"]
        if env_name == "local":
            assert all(i and i[0] == "connection_id" for i in ignored)
        else:
            assert ignored == [None] * 5
        (service,) = resources(app(stack_json, env_name), EcsService.TF_RESOURCE_TYPE)
        expected = ["desired_count"] if env_name != "local" else None
        if expected:
            assert service["lifecycle"]["ignore_changes"] == expected
        (function,) = resources(app(stack_json, env_name), LambdaFunction.TF_RESOURCE_TYPE)
        # The emulator keeps dead-letter and logging config (scripts/moto_server.py), so no
        # environment needs to ignore them: a drift there is real everywhere.
        assert "lifecycle" not in function


@pytest.mark.parametrize("env_name", ENVS)
def test_no_secret_value_is_synthesized(env_name, stack_json):
    task = resources(app(stack_json, env_name), "aws_ecs_task_definition")[0]
    app_container = json.loads(task["container_definitions"])[0]
    assert {s["name"] for s in app_container["secrets"]} == {"GITHUB_TOKEN"}
    assert all("PASSWORD" not in e["name"] and "TOKEN" not in e["name"] for e in app_container["environment"])
    assert '"value"' not in json.dumps(resources(app(stack_json, env_name), "aws_api_gateway_api_key"))


@pytest.mark.parametrize("env_name", ENVS)
def test_app_connects_as_its_own_role_with_iam_tokens_never_the_master(env_name, environments, stack_json):
    """A7: no task definition references the Aurora master secret; the task role may connect only
    as the app's own database user."""
    stack = app(stack_json, env_name)
    rendered = json.dumps(stack)
    assert "master_user_secret" not in rendered and "database_secret_arn" not in rendered
    for task in resources(stack, "aws_ecs_task_definition"):
        for container in json.loads(task["container_definitions"]):
            assert all("DATABASE" not in s["name"] for s in container.get("secrets", []))
    app_container = json.loads(resources(stack, "aws_ecs_task_definition")[0]["container_definitions"])[0]
    env_vars = {e["name"]: e["value"] for e in app_container["environment"]}
    assert env_vars["DATABASE_IAM_AUTH"] == "true"
    user = environments[env_name].database.app_username
    assert env_vars["DATABASE_USERNAME"] == user != "app_admin"
    documents = stack["data"]["aws_iam_policy_document"]
    connect = [st for doc in documents.values() for st in doc.get("statement", []) if "rds-db:connect" in st["actions"]]
    (statement,) = connect
    (resource,) = statement["resources"]
    assert resource.endswith(f"/{user}") and ":dbuser:" in resource


def _acl_rules(stack: dict) -> list[dict]:
    (acl,) = resources(stack, Wafv2WebAcl.TF_RESOURCE_TYPE)
    return acl["rule"]


@pytest.mark.parametrize("env_name", ENVS)
def test_api_waf_counts_body_rules_and_blocks_bodies_over_the_backend_limit(env_name, environments, stack_json):
    """A9: SizeRestrictions_BODY (8 KB) and the XSS/file-inclusion body rules would block source
    code; they count, and a rule of our own blocks declared bodies over api.waf.max_body_bytes."""
    rules = {r["name"]: r for r in _acl_rules(app(stack_json, env_name))}
    common = rules["AWSManagedRulesCommonRuleSet"]["statement"]["managed_rule_group_statement"]
    counted = {o["name"] for o in common["rule_action_override"] if o["action_to_use"] == {"count": {}}}
    assert counted == {"SizeRestrictions_BODY", "CrossSiteScripting_BODY", "GenericLFI_BODY", "GenericRFI_BODY"}
    body = rules["body-over-backend-limit"]
    assert body["action"] == {"block": {}}
    statement = body["statement"]["regex_match_statement"]
    assert statement["field_to_match"] == {"single_header": {"name": "content-length"}}
    limit = environments[env_name].api.waf.max_body_bytes
    pattern = re.compile(statement["regex_string"])
    assert pattern.match(str(limit + 1)) and not pattern.match(str(limit))
    # It runs before the managed groups (a lower priority number is evaluated first).
    assert body["priority"] < rules["AWSManagedRulesCommonRuleSet"]["priority"]


@pytest.mark.parametrize("env_name", ENVS)
def test_edge_waf_keeps_the_common_rule_set_whole(env_name, stack_json):
    """Static assets take no bodies: the CloudFront ACL keeps every common rule blocking."""
    rules = {r["name"]: r for r in _acl_rules(edge(stack_json, env_name))}
    assert (
        "rule_action_override" not in rules["AWSManagedRulesCommonRuleSet"]["statement"]["managed_rule_group_statement"]
    )
    assert "body-over-backend-limit" not in rules


@pytest.mark.parametrize("env_name", ENVS)
def test_cloudfront_serves_ipv6_where_an_aaaa_alias_is_published(env_name, stack_json):
    """C26: the provider defaults is_ipv6_enabled to false, which leaves the AAAA alias empty."""
    stack = edge(stack_json, env_name)
    records = [r for r in resources(stack, "aws_route53_record") if r["type"] == "AAAA"]
    for dist in resources(stack, CloudfrontDistribution.TF_RESOURCE_TYPE):
        assert records and dist["is_ipv6_enabled"] is True


@pytest.mark.parametrize("env_name", ENVS)
def test_cloudfront_log_bucket_has_awss_documented_delivery_statements(env_name, environments, stack_json):
    """C22: without AWS's own AWSLogDeliveryWrite/AWSLogDeliveryAclCheck statements, CloudWatch Logs
    appends them on the first delivery and the bucket policy drifts."""
    env = environments[env_name]
    stack = edge(stack_json, env_name)
    bucket = f"arn:aws:s3:::{env.name}-refactor-edge-logs-{env.account_id}"
    statements = {
        st["sid"]: st
        for doc in stack["data"]["aws_iam_policy_document"].values()
        for st in doc.get("statement", [])
        if st.get("sid", "").startswith("AWSLogDelivery")
    }
    write, acl = statements["AWSLogDeliveryWrite"], statements["AWSLogDeliveryAclCheck"]
    for statement in (write, acl):
        assert statement["principals"] == [{"type": "Service", "identifiers": ["delivery.logs.amazonaws.com"]}]
        conditions = {(c["test"], c["variable"]): c["values"] for c in statement["condition"]}
        assert conditions[("StringEquals", "aws:SourceAccount")] == [env.account_id]
        assert conditions[("ArnLike", "aws:SourceArn")] == [
            f"arn:aws:logs:us-east-1:{env.account_id}:delivery-source:*"
        ]
    assert write["actions"] == ["s3:PutObject"]
    assert write["resources"] == [f"{bucket}/cloudfront/AWSLogs/{env.account_id}/*"]
    write_conditions = {(c["test"], c["variable"]): c["values"] for c in write["condition"]}
    assert write_conditions[("StringEquals", "s3:x-amz-acl")] == ["bucket-owner-full-control"]
    assert acl["actions"] == ["s3:GetBucketAcl"] and acl["resources"] == [bucket]


@pytest.mark.parametrize("env_name", ENVS)
def test_user_pool_tier_is_ignored_only_on_the_emulator(env_name, environments, stack_json):
    """A4: every pool states its tier; moto drops UserPoolTier on read, so only local ignores it."""
    (pool,) = resources(app(stack_json, env_name), "aws_cognito_user_pool")
    assert pool["user_pool_tier"] == environments[env_name].api.cognito.feature_plan
    ignored = pool.get("lifecycle", {}).get("ignore_changes")
    assert ignored == (["user_pool_tier"] if environments[env_name].local_aws else None)
