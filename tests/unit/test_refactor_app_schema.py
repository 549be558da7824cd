"""The api:, edge: and compute: settings of the refactor service's app tier."""

from __future__ import annotations

from environments.schema import Environment
from tests.helpers import env_data, validation_errors


def test_seed_autoscaling_numbers_are_the_defaults():
    compute = Environment.model_validate(env_data("dev")).compute
    assert compute.autoscaling.target_cpu_percent == 70
    assert compute.autoscaling.scale_in_cooldown_seconds == 300
    assert compute.autoscaling.scale_out_cooldown_seconds == 120


def test_prod_requires_mfa_advanced_security_and_on_demand():
    data = env_data("prod")
    data["api"]["cognito"]["mfa"] = "OPTIONAL"
    assert "prod requires api.cognito.mfa: ON" in validation_errors(data)
    data = env_data("prod")
    data["compute"]["use_spot"] = True
    assert "prod runs on-demand only" in validation_errors(data)


def test_usage_plan_above_the_stage_limit_is_refused():
    data = env_data("dev")
    data["api"]["usage_plans"][0]["throttle"]["rate_limit"] = 1000
    assert "above the stage's 100.0; the stage limit would cap it silently" in validation_errors(data)


def test_api_key_may_belong_to_one_plan_only_and_plan_names_are_unique():
    data = env_data("dev")
    data["api"]["usage_plans"][1]["api_keys"] = data["api"]["usage_plans"][0]["api_keys"]
    assert "an API key name may belong to one usage plan only" in validation_errors(data)
    data = env_data("dev")
    data["api"]["usage_plans"][1]["name"] = data["api"]["usage_plans"][0]["name"]
    assert "usage_plans names must be unique" in validation_errors(data)


def test_waf_allow_and_block_lists_may_not_overlap():
    data = env_data("dev")
    data["api"]["waf"]["allow_cidrs"] = ["198.51.100.128/25"]
    assert "allow_cidrs 198.51.100.128/25 overlaps block_cidrs 198.51.100.0/24" in validation_errors(data)


def test_cache_size_and_cloudfront_certificate_region_are_checked():
    data = env_data("dev")
    data["api"]["cache"]["size_gb"] = "2"
    assert "api.cache.size_gb" in validation_errors(data)
    data = env_data("dev")
    data["edge"]["certificate_arn"] = "arn:aws:acm:us-east-2:111111111111:certificate/abc"
    assert "CloudFront accepts only certificates in us-east-1" in validation_errors(data)


def test_spot_needs_some_weight():
    data = env_data("dev")
    data["compute"]["spot"] = {"on_demand_base": 1, "on_demand_weight": 0, "spot_weight": 0}
    assert "cannot both be 0" in validation_errors(data)


def test_threat_protection_needs_the_plus_tier_and_the_schema_says_so():
    """A4: ENFORCED threat protection on an ESSENTIALS pool is refused by AWS; the schema names the fix."""
    data = env_data("prod")
    data["api"]["cognito"]["feature_plan"] = "ESSENTIALS"
    errors = validation_errors(data)
    assert "api.cognito" in errors and "feature_plan: PLUS" in errors and "FeatureUnavailableInTierException" in errors
    del data["api"]["cognito"]["feature_plan"]  # the default is AWS's default, ESSENTIALS
    assert "feature_plan: PLUS" in validation_errors(data)
    prod = Environment.model_validate(env_data("prod"))
    assert prod.api.cognito.feature_plan == "PLUS" and prod.api.cognito.advanced_security


def test_prod_mail_goes_through_a_verified_ses_identity():
    """C25: Cognito's default sender caps daily mail below production volume."""
    data = env_data("prod")
    del data["api"]["cognito"]["email"]
    assert "prod requires api.cognito.email" in validation_errors(data)
    data = env_data("prod")
    data["api"]["cognito"]["email"]["source_arn"] = "arn:aws:sns:us-east-2:333333333333:topic/x"
    assert "not an SES identity ARN" in validation_errors(data)
    email = Environment.model_validate(env_data("prod")).api.cognito.email
    assert email.source_arn.startswith("arn:aws:ses:") and "@refactor.example.com" in email.from_address


def test_waf_body_limit_is_bounded_by_api_gateways_payload_limit():
    """A9: the backend's body limit is config, and no larger than API Gateway's 10 MB."""
    data = env_data("dev")
    data["api"]["waf"]["max_body_bytes"] = 11 * 1024 * 1024
    assert "api.waf.max_body_bytes" in validation_errors(data)
    assert Environment.model_validate(env_data("dev")).api.waf.max_body_bytes == 5 * 1024 * 1024
