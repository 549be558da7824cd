"""TableSleuth's operations: the alert topic, its alarms (one table) and its dashboard.

A `Monitoring` under the id "monitoring", as the stack had it inline, so every alarm keeps its
Terraform address.
"""

from __future__ import annotations

from typing import NamedTuple

from constructs import Construct

from modules.compute_fleet import ComputeFleet
from modules.load_balancer import ApplicationLoadBalancer
from modules.monitoring import Comparison, Metric, Monitoring, metric_widget

COMPARISONS: dict[str, Comparison] = {">": "GreaterThanThreshold", ">=": "GreaterThanOrEqualToThreshold"}


class _Alarm(NamedTuple):
    id_: str
    description: str
    metric: Metric
    threshold: float
    comparison: str = ">"


class TableSleuthMonitoring(Monitoring):
    def __init__(
        self,
        scope: Construct,
        *,
        name: str,
        region: str,
        account_id: str,
        kms_key_arn: str,
        emails: tuple[str, ...] | list[str],
        fleet: ComputeFleet,
        load_balancer: ApplicationLoadBalancer,
    ) -> None:
        super().__init__(scope, "monitoring", name=name, kms_key_arn=kms_key_arn, account_id=account_id, emails=emails)
        asg = {"AutoScalingGroupName": fleet.group.name}
        alb = {"LoadBalancer": load_balancer.alb.arn_suffix}
        target = {"TargetGroup": load_balancer.target_group.arn_suffix, **alb}
        cpu = Metric(namespace="AWS/EC2", name="CPUUtilization", dimensions=asg)
        # Memory and disk come from the CloudWatch agent on the host (the host role's managed policy).
        disk = Metric(
            namespace="CWAgent", name="disk_used_percent", dimensions={**asg, "path": "/"}, statistic="Maximum"
        )
        status = Metric(namespace="AWS/EC2", name="StatusCheckFailed", dimensions=asg, statistic="Maximum", period=60)
        unhealthy = Metric(
            namespace="AWS/ApplicationELB", name="UnHealthyHostCount", dimensions=target, statistic="Maximum", period=60
        )
        alarms = (
            _Alarm("cpu-high", "Host CPU above 80% for 10 minutes", cpu, 80),
            _Alarm("disk-high", "Root volume more than 85% full (CloudWatch agent disk_used_percent)", disk, 85),
            _Alarm("status-check-failed", "An EC2 status check failed on a host", status, 1, ">="),
            _Alarm("unhealthy-hosts", "The load balancer sees an unhealthy TableSleuth host", unhealthy, 0),
        )
        for spec in alarms:
            self.alarm(
                spec.id_,
                alarm_name=f"{name}-{spec.id_}",
                description=spec.description,
                metric=spec.metric,
                threshold=spec.threshold,
                comparison=COMPARISONS[spec.comparison],
            )

        def elb_sum(metric: str) -> Metric:
            return Metric(namespace="AWS/ApplicationELB", name=metric, dimensions=alb, statistic="Sum")

        network = [
            Metric(namespace="AWS/EC2", name=n, dimensions=asg, statistic="Sum") for n in ("NetworkIn", "NetworkOut")
        ]
        self.dashboard(
            "dashboard",
            name=name,
            widgets=[
                metric_widget(title="CPU utilization", region=region, metrics=[cpu]),
                metric_widget(title="Network in and out", region=region, metrics=network),
                metric_widget(title="Status checks failed", region=region, metrics=[status]),
                metric_widget(title="Root disk used %", region=region, metrics=[disk]),
                metric_widget(title="ALB requests", region=region, metrics=[elb_sum("RequestCount")]),
                metric_widget(
                    title="ALB errors",
                    region=region,
                    metrics=[elb_sum("HTTPCode_ELB_5XX_Count"), elb_sum("HTTPCode_Target_5XX_Count"), unhealthy],
                ),
            ],
        )
