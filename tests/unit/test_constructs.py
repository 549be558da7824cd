"""Construct-level tests: each module synthesized alone in a scratch stack."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
)

from environments.schema import NetworkConfig
from modules.encryption import EncryptionKey
from modules.network import Network
from modules.storage import TLS_ONLY_BUCKETS_CONTEXT, SecureBucket
from tests.helpers import ACCOUNT, synth


def _bucket(scope, *, kms: bool = True, tls_only: bool | None = None):
    if tls_only is not None:
        scope.node.set_context(TLS_ONLY_BUCKETS_CONTEXT, tls_only)
    key = EncryptionKey(scope, "key", alias="k", description="d", account_id=ACCOUNT)
    SecureBucket(scope, "b", bucket_name="example-bucket", account_id=ACCOUNT, kms_key_arn=key.arn if kms else None)


def test_bucket_encryption_keeps_its_nested_settings():
    # Regression: jsii silently dropped multi-word keys of plain dicts inside lists.
    out = synth(_bucket)
    (sse,) = out["resource"][S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE].values()
    rule = sse["rule"][0]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert rule["apply_server_side_encryption_by_default"]["kms_master_key_id"].startswith("${aws_kms_key.")
    assert rule["bucket_key_enabled"] is True


def test_log_bucket_uses_sse_s3_without_a_bucket_key():
    out = synth(lambda s: _bucket(s, kms=False))
    (sse,) = out["resource"][S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE].values()
    assert sse["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    assert sse["rule"][0]["bucket_key_enabled"] is False


def test_tls_only_policy_is_on_by_default_and_off_only_by_context():
    with_policy = synth(_bucket)
    assert len(with_policy["resource"][S3BucketPolicy.TF_RESOURCE_TYPE]) == 1
    sids = [s["sid"] for d in with_policy["data"]["aws_iam_policy_document"].values() for s in d["statement"]]
    assert "DenyInsecureTransport" in sids
    without = synth(lambda s: _bucket(s, tls_only=False))
    assert S3BucketPolicy.TF_RESOURCE_TYPE not in without.get("resource", {})


def test_key_rotates_and_the_root_statement_is_scoped_to_the_account():
    out = synth(
        lambda s: EncryptionKey(
            s,
            "key",
            alias="a",
            description="d",
            account_id=ACCOUNT,
            service_grants=[EncryptionKey.service_grant("Logs", "logs.us-east-2.amazonaws.com")],
        )
    )
    (key,) = out["resource"][KmsKey.TF_RESOURCE_TYPE].values()
    assert key["enable_key_rotation"] is True
    (doc,) = out["data"]["aws_iam_policy_document"].values()
    root, logs = doc["statement"]
    assert root["principals"] == [{"type": "AWS", "identifiers": [f"arn:aws:iam::{ACCOUNT}:root"]}]
    assert root["condition"] == [{"test": "StringEquals", "variable": "kms:CallerAccount", "values": [ACCOUNT]}]
    assert logs["principals"] == [{"type": "Service", "identifiers": ["logs.us-east-2.amazonaws.com"]}]
    assert "kms:*" not in logs["actions"]


def _network(scope, **overrides):
    config = NetworkConfig.model_validate(
        {"cidr": "10.30.0.0/16", "az_count": 2, "nat_gateways": "single", "interface_endpoints": False, **overrides}
    )
    Network(scope, "net", name="t", region="eu-west-1", account_id=ACCOUNT, config=config)


def test_private_route_tables_use_their_own_az_nat_when_per_az():
    out = synth(lambda s: _network(s, nat_gateways="per_az"))
    routes = [r for r in out["resource"]["aws_route"].values() if "nat_gateway_id" in r]
    assert len({r["nat_gateway_id"] for r in routes}) == 2


def test_single_nat_serves_every_private_route_table():
    out = synth(_network)
    routes = [r for r in out["resource"]["aws_route"].values() if "nat_gateway_id" in r]
    assert len(routes) == 2 and len({r["nat_gateway_id"] for r in routes}) == 1


def test_no_nat_means_no_default_route_from_private_subnets():
    out = synth(lambda s: _network(s, nat_gateways="none"))
    assert all("nat_gateway_id" not in r for r in out["resource"]["aws_route"].values())
    assert "aws_nat_gateway" not in out["resource"]


def test_isolated_tier_has_no_internet_route():
    out = synth(_network)
    tables = out["resource"]["aws_route_table"]
    isolated = next(k for k, v in tables.items() if v["tags"]["Name"] == "t-isolated")
    assert all(isolated not in r["route_table_id"] for r in out["resource"]["aws_route"].values())


def test_interface_endpoints_admit_only_https_from_the_vpc():
    out = synth(lambda s: _network(s, interface_endpoints=True))
    (rule,) = out["resource"]["aws_vpc_security_group_ingress_rule"].values()
    assert (rule["from_port"], rule["to_port"], rule["ip_protocol"], rule["cidr_ipv4"]) == (
        443,
        443,
        "tcp",
        "10.30.0.0/16",
    )
    interface = [e for e in out["resource"]["aws_vpc_endpoint"].values() if e["vpc_endpoint_type"] == "Interface"]
    assert len(interface) == 7 and all(e["private_dns_enabled"] is True for e in interface)


def test_flow_log_key_only_serves_this_log_group():
    out = synth(_network)
    docs = out["data"]["aws_iam_policy_document"]
    key_policy = next(d for d in docs.values() if any(s["sid"] == "CloudWatchLogsUseKey" for s in d["statement"]))
    grant = next(s for s in key_policy["statement"] if s["sid"] == "CloudWatchLogsUseKey")
    assert grant["condition"][0]["values"] == [f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/vpc/t/flow-logs"]
