"""Preflight's count of reserved Lambda concurrency is what the stacks really reserve.

A new account's concurrency quota is 10 and Lambda keeps 10 unreserved, so any reservation fails
there. Preflight warns before the first deploy only if it counts every reservation the stacks make.
"""

from __future__ import annotations

import boto3
import pytest

from scripts.preflight import Preflight
from tests.helpers import resources

ENVS = ["local", "dev", "staging", "prod"]


@pytest.mark.parametrize("env_name", ENVS)
def test_preflight_counts_every_reservation_the_stacks_make(env_name, environments, manifest, stack_json):
    env = environments[env_name]
    synthesized: dict[str, int] = {}
    for name in manifest:
        if not name.startswith(f"{env_name}-"):
            continue
        stack = stack_json(name)
        region = stack["provider"]["aws"][0]["region"]
        for function in resources(stack, "aws_lambda_function"):
            reserved = function.get("reserved_concurrent_executions")
            if reserved:
                synthesized[region] = synthesized.get(region, 0) + reserved
    counted = Preflight(env, boto3.Session(region_name=env.primary_region))._reservations()
    assert counted == synthesized
