"""Secrets Manager rotation for the GizmoSQL password of the TableSleuth hosts.

The four steps Secrets Manager calls, for a secret whose value is the password itself:
- createSecret: store a new random password as AWSPENDING (Python's `secrets`, so the function
  needs no GetRandomPassword permission, which cannot be scoped to a secret);
- setSecret: nothing to do here: GizmoSQL takes its password at start, and each host restarts
  its services within five minutes of a new AWSCURRENT (the host's rotation timer);
- testSecret: the pending value exists and is a well-formed password;
- finishSecret: move AWSCURRENT to the pending version.
"""

from __future__ import annotations

import logging
import os
import secrets
import string

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = int(os.environ.get("PASSWORD_LENGTH", "32"))


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def is_well_formed(password: str) -> bool:
    return len(password) >= PASSWORD_LENGTH and all(c in ALPHABET for c in password)


def handler(event, _context, client=None):
    client = client or boto3.client("secretsmanager")
    secret_id, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]

    metadata = client.describe_secret(SecretId=secret_id)
    if not metadata.get("RotationEnabled"):
        raise ValueError(f"rotation is not enabled for {secret_id}")
    stages = metadata.get("VersionIdsToStages", {})
    if token not in stages:
        raise ValueError(f"version {token} is not a version of {secret_id}")
    if "AWSCURRENT" in stages[token]:
        logger.info("version %s is already AWSCURRENT; nothing to do", token)
        return
    if "AWSPENDING" not in stages[token]:
        raise ValueError(f"version {token} of {secret_id} is not AWSPENDING")

    if step == "createSecret":
        create_secret(client, secret_id, token)
    elif step == "setSecret":
        logger.info("setSecret: the hosts apply the new password themselves after finishSecret")
    elif step == "testSecret":
        test_secret(client, secret_id, token)
    elif step == "finishSecret":
        finish_secret(client, secret_id, token, stages)
    else:
        raise ValueError(f"unknown rotation step {step!r}")


def create_secret(client, secret_id: str, token: str) -> None:
    try:
        client.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage="AWSPENDING")
        logger.info("createSecret: version %s already has a value", token)
        return
    except client.exceptions.ResourceNotFoundException:
        pass
    client.put_secret_value(
        SecretId=secret_id,
        ClientRequestToken=token,
        SecretString=generate_password(),
        VersionStages=["AWSPENDING"],
    )
    logger.info("createSecret: stored a new password as version %s", token)


def test_secret(client, secret_id: str, token: str) -> None:
    value = client.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage="AWSPENDING")
    if not is_well_formed(value["SecretString"]):
        raise ValueError(f"pending version {token} of {secret_id} is not a well-formed password")


def finish_secret(client, secret_id: str, token: str, stages: dict[str, list[str]]) -> None:
    current = next((version for version, labels in stages.items() if "AWSCURRENT" in labels), None)
    moves = {"MoveToVersionId": token}
    if current is not None:
        moves["RemoveFromVersionId"] = current
    client.update_secret_version_stage(SecretId=secret_id, VersionStage="AWSCURRENT", **moves)
    logger.info("finishSecret: version %s is now AWSCURRENT (was %s)", token, current)
