"""Alerting and dashboards every workload shares: an encrypted SNS topic, an alarm helper, a dashboard.

    monitoring = Monitoring(self, "monitoring", name="dev-app", kms_key_arn=key.arn, account_id=account)
    monitoring.alarms([
        AlarmSpec(id="ecs-cpu", description="CPU above 85%", metric=Metric(...), threshold=85),
        AlarmSpec(id="5xx-rate", description="...", metric=MetricMath(...), threshold=5),
    ])                                      # alarms named <monitoring name>-<id>
    monitoring.dashboard("dashboard", name="dev-app", widgets=[metric_widget(...)])

Alarms are declared one way: a table of `AlarmSpec`s handed to `alarms()`, each a row a reader
can scan (`alarm()` makes one, and is what `alarms()` calls). Every alarm notifies the topic on
ALARM and on OK, so recoveries are seen as well as failures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from cdktf import Fn
from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.cloudwatch_query_definition import CloudwatchQueryDefinition
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from modules.encryption import EncryptionKey
from modules.iam import Statement, policy_document

Comparison = Literal[
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]

# The key grants an alarm topic's key needs: CloudWatch alarms publish to the encrypted topic.
ALARM_PUBLISHERS = ("cloudwatch.amazonaws.com",)


def alarm_key_grants(*, account_id: str) -> list[Statement]:
    """Statements to add to the KMS key that encrypts an alarm topic (only this account's alarms)."""
    return [
        EncryptionKey.service_grant(
            "CloudWatchAlarmsPublish", service, conditions=[("StringEquals", "aws:SourceAccount", [account_id])]
        )
        for service in ALARM_PUBLISHERS
    ]


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One CloudWatch metric. `statistic` takes Average/Sum/Minimum/Maximum/SampleCount or p99-style."""

    namespace: str
    name: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    statistic: str = "Average"
    period: int = 300

    @property
    def is_percentile(self) -> bool:
        return self.statistic.startswith(("p", "tm", "tc", "ts", "wm", "PR", "TM", "TC", "TS"))

    def widget_entry(self, *, label: str | None = None) -> list:
        entry: list = [self.namespace, self.name]
        for key, value in self.dimensions.items():
            entry += [key, value]
        options = {"stat": self.statistic}
        if label:
            options["label"] = label
        return [*entry, options]


@dataclass(frozen=True, kw_only=True)
class MetricMath:
    """An alarm on an expression over metrics, e.g. a 5XX rate: `100 * errors / MAX([requests, 1])`."""

    expression: str
    label: str
    metrics: Mapping[str, Metric]  # expression variable -> metric


TreatMissingData = Literal["missing", "ignore", "breaching", "notBreaching"]


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    """One alarm as a row of a table: `id` is its construct id and the suffix of its name.

    Missing data is not breaching by default: a quiet service (no requests, no uploads) is healthy.
    An alarm fires after `evaluation_periods` periods of `metric.period` seconds.
    """

    id: str
    description: str
    metric: Metric | MetricMath
    threshold: float
    comparison: Comparison = "GreaterThanThreshold"
    evaluation_periods: int = 2
    datapoints_to_alarm: int | None = None
    treat_missing_data: TreatMissingData = "notBreaching"

    def __post_init__(self) -> None:
        if not 1 <= (self.datapoints_to_alarm or self.evaluation_periods) <= self.evaluation_periods:
            # CloudWatch refuses M out of N with M > N (PutMetricAlarm ValidationError).
            raise ValueError(
                f"alarm {self.id}: datapoints_to_alarm ({self.datapoints_to_alarm}) must be from 1 to "
                f"evaluation_periods ({self.evaluation_periods})"
            )


class Monitoring(Construct):
    """An SNS alert topic (KMS-encrypted, TLS-only) with email subscribers, plus alarm/dashboard helpers."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        kms_key_arn: str,
        account_id: str,
        emails: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id_)
        self.name = name
        self.topic = SnsTopic(self, "topic", name=f"{name}-alerts", kms_master_key_id=kms_key_arn)
        topic_policy = policy_document(
            self,
            "topic-policy",
            [
                Statement(
                    sid="AccountManagesTopic",
                    actions=[
                        "sns:GetTopicAttributes",
                        "sns:SetTopicAttributes",
                        "sns:Subscribe",
                        "sns:ListSubscriptionsByTopic",
                        "sns:Publish",
                    ],
                    resources=[self.topic.arn],
                    principals={"AWS": [f"arn:aws:iam::{account_id}:root"]},
                    # Says outright what the root principal implies: only this account's own
                    # principals (checkov CKV_AWS_385 rejects an account principal without one).
                    conditions=[("StringEquals", "aws:PrincipalAccount", [account_id])],
                ),
                Statement(
                    sid="CloudWatchAlarmsPublish",
                    actions=["sns:Publish"],
                    resources=[self.topic.arn],
                    principals={"Service": list(ALARM_PUBLISHERS)},
                    conditions=[("StringEquals", "aws:SourceAccount", [account_id])],
                ),
                Statement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    actions=["sns:Publish"],
                    resources=[self.topic.arn],
                    principals={"AWS": ["*"]},
                    conditions=[("Bool", "aws:SecureTransport", ["false"])],
                ),
            ],
        )
        SnsTopicPolicy(self, "topic-policy-attachment", arn=self.topic.arn, policy=topic_policy.json)
        for index, email in enumerate(emails):
            SnsTopicSubscription(self, f"email-{index}", topic_arn=self.topic.arn, protocol="email", endpoint=email)

    @property
    def topic_arn(self) -> str:
        return self.topic.arn

    def alarm(
        self,
        id_: str,
        *,
        alarm_name: str,
        description: str,
        metric: Metric | MetricMath,
        threshold: float,
        comparison: Comparison = "GreaterThanThreshold",
        evaluation_periods: int = 2,
        datapoints_to_alarm: int | None = None,
        treat_missing_data: TreatMissingData = "notBreaching",
    ) -> CloudwatchMetricAlarm:
        settings: dict = {
            "alarm_name": alarm_name,
            "alarm_description": description,
            "comparison_operator": comparison,
            "threshold": threshold,
            "evaluation_periods": evaluation_periods,
            "datapoints_to_alarm": datapoints_to_alarm or evaluation_periods,
            "treat_missing_data": treat_missing_data,
            "alarm_actions": [self.topic.arn],
            "ok_actions": [self.topic.arn],
        }
        if isinstance(metric, MetricMath):
            settings["metric_query"] = [
                CloudwatchMetricAlarmMetricQuery(
                    id="e1", expression=metric.expression, label=metric.label, return_data=True
                ),
                *(
                    CloudwatchMetricAlarmMetricQuery(
                        id=variable,
                        return_data=False,
                        metric=CloudwatchMetricAlarmMetricQueryMetric(
                            namespace=m.namespace,
                            metric_name=m.name,
                            dimensions=dict(m.dimensions) or None,
                            period=m.period,
                            stat=m.statistic,
                        ),
                    )
                    for variable, m in metric.metrics.items()
                ),
            ]
        else:
            settings.update(
                namespace=metric.namespace,
                metric_name=metric.name,
                period=metric.period,
                dimensions=dict(metric.dimensions) or None,
            )
            if metric.is_percentile:
                settings["extended_statistic"] = metric.statistic
            else:
                settings["statistic"] = metric.statistic
        return CloudwatchMetricAlarm(self, id_, **settings)

    def alarms(self, specs: Sequence[AlarmSpec]) -> dict[str, CloudwatchMetricAlarm]:
        """One alarm per row, named `<monitoring name>-<id>`, keyed by id."""
        ids = [spec.id for spec in specs]
        if duplicates := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"{self.name}: alarm ids must be unique, repeated: {', '.join(duplicates)}")
        return {
            spec.id: self.alarm(
                spec.id,
                alarm_name=f"{self.name}-{spec.id}",
                description=spec.description,
                metric=spec.metric,
                threshold=spec.threshold,
                comparison=spec.comparison,
                evaluation_periods=spec.evaluation_periods,
                datapoints_to_alarm=spec.datapoints_to_alarm,
                treat_missing_data=spec.treat_missing_data,
            )
            for spec in specs
        }

    def saved_query(
        self, id_: str, *, name: str, log_group_names: Sequence[str], query: str
    ) -> CloudwatchQueryDefinition:
        """A Logs Insights query saved under `<monitoring name>/<name>` for the JSON logs it reads."""
        return CloudwatchQueryDefinition(
            self, id_, name=f"{self.name}/{name}", log_group_names=list(log_group_names), query_string=query
        )

    def dashboard(self, id_: str, *, name: str, widgets: Sequence[dict]) -> CloudwatchDashboard:
        """A dashboard from widget dicts (see `metric_widget`). Tokens (ARNs, IDs) resolve at apply."""
        return CloudwatchDashboard(
            self, id_, dashboard_name=name, dashboard_body=Fn.jsonencode({"widgets": list(widgets)})
        )


def metric_widget(
    *,
    title: str,
    region: str,
    metrics: Sequence[Metric],
    width: int = 12,
    height: int = 6,
    view: Literal["timeSeries", "singleValue"] = "timeSeries",
) -> dict:
    """A CloudWatch dashboard metric widget; lay widgets out left to right, 24 units per row."""
    return {
        "type": "metric",
        "width": width,
        "height": height,
        "properties": {
            "title": title,
            "region": region,
            "view": view,
            "period": min(m.period for m in metrics),
            "metrics": [m.widget_entry() for m in metrics],
        },
    }


def text_widget(markdown: str, *, width: int = 24, height: int = 2) -> dict:
    return {"type": "text", "width": width, "height": height, "properties": {"markdown": markdown}}


def dashboard_json(widgets: Sequence[dict]) -> str:
    """The body as plain JSON, for tests and for dashboards with no unresolved tokens."""
    return json.dumps({"widgets": list(widgets)})
