"""Creates the application's own PostgreSQL role, once per deploy, through the RDS Data API.

Terraform runs this function through `aws_lambda_invocation` in the data tier. It signs in as the
Aurora master user only here (the Data API reads the RDS-managed master secret with this
function's role), so the master secret is break-glass only and no task definition references it.

The role it creates logs in with IAM authentication alone (`rds_iam`, no password), so RDS's
weekly rotation of the master password never breaks running tasks, and it holds only what the
app needs: connect to its database, use and create objects in the `public` schema, and read and
write the rows there. It is not `rds_superuser`, cannot create roles or databases, and cannot
replicate. Every statement is idempotent, so a re-run (new code, replaced cluster) is safe.
"""

from __future__ import annotations

import json
import os
import re

import boto3

# PostgreSQL identifiers we accept: lower case, digits and `_`, at most 63 bytes. The names are
# interpolated into SQL (identifiers cannot be bound parameters), so anything else is refused.
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _identifier(value: object, field: str) -> str:
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
        raise ValueError(f"{field} must be a lower-case PostgreSQL identifier, got {value!r}")
    return value


def statements(*, role: str, database: str, schema: str = "public", owner: str) -> list[str]:
    """The SQL, in order. `owner` is the master user: its future tables are granted to `role` too."""
    role = _identifier(role, "role")
    database = _identifier(database, "database")
    schema = _identifier(schema, "schema")
    owner = _identifier(owner, "owner")
    if role == owner:
        raise ValueError("the app role must not be the master user")
    return [
        # CREATE ROLE's defaults are NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
        # and no password: IAM tokens are the only way in.
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') "  # noqa: S608 - checked identifier
        f"THEN CREATE ROLE {role} LOGIN; END IF; END $$",
        f"GRANT rds_iam TO {role}",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}",
        f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]


def lambda_handler(event: dict, _context: object, client=None) -> dict:
    """`event`: {"role": ..., "database": ..., "owner": ...}; cluster and secret ARNs come from the environment."""
    sql = statements(role=event.get("role"), database=event.get("database"), owner=event.get("owner"))
    client = client or boto3.client("rds-data")
    for statement in sql:
        client.execute_statement(
            resourceArn=os.environ["CLUSTER_ARN"],
            secretArn=os.environ["MASTER_SECRET_ARN"],
            database=event["database"],
            sql=statement,
        )
    # Terraform keeps this result in state: names and a count only, never a credential.
    result = {"role": event["role"], "database": event["database"], "statements": len(sql)}
    print(json.dumps({"level": "INFO", "message": "app role ensured", **result}))
    return result
