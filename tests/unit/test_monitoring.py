"""The shared monitoring construct: encrypted TLS-only topic, alarms wired to it, dashboards."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription

from modules.monitoring import Metric, MetricMath, Monitoring, metric_widget
from tests.helpers import ACCOUNT, scratch_stack, synth_stack

CPU = Metric(namespace="AWS/ECS", name="CPUUtilization", dimensions={"ClusterName": "c", "ServiceName": "s"})


def _synth(emails=("ops@example.com",)) -> dict:
    stack = scratch_stack()
    monitoring = Monitoring(
        stack, "m", name="dev-x", kms_key_arn="arn:aws:kms:us-east-2:1:key/k", account_id=ACCOUNT, emails=emails
    )
    monitoring.alarm("cpu", alarm_name="dev-x-cpu", description="CPU high", metric=CPU, threshold=80)
    monitoring.alarm(
        "latency",
        alarm_name="dev-x-p99",
        description="p99 latency",
        metric=Metric(namespace="AWS/ApiGateway", name="Latency", statistic="p99", period=60),
        threshold=2000,
    )
    monitoring.alarm(
        "rate",
        alarm_name="dev-x-5xx-rate",
        description="5XX rate",
        metric=MetricMath(
            expression="100 * errors / MAX([requests, 1])",
            label="5XX %",
            metrics={
                "errors": Metric(namespace="AWS/ApiGateway", name="5XXError", statistic="Sum"),
                "requests": Metric(namespace="AWS/ApiGateway", name="Count", statistic="Sum"),
            },
        ),
        threshold=5,
    )
    monitoring.dashboard("dash", name="dev-x", widgets=[metric_widget(title="CPU", region="us-east-2", metrics=[CPU])])
    return synth_stack(stack)


OUT = None


def _out() -> dict:
    global OUT
    OUT = OUT or _synth()
    return OUT


def test_topic_is_encrypted_and_denies_plain_http():
    out = _out()
    (topic,) = out["resource"][SnsTopic.TF_RESOURCE_TYPE].values()
    assert topic["kms_master_key_id"].startswith("arn:aws:kms:")
    (doc,) = out["data"]["aws_iam_policy_document"].values()
    deny = next(s for s in doc["statement"] if s["effect"] == "Deny")
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def test_every_alarm_notifies_the_topic_on_alarm_and_recovery():
    alarms = _out()["resource"][CloudwatchMetricAlarm.TF_RESOURCE_TYPE]
    assert len(alarms) == 3
    for alarm in alarms.values():
        (action,) = alarm["alarm_actions"]
        assert action.startswith("${aws_sns_topic.") and action.endswith(".arn}")
        assert alarm["ok_actions"] == alarm["alarm_actions"]


def test_percentiles_use_extended_statistic_and_math_keeps_its_queries():
    alarms = {a["alarm_name"]: a for a in _out()["resource"][CloudwatchMetricAlarm.TF_RESOURCE_TYPE].values()}
    assert alarms["dev-x-p99"]["extended_statistic"] == "p99" and "statistic" not in alarms["dev-x-p99"]
    assert alarms["dev-x-cpu"]["statistic"] == "Average"
    queries = {q["id"]: q for q in alarms["dev-x-5xx-rate"]["metric_query"]}
    assert queries["e1"]["return_data"] is True
    assert queries["errors"]["metric"]["metric_name"] == "5XXError"
    assert queries["errors"]["metric"]["stat"] == "Sum"


def test_email_subscribers_come_from_config():
    subs = _out()["resource"][SnsTopicSubscription.TF_RESOURCE_TYPE]
    assert [s["endpoint"] for s in subs.values()] == ["ops@example.com"]
    assert SnsTopicSubscription.TF_RESOURCE_TYPE not in _synth(emails=())["resource"]


def test_dashboard_body_keeps_widget_properties():
    (dash,) = _out()["resource"][CloudwatchDashboard.TF_RESOURCE_TYPE].values()
    assert "CPUUtilization" in dash["dashboard_body"]
    assert dash["dashboard_body"].startswith("${jsonencode(")
