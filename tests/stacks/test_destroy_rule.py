"""One rule for "may this be destroyed": every stack of an environment follows Environment.disposable.

Before, three spellings (env.local_aws, not env.is_production, tablesleuth.alb_deletion_protection)
made an access-log bucket force-destroyable in some stacks of dev and staging and not in others.
"""

from __future__ import annotations

import pytest

from environments.loader import available_environments
from environments.schema import Environment
from tests.helpers import resources

ENVS = available_environments()


def _stacks(manifest: dict, env_name: str) -> list[str]:
    # bootstrap is the stated exception: Terraform state is kept on every real account.
    return sorted(name for name in manifest if name.startswith(f"{env_name}-") and name != f"{env_name}-bootstrap")


@pytest.mark.parametrize("env_name", ENVS)
def test_every_stack_of_an_environment_follows_one_destroy_rule(env_name, environments, manifest, stack_json):
    env = environments[env_name]
    disposable = env.disposable
    seen: dict[str, int] = {}
    wrong: list[str] = []

    def check(stack: str, resource_type: str, attribute: str, expected) -> None:
        for logical_id, body in stack_json(stack).get("resource", {}).get(resource_type, {}).items():
            seen[resource_type] = seen.get(resource_type, 0) + 1
            if body.get(attribute) != expected:
                wrong.append(f"{stack} {resource_type}.{logical_id}: {attribute}={body.get(attribute)!r}")

    for stack in _stacks(manifest, env_name):
        check(stack, "aws_s3_bucket", "force_destroy", disposable)
        check(stack, "aws_lb", "enable_deletion_protection", not disposable)
        check(stack, "aws_cognito_user_pool", "deletion_protection", "INACTIVE" if disposable else "ACTIVE")
        check(stack, "aws_rds_cluster", "skip_final_snapshot", disposable)
        check(stack, "aws_secretsmanager_secret", "recovery_window_in_days", 0 if disposable else 7)
        # A created zone may go with its records only where everything else may.
        for zone in resources(stack_json(stack), "aws_route53_zone"):
            if zone.get("force_destroy") and not disposable:
                wrong.append(f"{stack} aws_route53_zone {zone['name']}: force_destroy outside a disposable env")
    assert wrong == [], f"{env_name} (disposable={disposable}) disagrees with itself:\n" + "\n".join(wrong)
    # The rule was checked on the resources that carry it, not on an empty list.
    assert {"aws_s3_bucket", "aws_lb", "aws_cognito_user_pool", "aws_rds_cluster"} <= set(seen)


def test_disposable_means_the_emulator_or_the_development_tier(environments):
    assert {name: env.disposable for name, env in environments.items()} == {
        "local": True,
        "dev": True,
        "staging": False,
        "prod": False,
    }
    staging = environments["staging"].model_dump()
    assert Environment.model_validate({**staging, "tier": "development"}).disposable is True
    # The emulator is disposable whatever tier it claims.
    local = environments["local"].model_dump()
    assert Environment.model_validate({**local, "tier": "staging"}).disposable is True
