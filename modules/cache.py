"""ElastiCache Redis with IAM authentication: no password or auth token exists anywhere.

The app connects as an IAM-mode user (its user ID and name are the same, as IAM auth requires)
and signs a short-lived token with its task role (`elasticache:Connect`). The mandatory `default`
user is switched off. Data is encrypted at rest with a KMS key and in transit with TLS.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.elasticache_replication_group import (
    ElasticacheReplicationGroup,
    ElasticacheReplicationGroupLogDeliveryConfiguration,
)
from cdktf_cdktf_provider_aws.elasticache_subnet_group import ElasticacheSubnetGroup
from cdktf_cdktf_provider_aws.elasticache_user import ElasticacheUser, ElasticacheUserAuthenticationMode
from cdktf_cdktf_provider_aws.elasticache_user_group import ElasticacheUserGroup
from constructs import Construct

from environments.schema import CacheConfig
from modules.security_group import client_only_security_group

REDIS_PORT = 6379
# Everything an application needs, nothing that administers the server.
APP_ACCESS_STRING = "on ~* &* +@all -@admin -@dangerous"


class RedisCache(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        config: CacheConfig,
        vpc_id: str,
        subnet_ids: Sequence[str],
        client_security_group_ids: Sequence[str],
        kms_key_arn: str,
        log_kms_key_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        self.port = REDIS_PORT
        self.security_group = client_only_security_group(
            self,
            "security-group",
            name=f"{name}-redis",
            description=f"Redis {name}: from the app tier only",
            vpc_id=vpc_id,
            port=REDIS_PORT,
            client_security_group_ids=client_security_group_ids,
            client_description="Redis (TLS) from the app tier",
        )
        subnet_group = ElasticacheSubnetGroup(
            self, "subnet-group", name=f"{name}-redis", subnet_ids=list(subnet_ids), description=f"{name} isolated"
        )

        # A user group must contain a user named "default"; this one can do nothing.
        default_user = ElasticacheUser(
            self,
            "default-user",
            user_id=f"{name}-default",
            user_name="default",
            engine="redis",
            access_string="off -@all",
            authentication_mode=ElasticacheUserAuthenticationMode(type="no-password-required"),
        )
        self.app_user = ElasticacheUser(
            self,
            "app-user",
            user_id=f"{name}-app",
            user_name=f"{name}-app",
            engine="redis",
            access_string=APP_ACCESS_STRING,
            authentication_mode=ElasticacheUserAuthenticationMode(type="iam"),
        )
        user_group = ElasticacheUserGroup(
            self,
            "user-group",
            user_group_id=f"{name}-users",
            engine="redis",
            user_ids=[default_user.user_id, self.app_user.user_id],
        )

        self.slow_log = CloudwatchLogGroup(
            self,
            "slow-log",
            name=f"/elasticache/{name}/slow-log",
            retention_in_days=config.slow_log_retention_days,
            kms_key_id=log_kms_key_arn,
        )
        self.replication_group = ElasticacheReplicationGroup(
            self,
            "replication-group",
            replication_group_id=name,
            description=f"{name} Redis",
            engine="redis",
            engine_version=config.engine_version,
            node_type=config.node_type,
            num_cache_clusters=config.node_count,
            port=REDIS_PORT,
            subnet_group_name=subnet_group.name,
            security_group_ids=[self.security_group.id],
            at_rest_encryption_enabled="true",
            kms_key_id=kms_key_arn,
            transit_encryption_enabled=True,
            user_group_ids=[user_group.user_group_id],
            automatic_failover_enabled=config.multi_az,
            multi_az_enabled=config.multi_az,
            snapshot_retention_limit=config.snapshot_retention_days,
            snapshot_window=config.snapshot_window,
            maintenance_window=config.maintenance_window,
            auto_minor_version_upgrade="true",
            log_delivery_configuration=[
                ElasticacheReplicationGroupLogDeliveryConfiguration(
                    destination=self.slow_log.name,
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type="slow-log",
                )
            ],
        )

    @property
    def endpoint(self) -> str:
        return self.replication_group.primary_endpoint_address
