"""What a TableSleuth host is, apart from the resources: the names it and its scripts share (the
secret, the public hostname, the AMI parameter), every placeholder of userdata/tablesleuth/*.sh,
and what its role may do."""

from __future__ import annotations

from environments.schema import Environment
from modules.iam import Statement
from modules.user_data import USERDATA_DIR

USERDATA = USERDATA_DIR / "tablesleuth"
INSTALL_SCRIPT = USERDATA / "install.sh"
CONFIGURE_SCRIPT = USERDATA / "configure.sh"


def secret_name(env: Environment, region: str) -> str:
    return f"{env.name}-tablesleuth-{region}-gizmosql-password"


def public_hostname(env: Environment, region: str) -> str:
    """The name users open: the DNS record, the certificate and the web UI's page URLs."""
    assert env.tablesleuth is not None and env.tablesleuth.dns_zone_name is not None
    return f"tablesleuth-{region}.{env.tablesleuth.dns_zone_name}"


def ami_parameter_name(env: Environment, region: str) -> str:
    """Under /imagebuilder/: the only SSM path Image Builder's service-linked role may write."""
    return f"/imagebuilder/{env.name}/tablesleuth/{region}/ami-id"


def host_values(env: Environment, region: str) -> dict[str, str | int]:
    """Every placeholder value of the host scripts: plain strings known at synth (the secret by
    name, not by its ARN token), so the user data is fixed text. None of them is secret."""
    cfg = env.tablesleuth
    assert cfg is not None
    return {
        "GIZMOSQL_VERSION": cfg.gizmosql_version,
        "TABLESLEUTH_VERSION": cfg.tablesleuth_version,
        "TEXTUAL_SERVE_VERSION": cfg.textual_serve_version,
        "REGION": region,
        "PUBLIC_HOSTNAME": public_hostname(env, region),
        # Double-quoted, one word for bash's `.`; the schema allows no space, quote or $ inside an
        # argument, so serve.py's shlex.split gets the list back.
        "SESSION_ARGS": " ".join(cfg.session_args),
        "SECRET_NAME": secret_name(env, region),
        "APP_PORT": cfg.app_port,
        "FLIGHT_SQL_PORT": cfg.flight_sql_port,
    }


def host_statements(
    *,
    region: str,
    account_id: str,
    secret_arn: str,
    secret_key_arn: str,
    session_key_arn: str,
    session_log_group_arn: str,
) -> list[Statement]:
    """The host role's own policy (beside Session Manager core and the CloudWatch agent)."""
    return [
        # This one secret and nothing else: read it, and fill it on the very first boot.
        Statement(
            sid="GizmoSqlPassword",
            actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue"],
            resources=[secret_arn],
        ),
        Statement(
            sid="GizmoSqlPasswordKey",
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=[secret_key_arn],
            conditions=[("StringEquals", "kms:ViaService", [f"secretsmanager.{region}.amazonaws.com"])],
        ),
        # Session Manager encrypts each session with the baseline's key and logs to its group; the
        # agent on the host does both with this role.
        Statement(sid="SessionEncryption", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[session_key_arn]),
        Statement(
            sid="SessionLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[f"{session_log_group_arn}:*"],
        ),
        Statement(
            sid="SessionLogGroupLookup",
            actions=["logs:DescribeLogGroups"],
            resources=[f"arn:aws:logs:{region}:{account_id}:log-group:*"],
        ),
    ]
