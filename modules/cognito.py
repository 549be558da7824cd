"""The user pool that signs API callers in, and the app client the front end uses."""

from __future__ import annotations

from typing import Literal

from cdktf_cdktf_provider_aws.cognito_user_pool import (
    CognitoUserPool,
    CognitoUserPoolAccountRecoverySetting,
    CognitoUserPoolAccountRecoverySettingRecoveryMechanism,
    CognitoUserPoolAdminCreateUserConfig,
    CognitoUserPoolEmailConfiguration,
    CognitoUserPoolPasswordPolicy,
    CognitoUserPoolSoftwareTokenMfaConfiguration,
    CognitoUserPoolUserPoolAddOns,
)
from cdktf_cdktf_provider_aws.cognito_user_pool_client import (
    CognitoUserPoolClient,
    CognitoUserPoolClientTokenValidityUnits,
)
from constructs import Construct

from environments.schema import CognitoEmailConfig
from modules.emulator import EmulatorDrift


class UserPool(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        mfa: Literal["OFF", "OPTIONAL", "ON"],
        advanced_security: bool,
        feature_plan: Literal["LITE", "ESSENTIALS", "PLUS"],
        password_min_length: int,
        deletion_protection: bool,
        email: CognitoEmailConfig | None = None,
    ) -> None:
        super().__init__(scope, id_)
        if advanced_security and feature_plan != "PLUS":
            # AWS answers FeatureUnavailableInTierException; fail at synth, not at apply.
            raise ValueError(f"{name}: threat protection (advanced_security) needs the PLUS tier, not {feature_plan}")
        settings: dict = {}
        if mfa != "OFF":
            # TOTP apps only: SMS MFA needs an SNS role and is open to SIM swapping.
            settings["software_token_mfa_configuration"] = CognitoUserPoolSoftwareTokenMfaConfiguration(enabled=True)
        if advanced_security:
            settings["user_pool_add_ons"] = CognitoUserPoolUserPoolAddOns(advanced_security_mode="ENFORCED")
        if email is not None:
            # Our verified SES identity instead of Cognito's capped default sender.
            settings["email_configuration"] = CognitoUserPoolEmailConfiguration(
                email_sending_account="DEVELOPER",
                source_arn=email.source_arn,
                from_email_address=email.from_address,
            )
        self.pool = CognitoUserPool(
            self,
            "pool",
            name=name,
            mfa_configuration=mfa,
            # Stated, not defaulted: the tier decides which features AWS accepts (and the price).
            user_pool_tier=feature_plan,
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            password_policy=CognitoUserPoolPasswordPolicy(
                minimum_length=password_min_length,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                require_symbols=True,
                temporary_password_validity_days=3,
            ),
            # Accounts are provisioned by administrators; nobody signs themselves up.
            admin_create_user_config=CognitoUserPoolAdminCreateUserConfig(allow_admin_create_user_only=True),
            account_recovery_setting=CognitoUserPoolAccountRecoverySetting(
                recovery_mechanism=[
                    CognitoUserPoolAccountRecoverySettingRecoveryMechanism(name="verified_email", priority=1)
                ]
            ),
            deletion_protection="ACTIVE" if deletion_protection else "INACTIVE",
            **settings,
        )
        self.client = CognitoUserPoolClient(
            self,
            "client",
            name=f"{name}-web",
            user_pool_id=self.pool.id,
            generate_secret=False,  # a browser client cannot keep a secret; SRP proves the password
            explicit_auth_flows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=60,
            id_token_validity=60,
            refresh_token_validity=30,
            token_validity_units=[
                CognitoUserPoolClientTokenValidityUnits(
                    access_token="minutes",  # noqa: S106 - units of validity, not secrets
                    id_token="minutes",  # noqa: S106
                    refresh_token="days",  # noqa: S106
                )
            ],
        )

    @property
    def arn(self) -> str:
        return self.pool.arn

    def emulator_drift(self) -> list[EmulatorDrift]:
        return [
            EmulatorDrift(
                resource=self.pool,
                attributes=("user_pool_tier",),
                gap="moto (measured) does not return UserPoolTier from DescribeUserPool, so the stated tier "
                "would plan an update on every run",
            )
        ]
