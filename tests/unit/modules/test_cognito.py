"""modules/cognito.py: UserPool, whose MFA, threat protection, tier and mail sender follow config."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_aws.cognito_user_pool import CognitoUserPool

from modules.cognito import UserPool
from tests.helpers import resources, scratch_stack, synth_stack


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
