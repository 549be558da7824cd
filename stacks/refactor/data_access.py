"""How the refactor app tier reaches its data tier: the environment it is told, the IAM it is given.

The data tier exports tokens (`RefactorDataExports`); these turn them into the container's
environment variables and the least-privilege statements for the tasks and the document processor.
No password appears anywhere: Aurora and Redis both take IAM authentication.
"""

from __future__ import annotations

from dataclasses import dataclass

from modules.iam import Statement


@dataclass(frozen=True)
class RefactorDataExports:
    """Everything the app tier needs from the data tier (tokens; resolved across stacks)."""

    client_security_group_id: str
    database_endpoint: str
    database_reader_endpoint: str
    database_port: str
    database_name: str
    # The app's own role (IAM authentication); the master user and its secret stay in this tier.
    database_username: str
    database_cluster_id: str
    database_resource_id: str
    # None where the environment has no Redis (the emulator: see emulator_workarounds.skip_redis).
    redis_endpoint: str | None
    redis_port: str | None
    redis_user_id: str | None
    redis_replication_group_id: str | None
    redis_replication_group_arn: str | None
    redis_user_arn: str | None
    documents_bucket_name: str
    documents_bucket_arn: str
    documents_key_arn: str
    logs_key_arn: str
    secrets_key_arn: str
    github_token_parameter_name: str
    github_token_parameter_arn: str


def data_environment(data: RefactorDataExports) -> dict[str, str]:
    """Where the database, Redis (if any) and the documents bucket are."""
    environment = {
        "DATABASE_HOST": data.database_endpoint,
        "DATABASE_READER_HOST": data.database_reader_endpoint,
        "DATABASE_PORT": data.database_port,
        "DATABASE_NAME": data.database_name,
        # The app's own role, signed in with a fresh IAM token per connection (no password:
        # nothing to go stale when RDS rotates the master secret, which no task reads).
        "DATABASE_USERNAME": data.database_username,
        "DATABASE_IAM_AUTH": "true",
        "DOCUMENTS_BUCKET": data.documents_bucket_name,
    }
    if data.redis_endpoint is not None:  # no Redis in this environment (the emulator)
        # IAM auth: the user name is the credential's identity, no password.
        environment |= {
            "REDIS_HOST": data.redis_endpoint,
            "REDIS_PORT": data.redis_port,
            "REDIS_USER": data.redis_user_id,
        }
    return environment


def documents_statements(data: RefactorDataExports, *, write: bool) -> list[Statement]:
    """Read (and with `write`, put) documents; list the bucket; use its key."""
    actions = ["s3:GetObject", "s3:GetObjectVersion"] + (["s3:PutObject"] if write else [])
    return [
        Statement(sid="ReadWriteDocuments", actions=actions, resources=[f"{data.documents_bucket_arn}/*"]),
        Statement(sid="ListDocuments", actions=["s3:ListBucket"], resources=[data.documents_bucket_arn]),
        Statement(
            sid="DocumentsKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[data.documents_key_arn]
        ),
    ]


def task_statements(data: RefactorDataExports, *, region: str, account_id: str) -> list[Statement]:
    """The service's tasks: documents, IAM sign-in as the app's database user, and Redis if any."""
    statements = [
        *documents_statements(data, write=True),
        Statement(
            sid="DatabaseIamAuth",
            actions=["rds-db:connect"],
            resources=[
                f"arn:aws:rds-db:{region}:{account_id}:dbuser:{data.database_resource_id}/{data.database_username}"
            ],
        ),
    ]
    if data.redis_replication_group_arn is not None:
        statements.append(
            Statement(
                sid="RedisIamAuth",
                actions=["elasticache:Connect"],
                resources=[data.redis_replication_group_arn, data.redis_user_arn],
            )
        )
    return statements
