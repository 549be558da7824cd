"""modules/encryption.py: a rotating key scoped to its account, and the key policy grants for CloudWatch
Logs and EC2 Auto Scaling."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.kms_key import KmsKey

from modules.encryption import SERVICE_KEY_ACTIONS, EncryptionKey
from tests.helpers import ACCOUNT, REGION, statements, synth

SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def _key(scope):
    EncryptionKey(
        scope,
        "key",
        alias="a",
        description="d",
        account_id=ACCOUNT,
        service_grants=[
            EncryptionKey.logs_grant(region=REGION, account_id=ACCOUNT, log_group_names=["/aws/lambda/x-*", "waf"]),
            *EncryptionKey.autoscaling_grants(account_id=ACCOUNT),
        ],
    )


def test_logs_may_use_the_key_only_for_the_named_log_groups():
    (grant,) = [s for s in statements(synth(_key), "key_policy") if s["sid"] == "CloudWatchLogsUseKey"]
    assert grant["principals"] == [{"type": "Service", "identifiers": [f"logs.{REGION}.amazonaws.com"]}]
    (condition,) = grant["condition"]
    assert (condition["test"], condition["variable"]) == ("ArnLike", "kms:EncryptionContext:aws:logs:arn")
    assert condition["values"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/x-*",
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:waf",
    ]


def test_auto_scaling_may_use_the_key_and_grant_it_to_aws_resources_only():
    found = {s["sid"]: s for s in statements(synth(_key), "key_policy")}
    use, grant = found["AutoScalingUsesKeyForVolumes"], found["AutoScalingGrantsForVolumes"]
    for statement in (use, grant):
        assert statement["principals"] == [{"type": "AWS", "identifiers": [SLR]}]
    assert use["actions"] == list(SERVICE_KEY_ACTIONS)
    assert grant["actions"] == ["kms:CreateGrant"]
    assert {"test": "Bool", "variable": "kms:GrantIsForAWSResource", "values": ["true"]} in grant["condition"]


def test_key_rotates_and_the_root_statement_is_scoped_to_the_account():
    out = synth(
        lambda s: EncryptionKey(
            s,
            "key",
            alias="a",
            description="d",
            account_id=ACCOUNT,
            service_grants=[EncryptionKey.service_grant("Logs", "logs.us-east-2.amazonaws.com")],
        )
    )
    (key,) = out["resource"][KmsKey.TF_RESOURCE_TYPE].values()
    assert key["enable_key_rotation"] is True
    (doc,) = out["data"]["aws_iam_policy_document"].values()
    root, logs = doc["statement"]
    assert root["principals"] == [{"type": "AWS", "identifiers": [f"arn:aws:iam::{ACCOUNT}:root"]}]
    assert root["condition"] == [{"test": "StringEquals", "variable": "kms:CallerAccount", "values": [ACCOUNT]}]
    assert logs["principals"] == [{"type": "Service", "identifiers": ["logs.us-east-2.amazonaws.com"]}]
    assert "kms:*" not in logs["actions"]
