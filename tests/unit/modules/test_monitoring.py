"""modules/monitoring.py: alarms declared as a table of AlarmSpec rows (one style for every workload)."""

from __future__ import annotations

import pytest

from modules.monitoring import AlarmSpec, Metric, MetricMath, Monitoring
from tests.helpers import ACCOUNT, KEY, of_type, synth

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
