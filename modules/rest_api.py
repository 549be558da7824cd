"""The public REST API (REGIONAL): Cognito authorizer on every non-OPTIONS method, request
validation, a private VPC-link integration to the internal NLB/ALB, a stage with X-Ray, JSON
access logs, throttling and a response cache, usage plans with API keys, and a custom domain.

REST rather than HTTP API: only REST carries WAF, usage plans, API keys and caching.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from cdktf import Fn, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.api_gateway_api_key import ApiGatewayApiKey
from cdktf_cdktf_provider_aws.api_gateway_authorizer import ApiGatewayAuthorizer
from cdktf_cdktf_provider_aws.api_gateway_base_path_mapping import ApiGatewayBasePathMapping
from cdktf_cdktf_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktf_cdktf_provider_aws.api_gateway_domain_name import (
    ApiGatewayDomainName,
    ApiGatewayDomainNameEndpointConfiguration,
)
from cdktf_cdktf_provider_aws.api_gateway_gateway_response import ApiGatewayGatewayResponse
from cdktf_cdktf_provider_aws.api_gateway_integration import ApiGatewayIntegration
from cdktf_cdktf_provider_aws.api_gateway_integration_response import ApiGatewayIntegrationResponse
from cdktf_cdktf_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktf_cdktf_provider_aws.api_gateway_method_response import ApiGatewayMethodResponse
from cdktf_cdktf_provider_aws.api_gateway_method_settings import (
    ApiGatewayMethodSettings,
    ApiGatewayMethodSettingsSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_request_validator import ApiGatewayRequestValidator
from cdktf_cdktf_provider_aws.api_gateway_resource import ApiGatewayResource
from cdktf_cdktf_provider_aws.api_gateway_rest_api import (
    ApiGatewayRestApi,
    ApiGatewayRestApiEndpointConfiguration,
)
from cdktf_cdktf_provider_aws.api_gateway_stage import ApiGatewayStage, ApiGatewayStageAccessLogSettings
from cdktf_cdktf_provider_aws.api_gateway_usage_plan import (
    ApiGatewayUsagePlan,
    ApiGatewayUsagePlanApiStages,
    ApiGatewayUsagePlanQuotaSettings,
    ApiGatewayUsagePlanThrottleSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_usage_plan_key import ApiGatewayUsagePlanKey
from cdktf_cdktf_provider_aws.api_gateway_vpc_link import ApiGatewayVpcLink
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from constructs import Construct

from environments.schema import ApiCacheConfig, ThrottleConfig, UsagePlanConfig
from modules.emulator import EmulatorDrift

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CACHED_METHOD = "GET"
PROXY_PATH = "{proxy+}"
# GET /<path>?id=... is cached per id and per path (two resources with the same id never share
# an entry) and per caller: responses are user-scoped, so without the Authorization header in
# the key user B would be served user A's cached response. A parameter must be declared in the
# method's request parameters to be part of the key.
AUTHORIZATION_HEADER = "method.request.header.Authorization"
CACHE_KEY_PARAMETERS = ("method.request.path.proxy", "method.request.querystring.id", AUTHORIZATION_HEADER)
CORS_ALLOW_HEADERS = "'Authorization,Content-Type,X-Api-Key'"
CORS_ALLOW_METHODS = "'GET,POST,PUT,PATCH,DELETE,OPTIONS'"
# The gateway's own answers (401 from Cognito, 403 missing API key, 429 throttled, 5XX) need CORS
# headers too, or the browser reports an opaque CORS error instead of the status.
GATEWAY_RESPONSES_WITH_CORS = ("DEFAULT_4XX", "DEFAULT_5XX")

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "ip": "$context.identity.sourceIp",
        "caller": "$context.authorizer.claims.sub",
        "apiKeyId": "$context.identity.apiKeyId",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "path": "$context.path",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "integrationStatus": "$context.integrationStatus",
        "cacheStatus": "$context.cacheStatus",
        "wafResponse": "$context.wafResponseCode",
        "xrayTraceId": "$context.xrayTraceId",
    }
)


class PrivateRestApi(Construct):
    """`backend_host` is the name the ALB certificate covers; the VPC link carries the connection,
    so that name needs no DNS record. `cors_origin` is the browser front end's origin
    (https://static.<domain>), the one origin preflight and gateway responses allow."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        stage_name: str,
        nlb_arn: str,
        backend_host: str,
        user_pool_arn: str,
        cors_origin: str,
        throttle: ThrottleConfig,
        cache: ApiCacheConfig,
        usage_plans: Sequence[UsagePlanConfig],
        log_kms_key_arn: str,
        log_retention_days: int,
        domain_name: str,
        certificate_arn: str,
        zone_id: str,
    ) -> None:
        super().__init__(scope, id_)
        self.api = ApiGatewayRestApi(
            self,
            "api",
            name=name,
            # Deployed text, kept as it is: rewording it would update the live API in every environment.
            description=f"{name}: the code refactoring service",
            endpoint_configuration=ApiGatewayRestApiEndpointConfiguration(types=["REGIONAL"]),
            # Only the custom domain (TLS 1.2 policy, WAF on the stage) is the front door.
            disable_execute_api_endpoint=False,
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        self.vpc_link = ApiGatewayVpcLink(self, "vpc-link", name=f"{name}-nlb", target_arns=[nlb_arn])
        self.authorizer = ApiGatewayAuthorizer(
            self,
            "authorizer",
            name=f"{name}-cognito",
            rest_api_id=self.api.id,
            type="COGNITO_USER_POOLS",
            provider_arns=[user_pool_arn],
            identity_source="method.request.header.Authorization",
        )
        self.validator = ApiGatewayRequestValidator(
            self,
            "validator",
            name=f"{name}-params-and-body",
            rest_api_id=self.api.id,
            validate_request_parameters=True,
            validate_request_body=True,
        )
        self.proxy = ApiGatewayResource(
            self, "proxy", rest_api_id=self.api.id, parent_id=self.api.root_resource_id, path_part=PROXY_PATH
        )

        self.methods: dict[str, ApiGatewayMethod] = {}
        self.integrations: dict[str, ApiGatewayIntegration] = {}
        for verb in (CACHED_METHOD, *WRITE_METHODS):
            parameters = {"method.request.path.proxy": True}
            if verb == CACHED_METHOD:
                parameters["method.request.querystring.id"] = False
                parameters[AUTHORIZATION_HEADER] = True  # the Cognito authorizer requires it anyway
            method = ApiGatewayMethod(
                self,
                f"method-{verb.lower()}",
                rest_api_id=self.api.id,
                resource_id=self.proxy.id,
                http_method=verb,
                authorization="COGNITO_USER_POOLS",
                authorizer_id=self.authorizer.id,
                api_key_required=True,  # usage plans meter and throttle by key
                request_validator_id=self.validator.id,
                request_parameters=parameters,
            )
            self.methods[verb] = method
            self.integrations[verb] = ApiGatewayIntegration(
                self,
                f"integration-{verb.lower()}",
                rest_api_id=self.api.id,
                resource_id=self.proxy.id,
                http_method=method.http_method,
                type="HTTP_PROXY",
                integration_http_method=verb,
                uri=f"https://{backend_host}/{{proxy}}",
                connection_type="VPC_LINK",
                connection_id=self.vpc_link.id,
                request_parameters={"integration.request.path.proxy": "method.request.path.proxy"},
                cache_key_parameters=list(CACHE_KEY_PARAMETERS) if verb == CACHED_METHOD else None,
                timeout_milliseconds=29000,
            )
        self.cors_origin = cors_origin
        preflight = self._cors_preflight()
        self.gateway_responses = [
            ApiGatewayGatewayResponse(
                self,
                f"gateway-{response_type.lower().replace('_', '-')}",
                rest_api_id=self.api.id,
                response_type=response_type,
                response_parameters=self._cors_headers("gatewayresponse.header"),
            )
            for response_type in GATEWAY_RESPONSES_WITH_CORS
        ]

        # A deployment is a snapshot: it must follow (depends_on) and be re-made on (triggers) every
        # piece of the API, the OPTIONS mock and its responses and the gateway responses included,
        # or it can capture a preflight that answers 500 and never pick up the fix.
        parts = [
            self.proxy,
            self.authorizer,
            self.validator,
            *self.methods.values(),
            *self.integrations.values(),
            *preflight,
            *self.gateway_responses,
        ]
        self.deployment = ApiGatewayDeployment(
            self,
            "deployment",
            rest_api_id=self.api.id,
            triggers={"redeployment": Fn.sha1(Fn.jsonencode([part.id for part in parts]))},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            depends_on=[part for part in parts if part is not self.proxy],
        )
        self.access_log_group = CloudwatchLogGroup(
            self,
            "access-logs",
            name=f"/aws/apigateway/{name}/access",
            retention_in_days=log_retention_days,
            kms_key_id=log_kms_key_arn,
        )
        # Created here, encrypted and with retention, before API Gateway makes it without either.
        self.execution_log_group = CloudwatchLogGroup(
            self,
            "execution-logs",
            name=f"API-Gateway-Execution-Logs_{self.api.id}/{stage_name}",
            retention_in_days=log_retention_days,
            kms_key_id=log_kms_key_arn,
        )
        self.stage = ApiGatewayStage(
            self,
            "stage",
            rest_api_id=self.api.id,
            deployment_id=self.deployment.id,
            stage_name=stage_name,
            xray_tracing_enabled=True,
            cache_cluster_enabled=cache.enabled,
            cache_cluster_size=cache.size_gb if cache.enabled else None,
            access_log_settings=ApiGatewayStageAccessLogSettings(
                destination_arn=self.access_log_group.arn, format=ACCESS_LOG_FORMAT
            ),
            depends_on=[self.execution_log_group],
        )
        self.method_settings = [
            self._method_settings("all-methods", "*/*", throttle=throttle, cache=cache, caching=cache.enabled)
        ]
        # Stage-wide caching would also cache writes; only GET is cached.
        for verb in WRITE_METHODS:
            self.method_settings.append(
                self._method_settings(
                    f"no-cache-{verb.lower()}", f"{PROXY_PATH}/{verb}", throttle=throttle, cache=cache, caching=False
                )
            )

        self.usage_plans: dict[str, ApiGatewayUsagePlan] = {}
        self.api_keys: dict[str, ApiGatewayApiKey] = {}
        for plan in usage_plans:
            usage_plan = ApiGatewayUsagePlan(
                self,
                f"plan-{plan.name}",
                name=f"{name}-{plan.name}",
                api_stages=[ApiGatewayUsagePlanApiStages(api_id=self.api.id, stage=self.stage.stage_name)],
                throttle_settings=ApiGatewayUsagePlanThrottleSettings(
                    rate_limit=plan.throttle.rate_limit, burst_limit=plan.throttle.burst_limit
                ),
                quota_settings=ApiGatewayUsagePlanQuotaSettings(limit=plan.quota.limit, period=plan.quota.period),
            )
            self.usage_plans[plan.name] = usage_plan
            for key_name in plan.api_keys:
                # No `value`: API Gateway generates the key, so it is never in code or config.
                key = ApiGatewayApiKey(self, f"key-{key_name}", name=f"{name}-{key_name}", enabled=True)
                self.api_keys[key_name] = key
                ApiGatewayUsagePlanKey(
                    self, f"plan-key-{key_name}", key_id=key.id, key_type="API_KEY", usage_plan_id=usage_plan.id
                )

        self.domain = ApiGatewayDomainName(
            self,
            "domain",
            domain_name=domain_name,
            regional_certificate_arn=certificate_arn,
            endpoint_configuration=ApiGatewayDomainNameEndpointConfiguration(types=["REGIONAL"]),
            security_policy="TLS_1_2",
        )
        ApiGatewayBasePathMapping(
            self, "base-path", api_id=self.api.id, stage_name=self.stage.stage_name, domain_name=self.domain.domain_name
        )
        Route53Record(
            self,
            "alias",
            zone_id=zone_id,
            name=domain_name,
            type="A",
            alias=Route53RecordAlias(
                name=self.domain.regional_domain_name,
                zone_id=self.domain.regional_zone_id,
                evaluate_target_health=False,
            ),
        )

    def _cors_headers(self, prefix: str) -> dict[str, str]:
        return {
            f"{prefix}.Access-Control-Allow-Origin": f"'{self.cors_origin}'",
            f"{prefix}.Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
            f"{prefix}.Access-Control-Allow-Methods": CORS_ALLOW_METHODS,
        }

    def _cors_preflight(self) -> list:
        """OPTIONS answers CORS preflight without a token (browsers send none); a mock, no backend.

        Returns the method, integration and both responses, which the deployment must include."""
        method = ApiGatewayMethod(
            self,
            "method-options",
            rest_api_id=self.api.id,
            resource_id=self.proxy.id,
            http_method="OPTIONS",
            authorization="NONE",
            request_validator_id=self.validator.id,
        )
        self.preflight_method = method
        self.preflight_integration = ApiGatewayIntegration(
            self,
            "integration-options",
            rest_api_id=self.api.id,
            resource_id=self.proxy.id,
            http_method=method.http_method,
            type="MOCK",
            request_templates={"application/json": '{"statusCode": 200}'},
        )
        # Browsers refuse a preflight without Access-Control-Allow-Origin.
        headers = self._cors_headers("method.response.header")
        response = ApiGatewayMethodResponse(
            self,
            "options-200",
            rest_api_id=self.api.id,
            resource_id=self.proxy.id,
            http_method=method.http_method,
            status_code="200",
            response_parameters=dict.fromkeys(headers, True),
        )
        integration_response = ApiGatewayIntegrationResponse(
            self,
            "options-200-integration",
            rest_api_id=self.api.id,
            resource_id=self.proxy.id,
            http_method=method.http_method,
            status_code=response.status_code,
            response_parameters=headers,
            depends_on=[self.preflight_integration, response],
        )
        return [method, self.preflight_integration, response, integration_response]

    def _method_settings(
        self, id_: str, path: str, *, throttle: ThrottleConfig, cache: ApiCacheConfig, caching: bool
    ) -> ApiGatewayMethodSettings:
        return ApiGatewayMethodSettings(
            self,
            id_,
            rest_api_id=self.api.id,
            stage_name=self.stage.stage_name,
            method_path=path,
            settings=ApiGatewayMethodSettingsSettings(
                metrics_enabled=True,
                logging_level="INFO",
                data_trace_enabled=False,  # full request/response bodies would log tokens and documents
                throttling_rate_limit=throttle.rate_limit,
                throttling_burst_limit=throttle.burst_limit,
                caching_enabled=caching,
                cache_ttl_in_seconds=cache.ttl_seconds,
                cache_data_encrypted=True,
                require_authorization_for_cache_control=True,
                unauthorized_cache_control_header_strategy="FAIL_WITH_403",
            ),
        )

    @property
    def stage_arn(self) -> str:
        return self.stage.arn

    def emulator_drift(self) -> list[EmulatorDrift]:
        gap = (
            "moto returns a VPC-link integration's connection_id empty (measured against moto 5.2.5) "
            "and drops cache_key_parameters (measured)"
        )
        return [
            EmulatorDrift(
                resource=integration,
                attributes=("connection_id", "cache_key_parameters") if verb == CACHED_METHOD else ("connection_id",),
                gap=gap,
            )
            for verb, integration in self.integrations.items()
        ]

    @property
    def invoke_url(self) -> str:
        return self.stage.invoke_url
