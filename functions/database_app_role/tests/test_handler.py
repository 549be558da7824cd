"""The app-role bootstrap: the SQL it sends, and that it refuses names that would inject SQL."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

_spec = importlib.util.spec_from_file_location("database_app_role", Path(__file__).parents[1] / "handler.py")
handler = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(handler)


class FakeDataApi:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def execute_statement(self, **kwargs):
        self.calls.append(kwargs)
        return {"numberOfRecordsUpdated": 0}


def test_runs_every_statement_through_the_data_api_with_the_master_secret(monkeypatch):
    cluster = "arn:aws:rds:us-east-2:111111111111:cluster:dev-refactor"
    secret = "arn:aws:secretsmanager:us-east-2:111111111111:secret:rds!cluster-x"  # noqa: S105 - an ARN, not a value
    monkeypatch.setenv("CLUSTER_ARN", cluster)
    monkeypatch.setenv("MASTER_SECRET_ARN", secret)
    # botocore's Stubber checks each call against the real rds-data API model (parameter names).
    client = boto3.client(
        "rds-data",
        region_name="us-east-2",
        aws_access_key_id="x",
        aws_secret_access_key="x",  # noqa: S106 - Stubber never sends
    )
    expected = handler.statements(role="refactor_app", database="refactor", owner="app_admin")
    with Stubber(client) as stub:
        for sql in expected:
            stub.add_response(
                "execute_statement",
                {"numberOfRecordsUpdated": 0},
                {"resourceArn": cluster, "secretArn": secret, "database": "refactor", "sql": sql},
            )
        event = {"role": "refactor_app", "database": "refactor", "owner": "app_admin"}
        handler.lambda_handler(event, None, client=client)
        stub.assert_no_pending_responses()
    api = FakeDataApi()
    result = handler.lambda_handler(
        {"role": "refactor_app", "database": "refactor", "owner": "app_admin"}, None, client=api
    )
    sql = [call["sql"] for call in api.calls]
    assert result == {"role": "refactor_app", "database": "refactor", "statements": len(sql)}
    assert {call["database"] for call in api.calls} == {"refactor"}
    assert {call["secretArn"] for call in api.calls} == {secret}
    assert "CREATE ROLE refactor_app LOGIN" in sql[0] and "IF NOT EXISTS" in sql[0]
    assert "GRANT rds_iam TO refactor_app" in sql
    # Least privilege: never the superuser role, never a password, no role or database creation.
    joined = " ".join(sql).upper()
    for forbidden in ("RDS_SUPERUSER", "PASSWORD", "CREATEROLE", "CREATEDB", "SUPERUSER"):
        assert forbidden not in joined
    assert "secret" not in str(result).lower()


@pytest.mark.parametrize(
    "event",
    [
        {"role": "app; DROP TABLE x", "database": "refactor", "owner": "app_admin"},
        {"role": "App", "database": "refactor", "owner": "app_admin"},
        {"role": "refactor_app", "database": "refactor'--", "owner": "app_admin"},
        {"role": "app_admin", "database": "refactor", "owner": "app_admin"},
        {"database": "refactor", "owner": "app_admin"},
    ],
)
def test_refuses_names_that_are_not_plain_identifiers_or_are_the_master(event):
    api = FakeDataApi()
    with pytest.raises(ValueError):
        handler.lambda_handler(event, None, client=api)
    assert api.calls == []
