"""Constructs of the refactor service's app tier and edge, each synthesized on its own."""

from __future__ import annotations

import json

import pytest
from cdktf_cdktf_provider_aws.api_gateway_api_key import ApiGatewayApiKey
from cdktf_cdktf_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktf_cdktf_provider_aws.api_gateway_gateway_response import ApiGatewayGatewayResponse
from cdktf_cdktf_provider_aws.api_gateway_integration import ApiGatewayIntegration
from cdktf_cdktf_provider_aws.api_gateway_integration_response import ApiGatewayIntegrationResponse
from cdktf_cdktf_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktf_cdktf_provider_aws.api_gateway_method_response import ApiGatewayMethodResponse
from cdktf_cdktf_provider_aws.api_gateway_method_settings import ApiGatewayMethodSettings
from cdktf_cdktf_provider_aws.api_gateway_usage_plan import ApiGatewayUsagePlan
from cdktf_cdktf_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktf_cdktf_provider_aws.cloudfront_distribution import CloudfrontDistribution
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_query_definition import CloudwatchQueryDefinition
from cdktf_cdktf_provider_aws.cognito_user_pool import CognitoUserPool
from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository
from cdktf_cdktf_provider_aws.ecs_service import EcsService
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from cdktf_cdktf_provider_aws.lb_target_group_attachment import LbTargetGroupAttachment
from cdktf_cdktf_provider_aws.route53_record import Route53Record
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from cdktf_cdktf_provider_aws.wafv2_ip_set import Wafv2IpSet
from cdktf_cdktf_provider_aws.wafv2_web_acl import Wafv2WebAcl
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import Wafv2WebAclLoggingConfiguration

from environments.schema import (
    ApiCacheConfig,
    ComputeConfig,
    QuotaConfig,
    SpotConfig,
    ThrottleConfig,
    UsagePlanConfig,
)
from modules.certificate import DnsValidatedCertificate
from modules.cognito import UserPool
from modules.container_service import ContainerSecret, ContainerService
from modules.iam import Statement
from modules.load_balancer import TLS13_POLICY, PrivateLoadBalancer
from modules.monitoring import Monitoring
from modules.rest_api import PrivateRestApi
from modules.static_site import StaticSite
from modules.storage import SecureBucket
from modules.waf import MANAGED_RULE_GROUPS, WebAcl
from tests.helpers import ACCOUNT, KEY, resources, scratch_stack, synth_stack

# --- WAF ---------------------------------------------------------------------------------------


def _waf(**kwargs) -> dict:
    stack = scratch_stack()
    acl = WebAcl(
        stack,
        "waf",
        name="dev-x-api",
        waf_scope="REGIONAL",
        rate_limit=1234,
        log_kms_key_arn=KEY,
        log_retention_days=30,
        **kwargs,
    )
    acl.associate("stage", resource_arn="arn:aws:apigateway:us-east-2::/restapis/a/stages/v1")
    return synth_stack(stack)


def test_waf_rate_limits_per_ip_and_runs_every_managed_group_with_its_own_priority():
    out = _waf()
    (acl,) = resources(out, Wafv2WebAcl.TF_RESOURCE_TYPE)
    rules = acl["rule"]
    rate = next(r for r in rules if "rate_based_statement" in r["statement"])
    assert rate["statement"]["rate_based_statement"] == {"limit": 1234, "aggregate_key_type": "IP"}
    assert rate["action"] == {"block": {}}
    managed = [r["statement"]["managed_rule_group_statement"]["name"] for r in rules if "override_action" in r]
    assert managed == list(MANAGED_RULE_GROUPS)
    assert len({r["priority"] for r in rules}) == len(rules)
    assert acl["default_action"] == {"allow": {}} and acl["scope"] == "REGIONAL"
    # No lists configured, no IP sets and no empty rules.
    assert resources(out, Wafv2IpSet.TF_RESOURCE_TYPE) == []


def test_waf_allow_list_is_evaluated_before_the_block_list_and_the_rate_limit():
    out = _waf(allow_cidrs=["203.0.113.0/24"], block_cidrs=["198.51.100.0/24"])
    rules = sorted(resources(out, Wafv2WebAcl.TF_RESOURCE_TYPE)[0]["rule"], key=lambda r: r["priority"])
    assert [r["name"] for r in rules[:3]] == ["allow-listed-ips", "block-listed-ips", "rate-limit-per-ip"]
    assert rules[0]["action"] == {"allow": {}} and rules[1]["action"] == {"block": {}}
    addresses = sorted(s["addresses"][0] for s in resources(out, Wafv2IpSet.TF_RESOURCE_TYPE))
    assert addresses == ["198.51.100.0/24", "203.0.113.0/24"]


def test_waf_logs_to_an_encrypted_waf_prefixed_group_without_credentials_and_associates():
    out = _waf()
    (group,) = resources(out, CloudwatchLogGroup.TF_RESOURCE_TYPE)
    assert group["name"] == "aws-waf-logs-dev-x-api" and group["kms_key_id"] == KEY
    (logging,) = resources(out, Wafv2WebAclLoggingConfiguration.TF_RESOURCE_TYPE)
    assert {f["single_header"]["name"] for f in logging["redacted_fields"]} == {"authorization", "x-api-key"}
    (association,) = resources(out, Wafv2WebAclAssociation.TF_RESOURCE_TYPE)
    assert association["resource_arn"].endswith("/stages/v1")


# --- load balancers ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lb_out() -> dict:
    stack = scratch_stack()
    logs = SecureBucket(stack, "logs", bucket_name="alb-logs", account_id=ACCOUNT, kms_key_arn=None)
    PrivateLoadBalancer(
        stack,
        "lb",
        name="dev-x",
        vpc_id="vpc-1",
        vpc_cidr="10.20.0.0/16",
        subnet_ids=["subnet-a", "subnet-b"],
        certificate_arn="arn:aws:acm:us-east-2:111111111111:certificate/c",
        access_logs=logs,
        access_log_prefix="alb",
        target_port=8080,
        health_check_path="/health",
        deletion_protection=True,
    )
    return synth_stack(stack)


def test_alb_is_internal_drops_bad_headers_logs_and_is_protected(lb_out):
    lbs = {lb["load_balancer_type"]: lb for lb in resources(lb_out, Lb.TF_RESOURCE_TYPE)}
    alb, nlb = lbs["application"], lbs["network"]
    assert alb["internal"] is True and nlb["internal"] is True
    assert alb["drop_invalid_header_fields"] is True
    assert alb["access_logs"]["enabled"] is True and alb["access_logs"]["prefix"] == "alb"
    assert alb["enable_deletion_protection"] is True and nlb["enable_deletion_protection"] is True


def test_nlb_keeps_no_access_logs_it_could_never_fill(lb_out):
    """B12: an NLB logs only TLS connections; this one is a TCP pass-through to the ALB, whose logs
    record every request. Nothing should pretend otherwise."""
    (nlb,) = [lb for lb in resources(lb_out, Lb.TF_RESOURCE_TYPE) if lb["load_balancer_type"] == "network"]
    assert "access_logs" not in nlb
    listeners = [li for li in resources(lb_out, LbListener.TF_RESOURCE_TYPE) if "nlb" in li["load_balancer_arn"]]
    assert listeners and all(li["protocol"] == "TCP" for li in listeners)  # no TLS listener to log


def test_https_uses_tls13_and_http_only_redirects(lb_out):
    listeners = {(li["port"], li["protocol"]): li for li in resources(lb_out, LbListener.TF_RESOURCE_TYPE)}
    assert listeners[(443, "HTTPS")]["ssl_policy"] == TLS13_POLICY
    (redirect,) = listeners[(80, "HTTP")]["default_action"]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}
    assert listeners[(443, "TCP")]["default_action"][0]["type"] == "forward"


def test_nlb_forwards_to_the_alb_through_an_alb_type_target_group(lb_out):
    groups = {tg["target_type"]: tg for tg in resources(lb_out, LbTargetGroup.TF_RESOURCE_TYPE)}
    assert groups["alb"]["protocol"] == "TCP" and groups["alb"]["port"] == 443
    assert groups["ip"]["port"] == 8080 and groups["ip"]["health_check"]["path"] == "/health"
    (attachment,) = resources(lb_out, LbTargetGroupAttachment.TF_RESOURCE_TYPE)
    assert attachment["target_id"].startswith("${aws_lb.") and any("https" in d for d in attachment["depends_on"])


def test_alb_admits_only_the_vpc(lb_out):
    rules = resources(lb_out, VpcSecurityGroupIngressRule.TF_RESOURCE_TYPE)
    assert {r["from_port"] for r in rules} == {80, 443}
    assert {r["cidr_ipv4"] for r in rules} == {"10.20.0.0/16"}


# --- Cognito -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("mfa", "advanced", "plan"), [("ON", True, "PLUS"), ("OFF", False, "ESSENTIALS")])
def test_user_pool_mfa_and_advanced_security_follow_config(mfa, advanced, plan):
    stack = scratch_stack()
    UserPool(
        stack,
        "u",
        name="x",
        mfa=mfa,
        advanced_security=advanced,
        feature_plan=plan,
        password_min_length=14,
        deletion_protection=True,
    )
    (pool,) = resources(synth_stack(stack), CognitoUserPool.TF_RESOURCE_TYPE)
    assert pool["mfa_configuration"] == mfa
    # A4: the tier is always stated; threat protection comes only with PLUS.
    assert pool["user_pool_tier"] == plan
    assert "email_configuration" not in pool  # no SES identity given: Cognito's default sender
    assert ("software_token_mfa_configuration" in pool) is (mfa != "OFF")
    assert pool.get("user_pool_add_ons", {}).get("advanced_security_mode") == ("ENFORCED" if advanced else None)
    policy = pool["password_policy"]
    assert policy["minimum_length"] == 14 and all(
        policy[k] for k in ("require_lowercase", "require_uppercase", "require_numbers", "require_symbols")
    )
    assert pool["admin_create_user_config"]["allow_admin_create_user_only"] is True
    assert pool["deletion_protection"] == "ACTIVE"


def test_threat_protection_without_plus_is_refused_atsynth_stack():
    """A4: AWS answers FeatureUnavailableInTierException; the construct refuses it first."""
    with pytest.raises(ValueError, match="PLUS"):
        UserPool(
            scratch_stack(),
            "u",
            name="x",
            mfa="ON",
            advanced_security=True,
            feature_plan="ESSENTIALS",
            password_min_length=14,
            deletion_protection=True,
        )


def test_user_pool_sends_mail_through_the_configured_ses_identity():
    """C25: DEVELOPER sending through a verified SES identity, not Cognito's capped default."""
    from environments.schema import CognitoEmailConfig

    stack = scratch_stack()
    identity = "arn:aws:ses:us-east-2:111111111111:identity/example.com"
    UserPool(
        stack,
        "u",
        name="x",
        mfa="ON",
        advanced_security=True,
        feature_plan="PLUS",
        password_min_length=14,
        deletion_protection=True,
        email=CognitoEmailConfig(source_arn=identity, from_address="App <no-reply@example.com>"),
    )
    (pool,) = resources(synth_stack(stack), CognitoUserPool.TF_RESOURCE_TYPE)
    assert pool["email_configuration"] == {
        "email_sending_account": "DEVELOPER",
        "source_arn": identity,
        "from_email_address": "App <no-reply@example.com>",
    }


# --- REST API ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_out() -> dict:
    stack = scratch_stack()
    PrivateRestApi(
        stack,
        "api",
        name="dev-x",
        stage_name="v1",
        nlb_arn="arn:aws:elasticloadbalancing:us-east-2:111111111111:loadbalancer/net/x/1",
        backend_host="internal-api.example.com",
        user_pool_arn="arn:aws:cognito-idp:us-east-2:111111111111:userpool/p",
        cors_origin="https://static.example.com",
        throttle=ThrottleConfig(rate_limit=100, burst_limit=200),
        cache=ApiCacheConfig(enabled=True, size_gb="0.5", ttl_seconds=300),
        usage_plans=[
            UsagePlanConfig(
                name="free",
                throttle=ThrottleConfig(rate_limit=5, burst_limit=10),
                quota=QuotaConfig(limit=1000, period="DAY"),
                api_keys=["tester"],
            )
        ],
        log_kms_key_arn=KEY,
        log_retention_days=30,
        domain_name="api.example.com",
        certificate_arn="arn:aws:acm:us-east-2:111111111111:certificate/c",
        zone_id="Z1",
    )
    return synth_stack(stack)


def test_every_method_but_options_needs_a_cognito_token_and_an_api_key(api_out):
    methods = resources(api_out, ApiGatewayMethod.TF_RESOURCE_TYPE)
    assert {m["http_method"] for m in methods} == {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
    for method in methods:
        assert method["request_validator_id"].startswith("${aws_api_gateway_request_validator.")
        if method["http_method"] == "OPTIONS":
            assert method["authorization"] == "NONE"
            continue
        assert method["authorization"] == "COGNITO_USER_POOLS"
        assert method["authorizer_id"].startswith("${aws_api_gateway_authorizer.")
        assert method["api_key_required"] is True


def test_integrations_reach_the_backend_through_the_vpc_link_and_get_caches_on_id(api_out):
    by_type = [i for i in resources(api_out, ApiGatewayIntegration.TF_RESOURCE_TYPE) if i["type"] == "HTTP_PROXY"]
    assert len(by_type) == 5
    for integration in by_type:
        assert integration["connection_type"] == "VPC_LINK"
        assert integration["connection_id"].startswith("${aws_api_gateway_vpc_link.")
        assert integration["uri"] == "https://internal-api.example.com/{proxy}"
    get = next(i for i in by_type if i["integration_http_method"] == "GET")
    assert "method.request.querystring.id" in get["cache_key_parameters"]
    assert all("cache_key_parameters" not in i for i in by_type if i["integration_http_method"] != "GET")


def test_get_cache_is_keyed_per_caller(api_out):
    """B10: the cache key includes the Authorization header, declared on the GET method, so one
    user's cached response is never served to another."""
    get = next(
        i
        for i in resources(api_out, ApiGatewayIntegration.TF_RESOURCE_TYPE)
        if i["type"] == "HTTP_PROXY" and i["integration_http_method"] == "GET"
    )
    assert "method.request.header.Authorization" in get["cache_key_parameters"]
    method = next(m for m in resources(api_out, ApiGatewayMethod.TF_RESOURCE_TYPE) if m["http_method"] == "GET")
    # API Gateway uses a cache key parameter only when the method declares it.
    assert set(get["cache_key_parameters"]) <= set(method["request_parameters"])


CORS_ORIGIN = "'https://static.example.com'"


def test_preflight_answers_with_the_static_site_origin(api_out):
    """C19a: browsers refuse a preflight without Access-Control-Allow-Origin."""
    (integration_response,) = resources(api_out, ApiGatewayIntegrationResponse.TF_RESOURCE_TYPE)
    params = integration_response["response_parameters"]
    assert params["method.response.header.Access-Control-Allow-Origin"] == CORS_ORIGIN
    assert "Authorization" in params["method.response.header.Access-Control-Allow-Headers"]
    (method_response,) = resources(api_out, ApiGatewayMethodResponse.TF_RESOURCE_TYPE)
    assert set(method_response["response_parameters"]) == set(params)


def test_deployment_follows_and_redeploys_on_the_preflight_and_gateway_responses(api_out):
    """C19b: the snapshot must include the OPTIONS mock and its responses, and change with them."""
    (deployment,) = resources(api_out, ApiGatewayDeployment.TF_RESOURCE_TYPE)
    trigger = deployment["triggers"]["redeployment"]
    for kind in (
        ApiGatewayMethodResponse.TF_RESOURCE_TYPE,
        ApiGatewayIntegrationResponse.TF_RESOURCE_TYPE,
        ApiGatewayGatewayResponse.TF_RESOURCE_TYPE,
    ):
        for logical_id in api_out["resource"][kind]:
            assert f"{kind}.{logical_id}" in deployment["depends_on"]
            assert f"{kind}.{logical_id}.id" in trigger
    options = next(
        k for k, m in api_out["resource"][ApiGatewayMethod.TF_RESOURCE_TYPE].items() if m["http_method"] == "OPTIONS"
    )
    assert f"{ApiGatewayMethod.TF_RESOURCE_TYPE}.{options}" in deployment["depends_on"]
    assert f"{ApiGatewayMethod.TF_RESOURCE_TYPE}.{options}.id" in trigger


def test_gateway_errors_carry_cors_headers(api_out):
    """C19c: the gateway's own 401/403/429/5XX reach the browser as statuses, not CORS failures."""
    responses = {r["response_type"]: r for r in resources(api_out, ApiGatewayGatewayResponse.TF_RESOURCE_TYPE)}
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses.values():
        assert response["response_parameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == CORS_ORIGIN


def test_stage_caches_get_for_five_minutes_and_throttles_but_never_caches_writes(api_out):
    settings = {s["method_path"]: s["settings"] for s in resources(api_out, ApiGatewayMethodSettings.TF_RESOURCE_TYPE)}
    stage_wide = settings["*/*"]
    assert stage_wide["caching_enabled"] is True and stage_wide["cache_ttl_in_seconds"] == 300
    assert stage_wide["cache_data_encrypted"] is True
    assert (stage_wide["throttling_rate_limit"], stage_wide["throttling_burst_limit"]) == (100, 200)
    assert stage_wide["metrics_enabled"] is True and stage_wide["data_trace_enabled"] is False
    for verb in ("POST", "PUT", "PATCH", "DELETE"):
        assert settings[f"{{proxy+}}/{verb}"]["caching_enabled"] is False
    (stage,) = api_out["resource"]["aws_api_gateway_stage"].values()
    assert stage["xray_tracing_enabled"] is True and stage["cache_cluster_enabled"] is True
    assert json.loads(stage["access_log_settings"]["format"])["requestId"] == "$context.requestId"


def test_usage_plan_throttles_and_meters_and_keys_are_generated_by_aws(api_out):
    (plan,) = resources(api_out, ApiGatewayUsagePlan.TF_RESOURCE_TYPE)
    assert plan["throttle_settings"] == {"rate_limit": 5, "burst_limit": 10}
    assert plan["quota_settings"] == {"limit": 1000, "period": "DAY"}
    (key,) = resources(api_out, ApiGatewayApiKey.TF_RESOURCE_TYPE)
    assert "value" not in key


def test_custom_domain_is_tls12_regional_and_aliased(api_out):
    (domain,) = api_out["resource"]["aws_api_gateway_domain_name"].values()
    assert domain["security_policy"] == "TLS_1_2" and domain["endpoint_configuration"]["types"] == ["REGIONAL"]
    (alias,) = resources(api_out, Route53Record.TF_RESOURCE_TYPE)
    assert alias["name"] == "api.example.com" and alias["alias"]["name"].endswith(".regional_domain_name}")


# --- containers --------------------------------------------------------------------------------


def _service(use_spot: bool) -> dict:
    stack = scratch_stack()
    ContainerService(
        stack,
        "svc",
        name="dev-x",
        region="us-east-2",
        compute=ComputeConfig(
            cpu=512, memory=1024, min_tasks=1, max_tasks=4, use_spot=use_spot, spot=SpotConfig(spot_weight=3)
        ),
        image_tag="v1",
        container_port=8080,
        vpc_id="vpc-1",
        vpc_cidr="10.20.0.0/16",
        subnet_ids=["subnet-a"],
        extra_security_group_ids=["sg-data"],
        load_balancer_security_group_id="sg-alb",
        target_group_arn="arn:tg",
        kms_key_arn=KEY,
        environment={"DATABASE_HOST": "db.example"},
        secrets=[ContainerSecret(name="DATABASE_PASSWORD", value_from="arn:secret:password::")],
        secret_arns=["arn:aws:secretsmanager:us-east-2:111111111111:secret:db"],
        parameter_arns=["arn:aws:ssm:us-east-2:111111111111:parameter/gh"],
        secrets_kms_key_arn=KEY,
        task_statements=[Statement(sid="Docs", actions=["s3:GetObject"], resources=["arn:aws:s3:::docs/*"])],
    )
    return synth_stack(stack)


@pytest.fixture(scope="module")
def spot_service() -> dict:
    return _service(use_spot=True)


def test_service_is_private_with_a_rolling_back_circuit_breaker(spot_service):
    (service,) = resources(spot_service, EcsService.TF_RESOURCE_TYPE)
    assert service["network_configuration"]["assign_public_ip"] is False
    assert "sg-data" in service["network_configuration"]["security_groups"]
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["load_balancer"][0]["container_port"] == 8080


def test_spot_runs_an_on_demand_base_and_on_demand_only_uses_fargate(spot_service):
    (service,) = resources(spot_service, EcsService.TF_RESOURCE_TYPE)
    strategy = {s["capacity_provider"]: s for s in service["capacity_provider_strategy"]}
    assert strategy["FARGATE"]["base"] == 1 and strategy["FARGATE_SPOT"]["weight"] == 3
    (on_demand,) = resources(_service(use_spot=False), EcsService.TF_RESOURCE_TYPE)
    assert [s["capacity_provider"] for s in on_demand["capacity_provider_strategy"]] == ["FARGATE"]


def test_credentials_reach_the_container_only_as_secrets(spot_service):
    (task,) = resources(spot_service, EcsTaskDefinition.TF_RESOURCE_TYPE)
    app = next(c for c in json.loads(task["container_definitions"]) if c["name"] == "app")
    assert app["secrets"] == [{"name": "DATABASE_PASSWORD", "valueFrom": "arn:secret:password::"}]
    assert all("PASSWORD" not in e["name"] and "TOKEN" not in e["name"] for e in app["environment"])
    assert app["readonlyRootFilesystem"] is True
    assert task["requires_compatibilities"] == ["FARGATE"] and task["network_mode"] == "awsvpc"


def test_ecs_exec_agent_can_write_with_a_read_only_root(spot_service):
    """A6: ECS Exec's SSM agent writes under these paths; with readonlyRootFilesystem they must be
    writable task volumes, or every `aws ecs execute-command` fails."""
    (service,) = resources(spot_service, EcsService.TF_RESOURCE_TYPE)
    assert service["enable_execute_command"] is True
    (task,) = resources(spot_service, EcsTaskDefinition.TF_RESOURCE_TYPE)
    app = next(c for c in json.loads(task["container_definitions"]) if c["name"] == "app")
    assert app["readonlyRootFilesystem"] is True and app["linuxParameters"]["initProcessEnabled"] is True
    mounted = {m["containerPath"]: m["sourceVolume"] for m in app["mountPoints"]}
    volumes = {v["name"] for v in task["volume"]}
    for path in ("/var/lib/amazon/ssm", "/var/log/amazon/ssm", "/managed-agents"):
        assert path in mounted and mounted[path] in volumes
        assert "host_path" not in next(v for v in task["volume"] if v["name"] == mounted[path])


def test_repository_is_immutable_scanned_and_encrypted_and_autoscaling_tracks_cpu(spot_service):
    (repo,) = resources(spot_service, EcrRepository.TF_RESOURCE_TYPE)
    assert repo["image_tag_mutability"] == "IMMUTABLE" and repo["image_scanning_configuration"]["scan_on_push"]
    assert repo["encryption_configuration"][0]["encryption_type"] == "KMS"
    (policy,) = resources(spot_service, AppautoscalingPolicy.TF_RESOURCE_TYPE)
    tracking = policy["target_tracking_scaling_policy_configuration"]
    assert (tracking["target_value"], tracking["scale_in_cooldown"], tracking["scale_out_cooldown"]) == (70, 300, 120)
    (cluster,) = spot_service["resource"]["aws_ecs_cluster"].values()
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enabled"}]
    exec_config = cluster["configuration"]["execute_command_configuration"]
    assert exec_config["kms_key_id"] == KEY and exec_config["log_configuration"]["cloud_watch_encryption_enabled"]


# --- certificate, CDN, monitoring --------------------------------------------------------------


def test_certificate_validates_every_name_by_dns():
    stack = scratch_stack()
    DnsValidatedCertificate(
        stack, "c", domain_name="api.example.com", alternative_names=["b.example.com"], zone_id="Z1"
    )
    out = synth_stack(stack)
    records = resources(out, Route53Record.TF_RESOURCE_TYPE)
    assert len(records) == 2
    assert {'o.domain_name == "api.example.com"' in r["name"] for r in records} == {True, False}
    (validation,) = out["resource"]["aws_acm_certificate_validation"].values()
    assert len(validation["validation_record_fqdns"]) == 2


def test_static_site_is_https_only_tls12_hsts_and_readable_only_by_its_distribution():
    stack = scratch_stack()
    logs = SecureBucket(stack, "logs", bucket_name="edge-logs", account_id=ACCOUNT, kms_key_arn=None)
    StaticSite(
        stack,
        "site",
        name="dev-x",
        bucket_name="dev-x-assets",
        region="us-east-1",
        account_id=ACCOUNT,
        kms_key_arn=KEY,
        logs=logs,
        distribution=True,
        price_class="PriceClass_100",
        web_acl_arn="arn:aws:wafv2:us-east-1:111111111111:global/webacl/x/1",
        aliases=["static.example.com"],
        certificate_arn="arn:aws:acm:us-east-1:111111111111:certificate/c",
    )
    out = synth_stack(stack)
    (dist,) = resources(out, CloudfrontDistribution.TF_RESOURCE_TYPE)
    assert dist["default_cache_behavior"]["viewer_protocol_policy"] == "redirect-to-https"
    assert dist["viewer_certificate"]["minimum_protocol_version"] == "TLSv1.2_2021"
    assert dist["web_acl_id"].startswith("arn:aws:wafv2:us-east-1:")
    assert dist["origin"][0]["origin_access_control_id"].startswith("${aws_cloudfront_origin_access_control.")
    (headers,) = out["resource"]["aws_cloudfront_response_headers_policy"].values()
    hsts = headers["security_headers_config"]["strict_transport_security"]
    assert hsts["access_control_max_age_sec"] >= 31536000 and hsts["include_subdomains"] is True
    policies = [d for d in out["data"]["aws_iam_policy_document"].values() if "CloudFront" in json.dumps(d)]
    grant = next(s for p in policies for s in p["statement"] if s["sid"] == "CloudFrontReadsThroughOriginAccessControl")
    assert grant["condition"][0]["variable"] == "AWS:SourceArn" and grant["condition"][0]["values"][0].startswith(
        "${aws_cloudfront_distribution."
    )
    assert "aws_cloudwatch_log_delivery" in out["resource"]


def test_monitoring_saves_logs_insights_queries_under_its_name():
    stack = scratch_stack()
    monitoring = Monitoring(stack, "m", name="dev-x", kms_key_arn=KEY, account_id=ACCOUNT)
    monitoring.saved_query("q", name="errors", log_group_names=["/a"], query="fields @timestamp | limit 1")
    (query,) = resources(synth_stack(stack), CloudwatchQueryDefinition.TF_RESOURCE_TYPE)
    assert query["name"] == "dev-x/errors" and query["log_group_names"] == ["/a"]
