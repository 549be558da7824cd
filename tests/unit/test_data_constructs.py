"""Data-tier constructs alone: the database, the cache, the document store, out-of-band parameters."""

from __future__ import annotations

import json

import pytest
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import S3BucketReplicationConfigurationA

from environments.schema import CacheConfig, DatabaseConfig, DocumentsConfig
from modules.cache import RedisCache
from modules.database import AuroraPostgres
from modules.document_store import DocumentStore
from modules.secure_parameter import OutOfBandSecureParameter
from tests.helpers import KEY, synth

DB = DatabaseConfig(min_capacity=0.5, max_capacity=4, backup_retention=7, deletion_protection=False, reader_count=2)


def _aurora(scope, **kwargs):
    settings = dict(
        name="t",
        config=DB,
        vpc_id="vpc-1",
        subnet_ids=["subnet-a", "subnet-b"],
        client_security_group_ids=["sg-app"],
        storage_key_arn=KEY,
        secret_key_arn=KEY,
        log_kms_key_arn=KEY,
        log_retention_days=30,
        database_name="app",
    )
    return AuroraPostgres(scope, "db", **(settings | kwargs))


def test_aurora_writer_plus_readers_and_no_password_anywhere():
    out = synth(_aurora)
    (cluster,) = out["resource"][RdsCluster.TF_RESOURCE_TYPE].values()
    assert cluster["manage_master_user_password"] is True
    assert "master_password" not in json.dumps(out)
    instances = list(out["resource"][RdsClusterInstance.TF_RESOURCE_TYPE].values())
    assert sorted(i["promotion_tier"] for i in instances) == [0, 1, 2]
    assert all(i["monitoring_interval"] == 60 for i in instances)


def test_aurora_keeps_a_final_snapshot_unless_told_it_is_disposable():
    (kept,) = synth(_aurora)["resource"][RdsCluster.TF_RESOURCE_TYPE].values()
    assert kept["skip_final_snapshot"] is False and kept["final_snapshot_identifier"] == "t-final"
    (skipped,) = synth(lambda s: _aurora(s, keep_final_snapshot=False))["resource"][
        RdsCluster.TF_RESOURCE_TYPE
    ].values()
    assert skipped["skip_final_snapshot"] is True and "final_snapshot_identifier" not in skipped


def test_redis_failover_follows_node_count():
    def build(nodes):
        def _build(scope):
            RedisCache(
                scope,
                "cache",
                name="t",
                config=CacheConfig(node_type="cache.t4g.micro", node_count=nodes, snapshot_retention_days=1),
                vpc_id="vpc-1",
                subnet_ids=["subnet-a"],
                client_security_group_ids=["sg-app"],
                kms_key_arn=KEY,
                log_kms_key_arn=KEY,
            )

        return _build

    for nodes, failover in ((1, False), (2, True)):
        (group,) = synth(build(nodes))["resource"]["aws_elasticache_replication_group"].values()
        assert group["automatic_failover_enabled"] is failover and group["multi_az_enabled"] is failover


def test_document_store_without_replication_has_no_dr_bucket():
    out = synth(
        lambda s: DocumentStore(
            s,
            "docs",
            name="docs",
            account_id="111111111111",
            config=DocumentsConfig(replication=False),
            kms_key_arn=KEY,
        )
    )
    assert S3BucketReplicationConfigurationA.TF_RESOURCE_TYPE not in out["resource"]
    assert len(out["resource"]["aws_s3_bucket"]) == 2  # documents + access logs


def test_document_store_replication_needs_a_dr_region():
    with pytest.raises(ValueError, match="dr_provider"):
        synth(
            lambda s: DocumentStore(
                s, "docs", name="docs", account_id="1", config=DocumentsConfig(replication=True), kms_key_arn=KEY
            )
        )


def test_out_of_band_parameter_is_never_a_resource_terraform_reads():
    """The provider decrypts a managed SecureString on every refresh, so the value (ignore_changes)
    or at least the plan role's read of it (value_wo) would reach state or CI: it stays unmanaged."""
    holder = {}

    def build(scope):
        holder["p"] = OutOfBandSecureParameter(
            scope, "p", name="/dev/code-refactor/github-token", description="d", kms_key_arn=KEY
        )

    out = synth(build)
    assert "aws_ssm_parameter" not in out.get("resource", {})
    assert "aws_ssm_parameter" not in out.get("data", {})
    command = holder["p"].set_command("us-east-2")
    assert "--name /dev/code-refactor/github-token" in command and "read -rs" in command
    assert f"--type SecureString --key-id {KEY}" in command
    assert holder["p"].arn.endswith(":parameter/dev/code-refactor/github-token")


def test_out_of_band_parameter_needs_a_path():
    with pytest.raises(ValueError, match="must be a path"):
        synth(lambda s: OutOfBandSecureParameter(s, "p", name="token", description="d", kms_key_arn=KEY))
