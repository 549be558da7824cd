"""modules/database.py: AuroraPostgres, a writer plus readers with an RDS-managed master password."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance

from environments.schema import DatabaseConfig
from modules.database import AuroraPostgres
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
