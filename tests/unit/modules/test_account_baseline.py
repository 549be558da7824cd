"""modules/account_baseline.py: each account-and-region singleton, one construct each."""

from __future__ import annotations

from modules.account_baseline import (
    AccountPasswordPolicy,
    ApiGatewayAccountLogging,
    ConfigRecorder,
    CostControls,
    EbsDefaultEncryption,
    ServiceLinkedRoles,
    SessionManagerPreferences,
)
from tests.helpers import ACCOUNT, REGION, of_type, synth

MONITOR = "arn:aws:ce::111111111111:anomalymonitor/0b7e8b35-aaaa-bbbb-cccc-1234567890ab"


def _recorder(stack, *, primary: bool = True) -> ConfigRecorder:
    return ConfigRecorder(
        stack,
        "config",
        name="dev",
        account_id=ACCOUNT,
        region=REGION,
        record_global_resources=primary,
        managed_rules=("EC2_EBS_ENCRYPTION_BY_DEFAULT", "VPC_FLOW_LOGS_ENABLED"),
        force_destroy=False,
    )


def _only(out: dict, resource_type: str) -> tuple[str, dict]:
    (item,) = of_type(out, resource_type).items()
    return item


def _statement(out: dict, sid: str) -> dict:
    """The one policy-document statement with this Sid (key policies are policy-document data sources)."""
    (found,) = [
        s
        for doc in of_type(out, "aws_iam_policy_document", "data").values()
        for s in doc["statement"]
        if s.get("sid") == sid
    ]
    return found


def _conditions(statement: dict) -> dict[str, list[str]]:
    return {f"{c['test']}:{c['variable']}": c["values"] for c in statement.get("condition", [])}


def test_config_delivers_to_its_encrypted_bucket_after_the_recorder_and_rules_wait_for_it():
    out = synth(_recorder)
    recorder_id, recorder = _only(out, "aws_config_configuration_recorder")
    assert recorder["recording_group"]["all_supported"] is True
    assert recorder["recording_group"]["include_global_resource_types"] is True
    _, channel = _only(out, "aws_config_delivery_channel")
    assert channel["s3_kms_key_arn"].startswith("${aws_kms_key.")
    # Config checks the bucket policy when the channel is made, and needs a recorder first.
    assert f"aws_config_configuration_recorder.{recorder_id}" in channel["depends_on"]
    assert any(d.startswith("aws_s3_bucket_policy.") for d in channel["depends_on"])
    _, status = _only(out, "aws_config_configuration_recorder_status")
    assert status["is_enabled"] is True and status["depends_on"][0].startswith("aws_config_delivery_channel.")
    rules = of_type(out, "aws_config_config_rule")
    assert sorted(r["source"]["source_identifier"] for r in rules.values()) == [
        "EC2_EBS_ENCRYPTION_BY_DEFAULT",
        "VPC_FLOW_LOGS_ENABLED",
    ]
    assert all(r["depends_on"] == [f"aws_config_configuration_recorder.{recorder_id}"] for r in rules.values())
    # The role reads through AWS_ConfigRole and may deliver only under its own prefix.
    (attachment,) = of_type(out, "aws_iam_role_policy_attachment").values()
    assert attachment["policy_arn"].endswith("service-role/AWS_ConfigRole")
    deliver = _statement(out, "Deliver")
    assert deliver["resources"] == [f"arn:aws:s3:::dev-config-{ACCOUNT}-{REGION}/AWSLogs/{ACCOUNT}/Config/*"]


def test_global_resources_are_recorded_only_where_asked():
    _, recorder = _only(synth(lambda s: _recorder(s, primary=False)), "aws_config_configuration_recorder")
    assert recorder["recording_group"]["include_global_resource_types"] is False


def test_ebs_default_encryption_uses_a_key_only_ec2_in_this_region_may_use():
    out = synth(lambda s: EbsDefaultEncryption(s, "ebs", name="dev", account_id=ACCOUNT, region=REGION))
    _, default = _only(out, "aws_ebs_encryption_by_default")
    assert default["enabled"] is True
    _, key = _only(out, "aws_ebs_default_kms_key")
    assert key["key_arn"].startswith("${aws_kms_key.")
    assert _conditions(_statement(out, "AccountUsesKeyThroughEc2")) == {
        "StringEquals:kms:CallerAccount": [ACCOUNT],
        "StringEquals:kms:ViaService": [f"ec2.{REGION}.amazonaws.com"],
    }


def _sessions(stack, *, adopt: bool) -> SessionManagerPreferences:
    return SessionManagerPreferences(
        stack, "sessions", name="dev", account_id=ACCOUNT, region=REGION, log_retention_days=365, adopt_existing=adopt
    )


def test_sessions_are_logged_encrypted_and_time_out():
    out = synth(lambda s: _sessions(s, adopt=False))
    _, group = _only(out, "aws_cloudwatch_log_group")
    assert group["name"] == "/aws/ssm/dev/sessions" and group["retention_in_days"] == 365
    assert group["kms_key_id"].startswith("${aws_kms_key.")
    _, document = _only(out, "aws_ssm_document")
    assert (document["name"], document["document_type"]) == ("SSM-SessionManagerRunShell", "Session")
    content = document["content"]
    for setting in ('"cloudWatchEncryptionEnabled" = true', '"idleSessionTimeout" = "20"', '"kmsKeyId" = aws_kms_key.'):
        assert setting in content, setting
    # CloudWatch Logs may use the key only for this log group.
    assert _conditions(_statement(out, "CloudWatchLogsUseKey"))["ArnEquals:kms:EncryptionContext:aws:logs:arn"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/ssm/dev/sessions"
    ]
    assert "import" not in out


def test_an_adopted_preferences_document_is_imported_not_created_again():
    out = synth(lambda s: _sessions(s, adopt=True))
    document_id, _ = _only(out, "aws_ssm_document")
    assert out["import"] == [{"id": "SSM-SessionManagerRunShell", "to": f"aws_ssm_document.{document_id}"}]


def test_password_policy_requires_every_character_class():
    out = synth(lambda s: AccountPasswordPolicy(s, "p", minimum_length=14, max_age_days=90, reuse_prevention=24))
    _, policy = _only(out, "aws_iam_account_password_policy")
    assert policy["minimum_password_length"] == 14 and policy["password_reuse_prevention"] == 24
    assert all(policy[f"require_{c}"] for c in ("lowercase_characters", "uppercase_characters", "numbers", "symbols"))


def _costs(stack, **overrides) -> CostControls:
    settings = dict(
        name="dev",
        alert_emails=["ops@example.com"],
        monthly_budget_usd=250.0,
        anomaly_detection=True,
        anomaly_monitor_arn=None,
        anomaly_threshold_usd=25.0,
    )
    return CostControls(stack, "costs", **(settings | overrides))


def test_budget_mails_at_80_actual_and_100_forecast_and_anomalies_daily():
    out = synth(_costs)
    _, budget = _only(out, "aws_budgets_budget")
    assert budget["limit_amount"] == "250.00"
    assert [(n["notification_type"], n["threshold"]) for n in budget["notification"]] == [
        ("ACTUAL", 80),
        ("FORECASTED", 100),
    ]
    _, subscription = _only(out, "aws_ce_anomaly_subscription")
    assert subscription["frequency"] == "DAILY"
    assert subscription["monitor_arn_list"][0].startswith("${aws_ce_anomaly_monitor.")
    assert subscription["threshold_expression"]["dimension"]["values"] == ["25"]


def test_an_existing_anomaly_monitor_is_subscribed_to_not_duplicated():
    out = synth(lambda s: _costs(s, anomaly_monitor_arn=MONITOR, monthly_budget_usd=None))
    assert of_type(out, "aws_ce_anomaly_monitor") == {} and of_type(out, "aws_budgets_budget") == {}
    _, subscription = _only(out, "aws_ce_anomaly_subscription")
    assert subscription["monitor_arn_list"] == [MONITOR]


def test_anomaly_detection_off_makes_no_cost_explorer_resources():
    out = synth(lambda s: _costs(s, anomaly_detection=False))
    assert of_type(out, "aws_ce_anomaly_monitor") == {} and of_type(out, "aws_ce_anomaly_subscription") == {}


def test_adopted_service_linked_roles_are_skipped():
    roles = {"autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling", "ecs.amazonaws.com": "AWSServiceRoleForECS"}
    out = synth(lambda s: ServiceLinkedRoles(s, "slr", roles=roles, adopted=["ecs.amazonaws.com"]))
    assert [r["aws_service_name"] for r in of_type(out, "aws_iam_service_linked_role").values()] == [
        "autoscaling.amazonaws.com"
    ]


def test_api_gateway_logs_through_a_role_it_alone_can_assume():
    out = synth(lambda s: ApiGatewayAccountLogging(s, "apigw"))
    role_id, role = _only(out, "aws_iam_role")
    assert role["name_prefix"] == "apigateway-logs-"
    _, account = _only(out, "aws_api_gateway_account")
    assert account["cloudwatch_role_arn"] == f"${{aws_iam_role.{role_id}.arn}}"
    _, attachment = _only(out, "aws_iam_role_policy_attachment")
    assert attachment["policy_arn"].endswith("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
    (trust,) = of_type(out, "aws_iam_policy_document", "data").values()
    assert trust["statement"][0]["principals"] == [{"type": "Service", "identifiers": ["apigateway.amazonaws.com"]}]
