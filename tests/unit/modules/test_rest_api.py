"""modules/rest_api.py: PrivateRestApi, a Cognito- and key-guarded API reaching the service through a
VPC link, with CORS, a per-caller GET cache, usage plans and a custom domain."""

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
from cdktf_cdktf_provider_aws.route53_record import Route53Record

from environments.schema import ApiCacheConfig, QuotaConfig, ThrottleConfig, UsagePlanConfig
from modules.rest_api import PrivateRestApi
from tests.helpers import KEY, resources, scratch_stack, synth_stack


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
