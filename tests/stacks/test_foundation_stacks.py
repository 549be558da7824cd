"""Every environment's foundation stacks, synthesized once per session: names, state, provider,
tags, and the network shape each environment's config asks for."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint

from environments.loader import available_environments
from modules.network import INTERFACE_ENDPOINT_SERVICES
from tests.helpers import resources

ENVS = available_environments()


def _network_stack(env) -> str:
    return f"{env.name}-refactor-network-{env.primary_region}"


def test_each_environment_has_bootstrap_and_network(manifest, environments):
    for env in environments.values():
        assert f"{env.name}-bootstrap" in manifest
        assert _network_stack(env) in manifest


@pytest.mark.parametrize("env_name", ENVS)
def test_state_backend_is_s3_with_a_key_per_stack_and_both_locks(env_name, environments, manifest, stack_json):
    env = environments[env_name]
    for name in (n for n in manifest if n.startswith(f"{env_name}-")):
        terraform = stack_json(name)["terraform"]
        backend = terraform["backend"]["s3"]
        assert backend["key"] == f"{env_name}/{name}.tfstate"
        assert backend["bucket"] == env.state.bucket
        assert backend["dynamodb_table"] == env.state.lock_table
        if env.state.kms_key_arn:
            # SSE-KMS under the state key, named: the bucket refuses any other key.
            assert backend["encrypt"] is True and backend["kms_key_id"] == env.state.kms_key_arn
        else:
            # No key ARN yet (before the first bootstrap, or the emulator): no AES256 header, so
            # the bucket's default, SSE-KMS under the state key, applies.
            assert backend["encrypt"] is False and "kms_key_id" not in backend
        assert backend["use_lockfile"] is True
        assert terraform["required_providers"]["aws"]["version"] == "~> 5.99"


@pytest.mark.parametrize("env_name", ENVS)
def test_provider_tags_and_account_guard(env_name, environments, stack_json):
    env = environments[env_name]
    provider = stack_json(_network_stack(env))["provider"]["aws"][0]
    tags = provider["default_tags"][0]["tags"]
    assert tags["Environment"] == env_name
    assert tags["ManagedBy"] == "cdktf"
    assert {"Project", "Owner", "CostCenter"} <= set(tags)
    if env.local_aws:
        assert set(provider["endpoints"][0].values()) == {provider["endpoints"][0]["s3"]}
        assert provider["endpoints"][0]["s3"].startswith("http://127.0.0.1:")
        assert "allowed_account_ids" not in provider
    else:
        # Real environments refuse credentials for any other account, and never see an endpoint override.
        assert provider["allowed_account_ids"] == [env.account_id]
        assert "endpoints" not in provider
        assert "endpoints" not in stack_json(_network_stack(env))["terraform"]["backend"]["s3"]


@pytest.mark.parametrize("env_name", ENVS)
def test_network_matches_config(env_name, environments, stack_json):
    env = environments[env_name]
    net = env.networks["refactor"][env.primary_region]
    stack = stack_json(_network_stack(env))

    (vpc,) = resources(stack, Vpc.TF_RESOURCE_TYPE)
    assert vpc["cidr_block"] == str(net.cidr)
    subnets = resources(stack, Subnet.TF_RESOURCE_TYPE)
    assert len(subnets) == 3 * net.az_count
    assert all(s["map_public_ip_on_launch"] is False for s in subnets)
    expected_cidrs = sorted(c for tier in net.subnet_cidrs().values() for c in tier)
    assert sorted(s["cidr_block"] for s in subnets) == expected_cidrs

    expected_nats = {"none": 0, "single": 1, "per_az": net.az_count}[net.nat_gateways]
    assert len(resources(stack, NatGateway.TF_RESOURCE_TYPE)) == expected_nats
    assert len(resources(stack, Eip.TF_RESOURCE_TYPE)) == expected_nats

    endpoints = {
        e["service_name"].rsplit(f"{env.primary_region}.", 1)[1]: e
        for e in resources(stack, VpcEndpoint.TF_RESOURCE_TYPE)
    }
    assert endpoints["s3"]["vpc_endpoint_type"] == "Gateway"
    assert endpoints["dynamodb"]["vpc_endpoint_type"] == "Gateway"
    interface = {name for name, e in endpoints.items() if e["vpc_endpoint_type"] == "Interface"}
    assert interface == (set(INTERFACE_ENDPOINT_SERVICES) if net.interface_endpoints else set())


def test_prod_has_a_nat_per_az_and_dev_a_single_one(environments, stack_json):
    prod, dev = environments["prod"], environments["dev"]
    assert len(resources(stack_json(_network_stack(prod)), NatGateway.TF_RESOURCE_TYPE)) == 3
    assert len(resources(stack_json(_network_stack(dev)), NatGateway.TF_RESOURCE_TYPE)) == 1


@pytest.mark.parametrize("env_name", ENVS)
def test_flow_logs_are_encrypted_and_retained(env_name, environments, stack_json):
    env = environments[env_name]
    stack = stack_json(_network_stack(env))
    (flow_log,) = resources(stack, FlowLog.TF_RESOURCE_TYPE)
    assert flow_log["traffic_type"] == "ALL"
    (group,) = resources(stack, "aws_cloudwatch_log_group")
    assert group["kms_key_id"].startswith("${aws_kms_key.")
    assert group["retention_in_days"] == env.networks["refactor"][env.primary_region].flow_log_retention_days
    (key,) = resources(stack, "aws_kms_key")
    assert key["enable_key_rotation"] is True


def test_default_security_group_is_adopted_with_no_rules(stack_json, environments):
    for env in environments.values():
        (sg,) = resources(stack_json(_network_stack(env)), "aws_default_security_group")
        assert "ingress" not in sg and "egress" not in sg


@pytest.mark.parametrize("env_name", ENVS)
def test_bootstrap_state_bucket_and_lock_table(env_name, environments, stack_json):
    env = environments[env_name]
    stack = stack_json(f"{env_name}-bootstrap")
    buckets = {b["bucket"] for b in resources(stack, "aws_s3_bucket")}
    assert buckets == {env.state.bucket, f"{env.state.bucket}-access-logs"}

    encryption = [
        r["rule"][0]["apply_server_side_encryption_by_default"]
        for r in resources(stack, "aws_s3_bucket_server_side_encryption_configuration")
    ]
    assert sorted(e["sse_algorithm"] for e in encryption) == ["AES256", "aws:kms"]
    assert all(
        v["versioning_configuration"]["status"] == "Enabled" for v in resources(stack, "aws_s3_bucket_versioning")
    )
    for block in resources(stack, "aws_s3_bucket_public_access_block"):
        assert all(
            block[k] is True
            for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        )
    lifecycle_rules = [rule for lc in resources(stack, "aws_s3_bucket_lifecycle_configuration") for rule in lc["rule"]]
    assert sum("noncurrent_version_expiration" in r for r in lifecycle_rules) == 2
    assert sum("abort_incomplete_multipart_upload" in r for r in lifecycle_rules) == 2
    (logging,) = resources(stack, "aws_s3_bucket_logging")
    assert "access-logs" in logging["target_bucket"]

    (table,) = resources(stack, "aws_dynamodb_table")
    assert table["hash_key"] == "LockID" and table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"]["enabled"] is True
    # Real environments can never lose their locks or state by accident; the emulator can.
    assert table["deletion_protection_enabled"] is (not env.local_aws)
    assert all(b["force_destroy"] is env.local_aws for b in resources(stack, "aws_s3_bucket"))


def test_state_bucket_policy_denies_insecure_transport(stack_json):
    stack = stack_json("dev-bootstrap")
    documents = stack["data"]["aws_iam_policy_document"]
    bucket_policies = [
        d for d in documents.values() if any(s.get("sid") == "DenyInsecureTransport" for s in d["statement"])
    ]
    assert len(bucket_policies) == 2
    for doc in bucket_policies:
        (deny,) = [s for s in doc["statement"] if s["sid"] == "DenyInsecureTransport"]
        assert deny["effect"] == "Deny"
        assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def test_emulator_ignores_exist_only_on_the_emulator_and_say_why(manifest, environments, stack_json):
    """ignore_emulator_round_trip is the one way to ignore a read-back gap: on a real environment no
    resource carries one, and on the emulator every one names its gap beside the ignore."""
    gaps_by_env: dict[str, int] = {name: 0 for name in environments}
    for stack_name in manifest:
        env = environments[stack_name.split("-", 1)[0]]
        for items in stack_json(stack_name).get("resource", {}).values():
            for body in items.values():
                gap = body.get("//", {}).get("emulator_gap")
                if gap is None:
                    continue
                assert env.local_aws, f"{stack_name} ignores an emulator gap on a real environment: {gap}"
                assert gap.startswith("moto "), gap
                assert body["lifecycle"]["ignore_changes"], stack_name
                gaps_by_env[env.name] += 1
    assert [name for name, count in gaps_by_env.items() if count] == [
        name for name, env in environments.items() if env.local_aws
    ]
