"""Aurora Serverless v2 PostgreSQL in isolated subnets, reachable only from named client security groups.

AWS generates and rotates the master password (`manage_master_user_password`) and keeps it in
Secrets Manager under the secrets key; no password exists in code, config, JSON or state.
Applications should prefer IAM database authentication (on here) over the master secret.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster, RdsClusterServerlessv2ScalingConfiguration
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktf_cdktf_provider_aws.rds_cluster_parameter_group import (
    RdsClusterParameterGroup,
    RdsClusterParameterGroupParameter,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from environments.schema import DatabaseConfig
from modules.iam import assume_role_policy

POSTGRES_PORT = 5432
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


class AuroraPostgres(Construct):
    """One Aurora PostgreSQL cluster: a writer plus `config.reader_count` readers, all db.serverless."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        config: DatabaseConfig,
        vpc_id: str,
        subnet_ids: Sequence[str],
        client_security_group_ids: Sequence[str],
        storage_key_arn: str,
        secret_key_arn: str,
        database_name: str,
        master_username: str = "app_admin",
        keep_final_snapshot: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        self.name = name
        self.port = POSTGRES_PORT
        self.database_name = database_name
        self.master_username = master_username

        self.security_group = SecurityGroup(
            self,
            "security-group",
            name=f"{name}-aurora",
            description=f"Aurora {name}: PostgreSQL from the app tier only",
            vpc_id=vpc_id,
            # No egress: the database starts no connections of its own.
            egress=[],
        )
        for index, client in enumerate(client_security_group_ids):
            VpcSecurityGroupIngressRule(
                self,
                f"from-client-{index}",
                security_group_id=self.security_group.id,
                referenced_security_group_id=client,
                ip_protocol="tcp",
                from_port=POSTGRES_PORT,
                to_port=POSTGRES_PORT,
                description="PostgreSQL from the app tier",
            )
        subnet_group = DbSubnetGroup(
            self, "subnet-group", name=f"{name}-aurora", subnet_ids=list(subnet_ids), description=f"{name} isolated"
        )
        major = config.engine_version.split(".")[0]
        self.parameter_group = RdsClusterParameterGroup(
            self,
            "parameters",
            name=f"{name}-aurora-pg{major}",
            family=f"aurora-postgresql{major}",
            description=f"{name}: TLS only, slow-query and DDL logging",
            parameter=[
                RdsClusterParameterGroupParameter(name="rds.force_ssl", value="1"),
                # Statements over 1 s and every DDL statement reach the exported postgresql log.
                RdsClusterParameterGroupParameter(name="log_min_duration_statement", value="1000"),
                RdsClusterParameterGroupParameter(name="log_statement", value="ddl"),
            ],
        )
        self.cluster = RdsCluster(
            self,
            "cluster",
            cluster_identifier=name,
            engine="aurora-postgresql",
            engine_mode="provisioned",
            engine_version=config.engine_version,
            database_name=database_name,
            master_username=master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=secret_key_arn,
            iam_database_authentication_enabled=True,
            storage_encrypted=True,
            kms_key_id=storage_key_arn,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            db_cluster_parameter_group_name=self.parameter_group.name,
            port=POSTGRES_PORT,
            serverlessv2_scaling_configuration=RdsClusterServerlessv2ScalingConfiguration(
                min_capacity=config.min_capacity, max_capacity=config.max_capacity
            ),
            backup_retention_period=config.backup_retention,
            preferred_backup_window=config.backup_window,
            preferred_maintenance_window=config.maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=config.deletion_protection,
            skip_final_snapshot=not keep_final_snapshot,
            final_snapshot_identifier=f"{name}-final" if keep_final_snapshot else None,
            enabled_cloudwatch_logs_exports=["postgresql"],
        )

        monitoring_trust = assume_role_policy(self, "monitoring-trust", service="monitoring.rds.amazonaws.com")
        monitoring_role = IamRole(
            self, "monitoring-role", name=f"{name}-rds-monitoring", assume_role_policy=monitoring_trust.json
        )
        IamRolePolicyAttachment(
            self, "monitoring-policy", role=monitoring_role.name, policy_arn=ENHANCED_MONITORING_POLICY
        )
        self.instances = [
            RdsClusterInstance(
                self,
                "writer" if index == 0 else f"reader-{index}",
                identifier=f"{name}-{index + 1}",
                cluster_identifier=self.cluster.id,
                instance_class="db.serverless",
                engine=self.cluster.engine,
                engine_version=self.cluster.engine_version,
                db_subnet_group_name=subnet_group.name,
                publicly_accessible=False,
                auto_minor_version_upgrade=True,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=storage_key_arn,
                performance_insights_retention_period=config.performance_insights_retention_days,
                monitoring_interval=60,
                monitoring_role_arn=monitoring_role.arn,
                # The writer is the preferred failover target's peer; readers promote in order.
                promotion_tier=index,
                copy_tags_to_snapshot=True,
            )
            for index in range(1 + config.reader_count)
        ]

    @property
    def master_secret_arn(self) -> str:
        return self.cluster.master_user_secret.get(0).secret_arn
