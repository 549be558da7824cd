"""The GizmoSQL password rotation function against moto's Secrets Manager, step by step, the way
Secrets Manager calls it."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

# Loaded by path under a name of its own: every function's module is called `handler`, and one
# pytest process (or xdist worker) imports the tests of all of them.
SOURCE = Path(__file__).resolve().parents[1] / "handler.py"
spec = importlib.util.spec_from_file_location("tablesleuth_password_rotation_handler", SOURCE)
rotation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rotation)


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-2")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-2")


def _pending(client, secret_id: str) -> str:
    """What Secrets Manager does before calling the function: label a new version AWSPENDING."""
    token = str(uuid.uuid4())
    client.put_secret_value(
        SecretId=secret_id, ClientRequestToken=token, SecretString="placeholder-pending", VersionStages=["AWSPENDING"]
    )
    return token


def _rotation_on(client, secret_id):
    # moto reports RotationEnabled only after rotate_secret; the function insists on it.
    original = client.describe_secret

    def describe(**kwargs):
        return {**original(**kwargs), "RotationEnabled": True}

    client.describe_secret = describe


def test_full_rotation_replaces_the_current_password(client):
    client.create_secret(Name="pw", SecretString="first-password-from-the-host-000000")
    _rotation_on(client, "pw")
    token = str(uuid.uuid4())
    # createSecret on a version that has no value yet: the function stores a fresh password.
    rotation.create_secret(client, "pw", token)
    pending = client.get_secret_value(SecretId="pw", VersionId=token, VersionStage="AWSPENDING")["SecretString"]
    assert rotation.is_well_formed(pending)
    assert pending != "first-password-from-the-host-000000"

    for step in ("setSecret", "testSecret", "finishSecret"):
        rotation.handler({"SecretId": "pw", "ClientRequestToken": token, "Step": step}, None, client=client)
    # By stage, as the hosts read it (moto keeps answering the unstaged call with the old default).
    assert client.get_secret_value(SecretId="pw", VersionStage="AWSCURRENT")["SecretString"] == pending
    stages = client.describe_secret(SecretId="pw")["VersionIdsToStages"]
    assert "AWSCURRENT" in stages[token]


def test_create_secret_keeps_an_existing_pending_value(client):
    client.create_secret(Name="pw", SecretString="first-password-from-the-host-000000")
    token = str(uuid.uuid4())
    rotation.create_secret(client, "pw", token)
    first = client.get_secret_value(SecretId="pw", VersionId=token)["SecretString"]
    rotation.create_secret(client, "pw", token)  # Secrets Manager retries steps
    assert client.get_secret_value(SecretId="pw", VersionId=token)["SecretString"] == first


def test_test_secret_refuses_a_malformed_pending_value(client):
    client.create_secret(Name="pw", SecretString="first-password-from-the-host-000000")
    _rotation_on(client, "pw")
    token = _pending(client, "pw")
    with pytest.raises(ValueError, match="not a well-formed password"):
        rotation.handler({"SecretId": "pw", "ClientRequestToken": token, "Step": "testSecret"}, None, client=client)


def test_refuses_unknown_versions_and_steps(client):
    client.create_secret(Name="pw", SecretString="first-password-from-the-host-000000")
    _rotation_on(client, "pw")
    with pytest.raises(ValueError, match="is not a version"):
        rotation.handler(
            {"SecretId": "pw", "ClientRequestToken": str(uuid.uuid4()), "Step": "createSecret"}, None, client=client
        )
    token = _pending(client, "pw")
    with pytest.raises(ValueError, match="unknown rotation step"):
        rotation.handler({"SecretId": "pw", "ClientRequestToken": token, "Step": "dropSecret"}, None, client=client)


def test_refuses_when_rotation_is_off(client):
    client.create_secret(Name="pw", SecretString="first-password-from-the-host-000000")
    token = _pending(client, "pw")
    with pytest.raises(ValueError, match="rotation is not enabled"):
        rotation.handler({"SecretId": "pw", "ClientRequestToken": token, "Step": "createSecret"}, None, client=client)


def test_generated_passwords_are_long_random_and_alphanumeric():
    passwords = {rotation.generate_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(rotation.is_well_formed(p) and len(p) == rotation.PASSWORD_LENGTH for p in passwords)
    assert not rotation.is_well_formed("short")
    assert not rotation.is_well_formed("x" * 31 + "!")
