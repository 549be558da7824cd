"""Aurora Serverless v2 PostgreSQL in isolated subnets, reachable only from named client security groups.

AWS generates and rotates the master password (`manage_master_user_password`) and keeps it in
Secrets Manager under the secrets key; no password exists in code, config, JSON or state.
The master secret is break-glass only: the application signs in as its own role with IAM
database authentication (`DatabaseAppRole`, created at deploy time through the Data API).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_invocation import LambdaInvocation
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster, RdsClusterServerlessv2ScalingConfiguration
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktf_cdktf_provider_aws.rds_cluster_parameter_group import (
    RdsClusterParameterGroup,
    RdsClusterParameterGroupParameter,
)
from constructs import Construct

from environments.schema import DatabaseConfig
from modules.iam import Statement, assume_role_policy
from modules.lambda_function import FUNCTIONS_DIR, PythonFunction
from modules.security_group import client_only_security_group, https_only_security_group

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
        log_kms_key_arn: str,
        log_retention_days: int,
        master_username: str = "app_admin",
        keep_final_snapshot: bool = True,
        data_api: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        self.name = name
        self.port = POSTGRES_PORT
        self.database_name = database_name
        self.master_username = master_username

        # No egress: the database starts no connections of its own.
        self.security_group = client_only_security_group(
            self,
            "security-group",
            name=f"{name}-aurora",
            description=f"Aurora {name}: PostgreSQL from the app tier only",
            vpc_id=vpc_id,
            port=POSTGRES_PORT,
            client_security_group_ids=client_security_group_ids,
            client_description="PostgreSQL from the app tier",
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
        # RDS would create the export's group on first delivery, never expiring and unencrypted;
        # created first, it has the environment's retention and the logs key like every other group.
        self.postgresql_log_group = CloudwatchLogGroup(
            self,
            "postgresql-logs",
            name=f"/aws/rds/cluster/{name}/postgresql",
            retention_in_days=log_retention_days,
            kms_key_id=log_kms_key_arn,
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
            # The Data API (HTTPS, IAM + the master secret) lets DatabaseAppRole create the app's
            # role at deploy time without a network path into the isolated subnets.
            enable_http_endpoint=data_api,
            # `engine_version` is the version a new cluster starts on. Automatic minor upgrades stay
            # on (security fixes), and AWS moves the running cluster past it; without this, every
            # plan after such an upgrade asks for a downgrade that RDS refuses. A major upgrade is a
            # deliberate runbook step (the parameter group family follows the major in config).
            lifecycle=TerraformResourceLifecycle(ignore_changes=["engine_version"]),
            depends_on=[self.postgresql_log_group],
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
                # No engine_version: instances follow the cluster, so a minor upgrade is no diff here either.
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


class DatabaseAppRole(Construct):
    """The application's own PostgreSQL role, created at deploy time by `functions/database_app_role`.

    A function in the VPC's private subnets (HTTPS out only) runs idempotent SQL through the RDS
    Data API as the master user; `aws_lambda_invocation` runs it once after the writer exists and
    again whenever the SQL (the function code) or the cluster changes. The app then connects as
    `role_name` with IAM tokens (`rds-db:connect` on that user only); the master secret is read
    here and nowhere else.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        database: AuroraPostgres,
        role_name: str,
        vpc_id: str,
        subnet_ids: Sequence[str],
        secrets_kms_key_arn: str,
        log_kms_key_arn: str,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, id_)
        self.role_name = role_name
        cluster = database.cluster
        function_name = f"{database.name}-db-app-role"
        self.security_group = https_only_security_group(
            self,
            "security-group",
            name_prefix=f"{function_name}-",
            description="database app-role bootstrap: HTTPS out to the RDS Data API only",
            vpc_id=vpc_id,
            tags={"Name": function_name},
            egress_id="out-https",
            egress_description="HTTPS to the RDS Data API and Secrets Manager",
        )
        self.function = PythonFunction(
            self,
            "function",
            function_name=function_name,
            source_dir=FUNCTIONS_DIR / "database_app_role",
            handler="handler.lambda_handler",
            kms_key_arn=log_kms_key_arn,
            log_retention_days=log_retention_days,
            environment={"CLUSTER_ARN": cluster.arn, "MASTER_SECRET_ARN": database.master_secret_arn},
            policy_statements=[
                Statement(sid="RunSqlThroughDataApi", actions=["rds-data:ExecuteStatement"], resources=[cluster.arn]),
                # The Data API reads the master secret with the caller's credentials.
                Statement(
                    sid="ReadMasterSecret",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[database.master_secret_arn],
                ),
                Statement(
                    sid="DecryptMasterSecret",
                    actions=["kms:Decrypt"],
                    resources=[secrets_kms_key_arn],
                    conditions=[("StringLike", "kms:ViaService", ["secretsmanager.*.amazonaws.com"])],
                ),
            ],
            subnet_ids=subnet_ids,
            security_group_ids=[self.security_group.id],
            timeout=120,
            memory_size=256,
            # Run by Terraform once per change, never concurrently with itself.
            reserved_concurrency=1,
        )
        self.invocation = LambdaInvocation(
            self,
            "run",
            function_name=self.function.function.function_name,
            input=json.dumps(
                {"role": role_name, "database": database.database_name, "owner": database.master_username}
            ),
            triggers={"code": self.function.code_hash, "cluster": cluster.cluster_resource_id},
            # The Data API needs a running writer; the role's policy must be in place before the call.
            depends_on=[*database.instances[:1], self.function.role_policy],
        )
