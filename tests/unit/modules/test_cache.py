"""modules/cache.py: RedisCache, an encrypted replication group whose failover follows its size."""

from __future__ import annotations

from environments.schema import CacheConfig
from modules.cache import RedisCache
from tests.helpers import KEY, synth


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
