"""CKV_GUARD_4: Cognito user pools enforce the password policy, and MFA in prod.

Password policy: at least 12 characters with upper case, lower case, numbers and symbols, and
temporary passwords valid at most 7 days. In prod, mfa_configuration must be "ON" (not OPTIONAL).
The environment comes from the Environment tag (plan) or the stack the pool is in (synth); its
tier (environments/<env>.yaml) decides whether the production rule applies.
"""

from __future__ import annotations

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from guardrail_support import environment_of, first, is_production

MIN_PASSWORD_LENGTH = 12
MAX_TEMPORARY_PASSWORD_DAYS = 7
REQUIRED_CLASSES = ("require_lowercase", "require_uppercase", "require_numbers", "require_symbols")


class CognitoPasswordPolicyAndProdMfa(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Cognito user pools enforce a strong password policy, and MFA in prod",
            id="CKV_GUARD_4",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_cognito_user_pool"],
        )

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        problems = []
        policy = first(conf.get("password_policy"), {})
        if not isinstance(policy, dict) or not policy:
            problems.append("no password_policy")
        else:
            length = first(policy.get("minimum_length"), 8)
            if not isinstance(length, int) or length < MIN_PASSWORD_LENGTH:
                problems.append(f"minimum_length {length} < {MIN_PASSWORD_LENGTH}")
            problems += [f"{c} is not true" for c in REQUIRED_CLASSES if first(policy.get(c)) is not True]
            days = first(policy.get("temporary_password_validity_days"), 7)
            if isinstance(days, int) and days > MAX_TEMPORARY_PASSWORD_DAYS:
                problems.append(f"temporary_password_validity_days {days} > {MAX_TEMPORARY_PASSWORD_DAYS}")
        if is_production(environment_of(conf, getattr(self, "entity_path", None))):
            mfa = first(conf.get("mfa_configuration"), "OFF")
            if mfa != "ON":
                problems.append(f'prod needs mfa_configuration "ON", not "{mfa}"')
        self.details = problems
        return CheckResult.FAILED if problems else CheckResult.PASSED

    def get_evaluated_keys(self) -> list[str]:
        return ["password_policy", "mfa_configuration"]


check = CognitoPasswordPolicyAndProdMfa()
