"""<env>-refactor-data: the stateful half of the refactor service.

Aurora, the document store and its DR replica, Redis, the keys that encrypt them, the backup
plan that copies the database into the DR region, and the GitHub token parameter. It changes
rarely and must never be replaced by accident; the app tier reads it through `exports`
(cdktf turns those tokens into outputs plus remote state).
"""

from __future__ import annotations

from dataclasses import asdict

from cdktf import TerraformOutput
from constructs import Construct

from environments.schema import REFACTOR_PARAMETER_PATH, Environment
from modules.backup import BackupPlan, BackupVault
from modules.cache import RedisCache
from modules.database import AuroraPostgres, DatabaseAppRole
from modules.document_store import DocumentStore
from modules.encryption import EncryptionKey
from modules.iam import Statement
from modules.monitoring import alarm_key_grants
from modules.secure_parameter import OutOfBandSecureParameter
from modules.security_group import security_group, tcp_egress_to_group
from stacks.base import EnvironmentStack
from stacks.refactor.data_access import RefactorDataExports
from stacks.shared.network import NetworkStack

# AWS Backup runs after Aurora's own backup window (03:00-04:00 UTC in prod), daily.
BACKUP_SCHEDULE = "cron(0 5 * * ? *)"


class RefactorDataStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment, network: NetworkStack) -> None:
        super().__init__(scope, env=env, component="refactor-data", regional_name=False)
        self.add_dependency(network)
        name = f"{env.name}-refactor"
        account, region, dr_region = env.account_id, self.region, env.dr_region
        self.dr_provider = self.aws_provider(dr_region, alias="dr")
        vpc = network.network.vpc
        isolated_subnets = [subnet.id for subnet in network.network.isolated_subnets]

        # One key per data domain, each usable only through the services that serve that domain.
        def key(id_: str, domain: str, grants, *, provider=None) -> EncryptionKey:
            return EncryptionKey(
                self,
                id_,
                alias=f"{env.name}/refactor/{domain}",
                description=f"{name} {domain}",
                account_id=account,
                service_grants=grants,
                provider=provider,
            )

        def via(sid: str, *services: str, in_region: str = region) -> Statement:
            """Usable only through these services (in this region), by principals of this account."""
            return EncryptionKey.via_service_grant(
                sid, services=[f"{s}.{in_region}.amazonaws.com" for s in services], account_id=account
            )

        self.database_key = key("database-key", "database", [via("UseViaDataServices", "rds", "elasticache", "backup")])
        self.documents_key = key("documents-key", "documents", [via("UseViaS3", "s3")])
        self.logs_key = key(
            "logs-key",
            "logs",
            [
                EncryptionKey.service_grant(
                    "CloudWatchLogs",
                    f"logs.{region}.amazonaws.com",
                    conditions=[
                        ("ArnLike", "kms:EncryptionContext:aws:logs:arn", [f"arn:aws:logs:{region}:{account}:*"])
                    ],
                ),
                *alarm_key_grants(account_id=account),
                via("UseViaMessaging", "sns", "sqs"),
            ],
        )
        self.secrets_key = key("secrets-key", "secrets", [via("UseViaSecretStores", "secretsmanager", "ssm")])
        dr = {"in_region": dr_region}
        self.dr_documents_key = key(
            "dr-documents-key", "dr-documents", [via("UseViaS3", "s3", **dr)], provider=self.dr_provider
        )
        self.dr_backup_key = key(
            "dr-backup-key", "dr-backup", [via("UseViaBackup", "backup", **dr)], provider=self.dr_provider
        )

        # The app tier attaches this group to its tasks and functions; the data tier admits it.
        self.client_security_group = security_group(
            self,
            "client-security-group",
            name=f"{name}-data-clients",
            description=f"{name}: attach to reach Aurora and Redis",
            vpc_id=vpc.id,
        )
        self.database = AuroraPostgres(
            self,
            "database",
            name=name,
            config=env.database,
            vpc_id=vpc.id,
            subnet_ids=isolated_subnets,
            client_security_group_ids=[self.client_security_group.id],
            storage_key_arn=self.database_key.arn,
            secret_key_arn=self.secrets_key.arn,
            database_name="refactor",
            keep_final_snapshot=not env.disposable,
            log_kms_key_arn=self.logs_key.arn,
            log_retention_days=env.compute.log_retention_days,
            data_api=not env.workarounds.skip_database_app_role,
        )
        self.app_role: DatabaseAppRole | None = None
        if not env.workarounds.skip_database_app_role:
            self.app_role = DatabaseAppRole(
                self,
                "database-app-role",
                database=self.database,
                role_name=env.database.app_username,
                vpc_id=vpc.id,
                subnet_ids=[subnet.id for subnet in network.network.private_subnets],
                secrets_kms_key_arn=self.secrets_key.arn,
                log_kms_key_arn=self.logs_key.arn,
                log_retention_days=env.compute.log_retention_days,
            )
        self.cache: RedisCache | None = None
        if not env.workarounds.skip_redis:
            self.cache = RedisCache(
                self,
                "cache",
                name=name,
                config=env.cache,
                vpc_id=vpc.id,
                subnet_ids=isolated_subnets,
                client_security_group_ids=[self.client_security_group.id],
                kms_key_arn=self.database_key.arn,
                log_kms_key_arn=self.logs_key.arn,
            )
        data_ports = [(self.database.port, self.database.security_group, "PostgreSQL")]
        if self.cache is not None:
            data_ports.append((self.cache.port, self.cache.security_group, "Redis"))
        for port, target, what in data_ports:
            tcp_egress_to_group(
                self,
                f"client-to-{what.lower()}",
                security_group_id=self.client_security_group.id,
                target_security_group_id=target.id,
                port=port,
                description=f"{what} in the data tier",
            )

        self.documents = DocumentStore(
            self,
            "documents",
            name=f"{name}-documents-{account}",
            account_id=account,
            config=env.documents,
            kms_key_arn=self.documents_key.arn,
            dr_kms_key_arn=self.dr_documents_key.arn,
            dr_provider=self.dr_provider,
            force_destroy=env.disposable,
        )

        if self.documents.replication is not None:
            self.ignore_emulator_round_trip(
                self.documents.replication,
                ["rule[0].delete_marker_replication", "rule[0].source_selection_criteria"],
                gap="moto drops delete-marker replication and source selection criteria on read",
            )

        # Cross-region backups: Aurora automated-backup replication doesn't cover Aurora clusters;
        # an AWS Backup copy_action into a vault in the DR region does.
        vault = BackupVault(self, "backup-vault", name=f"{name}-data", kms_key_arn=self.database_key.arn)
        dr_vault = BackupVault(
            self,
            "dr-backup-vault",
            name=f"{name}-data-dr",
            kms_key_arn=self.dr_backup_key.arn,
            provider=self.dr_provider,
        )
        self.backup = BackupPlan(
            self,
            "backup",
            name=f"{name}-data-daily",
            vault=vault,
            schedule=BACKUP_SCHEDULE,
            retention_days=env.database.backup_retention,
            copy_to=dr_vault,
            resources=[self.database.cluster.arn],
        )

        self.github_token = OutOfBandSecureParameter(
            self,
            "github-token",
            name=f"/{env.name}/{REFACTOR_PARAMETER_PATH}/github-token",
            description="GitHub token of the refactor service; set out of band (see README)",
            kms_key_arn=self.secrets_key.arn,
        )

        cluster = self.database.cluster
        redis = self.cache.replication_group if self.cache else None
        self.exports = RefactorDataExports(
            client_security_group_id=self.client_security_group.id,
            database_endpoint=cluster.endpoint,
            database_reader_endpoint=cluster.reader_endpoint,
            database_port=str(self.database.port),
            database_name=self.database.database_name,
            database_username=env.database.app_username,
            database_cluster_id=cluster.cluster_identifier,
            database_resource_id=cluster.cluster_resource_id,
            redis_endpoint=self.cache.endpoint if self.cache else None,
            redis_port=str(self.cache.port) if self.cache else None,
            redis_user_id=self.cache.app_user.user_id if self.cache else None,
            redis_replication_group_id=redis.id if redis else None,
            redis_replication_group_arn=redis.arn if redis else None,
            redis_user_arn=self.cache.app_user.arn if self.cache else None,
            documents_bucket_name=self.documents.bucket.name,
            documents_bucket_arn=self.documents.bucket.arn,
            documents_key_arn=self.documents_key.arn,
            logs_key_arn=self.logs_key.arn,
            secrets_key_arn=self.secrets_key.arn,
            github_token_parameter_name=self.github_token.name,
            github_token_parameter_arn=self.github_token.arn,
        )
        for output, value in asdict(self.exports).items():
            if value is not None:
                TerraformOutput(self, output, value=value)
        if self.documents.replica is not None:
            TerraformOutput(self, "documents_replica_bucket_arn", value=self.documents.replica.arn)
        # Break-glass only: the master user's secret, for an operator, never for a task definition.
        TerraformOutput(self, "database_master_secret_arn", value=self.database.master_secret_arn)
        TerraformOutput(self, "github_token_set_command", value=self.github_token.set_command(region))
