"""modules/monitoring.py: the shared monitoring construct (encrypted TLS-only topic, alarms wired to it,
dashboards, saved queries), with alarms declared as a table of AlarmSpec rows (one style for every
workload)."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.cloudwatch_query_definition import CloudwatchQueryDefinition
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription

from modules.monitoring import AlarmSpec, Metric, MetricMath, Monitoring, metric_widget
from tests.helpers import ACCOUNT, KEY, of_type, resources, scratch_stack, synth, synth_stack

CPU = Metric(namespace="AWS/ECS", name="CPUUtilization", dimensions={"ClusterName": "c", "ServiceName": "s"})
P99 = Metric(namespace="AWS/ApiGateway", name="Latency", statistic="p99", period=60)
RATE = MetricMath(
    expression="100 * errors / MAX([requests, 1])",
    label="5XX %",
    metrics={
        "errors": Metric(namespace="AWS/ApiGateway", name="5XXError", statistic="Sum"),
        "requests": Metric(namespace="AWS/ApiGateway", name="Count", statistic="Sum"),
    },
)
TABLE = [
    AlarmSpec(id="cpu", description="CPU high", metric=CPU, threshold=80),
    AlarmSpec(id="latency-p99", description="p99", metric=P99, threshold=2000, evaluation_periods=3),
    AlarmSpec(
        id="5xx-rate",
        description="5XX rate",
        metric=RATE,
        threshold=5,
        comparison="GreaterThanOrEqualToThreshold",
        datapoints_to_alarm=1,
        treat_missing_data="missing",
    ),
]


def _monitoring(stack) -> Monitoring:
    return Monitoring(stack, "monitoring", name="dev-x", kms_key_arn=KEY, account_id=ACCOUNT)


def test_each_row_becomes_one_alarm_named_after_the_monitoring_and_wired_to_its_topic():
    out = synth(lambda s: _monitoring(s).alarms(TABLE))
    alarms = {a["alarm_name"]: a for a in of_type(out, "aws_cloudwatch_metric_alarm").values()}
    assert set(alarms) == {"dev-x-cpu", "dev-x-latency-p99", "dev-x-5xx-rate"}
    for alarm in alarms.values():
        (topic,) = alarm["alarm_actions"]
        assert topic.startswith("${aws_sns_topic.") and alarm["ok_actions"] == [topic]

    cpu = alarms["dev-x-cpu"]
    assert (cpu["statistic"], cpu["threshold"], cpu["comparison_operator"]) == ("Average", 80, "GreaterThanThreshold")
    assert (cpu["evaluation_periods"], cpu["datapoints_to_alarm"], cpu["treat_missing_data"]) == (2, 2, "notBreaching")
    # CloudWatch takes a percentile only as ExtendedStatistic.
    p99 = alarms["dev-x-latency-p99"]
    assert p99["extended_statistic"] == "p99" and "statistic" not in p99 and p99["evaluation_periods"] == 3
    rate = alarms["dev-x-5xx-rate"]
    assert [q["id"] for q in rate["metric_query"]] == ["e1", "errors", "requests"]
    assert rate["metric_query"][0]["return_data"] is True and rate["metric_query"][0]["expression"] == RATE.expression
    assert (rate["datapoints_to_alarm"], rate["treat_missing_data"]) == (1, "missing")
    assert rate["comparison_operator"] == "GreaterThanOrEqualToThreshold"


def test_a_row_makes_the_same_alarm_as_the_single_alarm_call():
    table = synth(lambda s: _monitoring(s).alarms(TABLE[:1]))
    single = synth(
        lambda s: _monitoring(s).alarm("cpu", alarm_name="dev-x-cpu", description="CPU high", metric=CPU, threshold=80)
    )
    assert of_type(table, "aws_cloudwatch_metric_alarm") == of_type(single, "aws_cloudwatch_metric_alarm")


def test_repeated_ids_are_refused_by_name():
    with pytest.raises(ValueError, match="dev-x: alarm ids must be unique, repeated: cpu"):
        synth(lambda s: _monitoring(s).alarms([TABLE[0], TABLE[0]]))


def test_more_datapoints_than_evaluation_periods_is_refused():
    # CloudWatch's "M out of N" needs M <= N; PutMetricAlarm would reject it at apply.
    with pytest.raises(ValueError, match="alarm cpu: datapoints_to_alarm \\(3\\) must be from 1 to evaluation_periods"):
        AlarmSpec(id="cpu", description="d", metric=CPU, threshold=1, evaluation_periods=2, datapoints_to_alarm=3)


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


def test_monitoring_saves_logs_insights_queries_under_its_name():
    stack = scratch_stack()
    monitoring = Monitoring(stack, "m", name="dev-x", kms_key_arn=KEY, account_id=ACCOUNT)
    monitoring.saved_query("q", name="errors", log_group_names=["/a"], query="fields @timestamp | limit 1")
    (query,) = resources(synth_stack(stack), CloudwatchQueryDefinition.TF_RESOURCE_TYPE)
    assert query["name"] == "dev-x/errors" and query["log_group_names"] == ["/a"]
