"""What the refactor app's operators watch: 13 alarms, one dashboard, the saved Logs Insights queries.

A `Monitoring` (the alert topic and its helpers) with this workload's table of alarms. It keeps the
construct id the stack always gave its monitoring, so every alarm keeps its Terraform address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from constructs import Construct

from modules.container_service import ContainerService
from modules.lambda_function import PythonFunction
from modules.load_balancer import PrivateLoadBalancer
from modules.monitoring import AlarmSpec, Metric, MetricMath, Monitoring, metric_widget
from modules.rest_api import PrivateRestApi
from modules.waf import WebAcl


def _metric(
    namespace: str, name: str, dimensions: Mapping[str, str], statistic: str = "Average", period: int = 300
) -> Metric:
    return Metric(namespace=namespace, name=name, dimensions=dimensions, statistic=statistic, period=period)


class RefactorMonitoring(Monitoring):
    """Alarms on the API, the service, the ALB, Aurora, the document processor and the WAF."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        region: str,
        account_id: str,
        kms_key_arn: str,
        emails: Sequence[str],
        api: PrivateRestApi,
        stage_name: str,
        service: ContainerService,
        load_balancer: PrivateLoadBalancer,
        database_cluster_id: str,
        database_max_acu: float,
        processor: PythonFunction,
        waf: WebAcl,
        saved_queries: bool,
    ) -> None:
        super().__init__(scope, id_, name=name, kms_key_arn=kms_key_arn, account_id=account_id, emails=emails)
        api_dims = {"ApiName": api.api.name, "Stage": stage_name}
        ecs_dims = {"ClusterName": service.cluster.name, "ServiceName": service.service.name}
        tg_dims = {"TargetGroup": load_balancer.target_group.arn_suffix, "LoadBalancer": load_balancer.alb.arn_suffix}
        db_dims = {"DBClusterIdentifier": database_cluster_id}
        fn_dims = {"FunctionName": processor.function.function_name}
        waf_dims = {"WebACL": waf.name, "Region": region, "Rule": "ALL"}

        api_count = _metric("AWS/ApiGateway", "Count", api_dims, "Sum")
        api_5xx = _metric("AWS/ApiGateway", "5XXError", api_dims, "Sum")
        api_p99 = _metric("AWS/ApiGateway", "Latency", api_dims, "p99")
        ecs_cpu = _metric("AWS/ECS", "CPUUtilization", ecs_dims)
        ecs_memory = _metric("AWS/ECS", "MemoryUtilization", ecs_dims)
        running = _metric("ECS/ContainerInsights", "RunningTaskCount", ecs_dims, period=60)
        desired = _metric("ECS/ContainerInsights", "DesiredTaskCount", ecs_dims, period=60)
        acu = _metric("AWS/RDS", "ServerlessDatabaseCapacity", db_dims, "Maximum")
        db_cpu = _metric("AWS/RDS", "CPUUtilization", db_dims)
        fn_errors = _metric("AWS/Lambda", "Errors", fn_dims, "Sum")
        fn_throttles = _metric("AWS/Lambda", "Throttles", fn_dims, "Sum")
        dlq_depth = _metric(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": processor.dlq.name}, "Maximum"
        )

        self.alarm_resources = self.alarms(
            [
                AlarmSpec(
                    id="api-5xx-rate",
                    description="API 5XX responses above 5% of requests",
                    metric=MetricMath(
                        expression="100 * errors / MAX([requests, 1])",
                        label="5XX %",
                        metrics={"errors": api_5xx, "requests": api_count},
                    ),
                    threshold=5,
                ),
                AlarmSpec(
                    id="api-latency-p99", description="API p99 latency above 3 s", metric=api_p99, threshold=3000
                ),
                AlarmSpec(
                    id="ecs-cpu",
                    description="service CPU above 85% (autoscaling targets 70%)",
                    metric=ecs_cpu,
                    threshold=85,
                ),
                AlarmSpec(id="ecs-memory", description="service memory above 85%", metric=ecs_memory, threshold=85),
                AlarmSpec(
                    id="ecs-running-below-desired",
                    description="fewer tasks running than desired",
                    metric=MetricMath(
                        expression="desired - running",
                        label="missing tasks",
                        metrics={"desired": desired, "running": running},
                    ),
                    threshold=0,
                ),
                AlarmSpec(
                    id="alb-unhealthy-hosts",
                    description="ALB target group has unhealthy targets",
                    metric=_metric("AWS/ApplicationELB", "UnHealthyHostCount", tg_dims, "Maximum", 60),
                    threshold=0,
                ),
                AlarmSpec(
                    id="alb-target-5xx",
                    description="targets returned more than 10 5XX in 5 minutes",
                    metric=_metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", tg_dims, "Sum"),
                    threshold=10,
                ),
                AlarmSpec(
                    id="aurora-acu-near-max",
                    description=f"Aurora above 90% of its {database_max_acu} ACU maximum",
                    metric=acu,
                    threshold=0.9 * database_max_acu,
                    comparison="GreaterThanOrEqualToThreshold",
                ),
                AlarmSpec(id="aurora-cpu", description="Aurora CPU above 80%", metric=db_cpu, threshold=80),
                AlarmSpec(id="lambda-errors", description="document processor errors", metric=fn_errors, threshold=0),
                AlarmSpec(
                    id="lambda-throttles",
                    description="document processor throttled (reserved concurrency reached)",
                    metric=fn_throttles,
                    threshold=0,
                ),
                AlarmSpec(
                    id="lambda-dlq-depth",
                    description="documents waiting in the dead-letter queue",
                    metric=dlq_depth,
                    threshold=0,
                ),
                AlarmSpec(
                    id="waf-blocked-spike",
                    description="WAF blocked more than 1000 requests in 5 minutes",
                    metric=_metric("AWS/WAFV2", "BlockedRequests", waf_dims, "Sum"),
                    threshold=1000,
                ),
            ]
        )

        self.dashboard(
            "dashboard",
            name=name,
            widgets=[
                metric_widget(title="API requests and 5XX", region=region, metrics=[api_count, api_5xx]),
                metric_widget(title="API latency p99", region=region, metrics=[api_p99]),
                metric_widget(title="ECS CPU and memory", region=region, metrics=[ecs_cpu, ecs_memory]),
                metric_widget(title="ECS tasks running / desired", region=region, metrics=[running, desired]),
                metric_widget(title="Aurora ACU and CPU", region=region, metrics=[acu, db_cpu]),
                metric_widget(
                    title="RDS connections",
                    region=region,
                    metrics=[_metric("AWS/RDS", "DatabaseConnections", db_dims, "Maximum")],
                ),
                metric_widget(
                    title="Lambda invocations, errors, throttles",
                    region=region,
                    metrics=[_metric("AWS/Lambda", "Invocations", fn_dims, "Sum"), fn_errors, fn_throttles],
                ),
                metric_widget(
                    title="Lambda duration p99",
                    region=region,
                    metrics=[_metric("AWS/Lambda", "Duration", fn_dims, "p99")],
                ),
            ],
        )
        if saved_queries:
            self._saved_queries(api=api, processor=processor, service=service)

    def _saved_queries(self, *, api: PrivateRestApi, processor: PythonFunction, service: ContainerService) -> None:
        self.saved_query(
            "api-errors",
            name="api-5xx",
            log_group_names=[api.access_log_group.name],
            query="fields @timestamp, status, httpMethod, path, caller, responseLatency, xrayTraceId"
            " | filter status >= 500 | sort @timestamp desc | limit 100",
        )
        self.saved_query(
            "api-slowest",
            name="api-slowest-requests",
            log_group_names=[api.access_log_group.name],
            query="fields @timestamp, httpMethod, path, responseLatency, integrationLatency, cacheStatus"
            " | sort responseLatency desc | limit 50",
        )
        self.saved_query(
            "processor-errors",
            name="document-processor-errors",
            log_group_names=[processor.log_group.name],
            query="fields @timestamp, level, message, key, requestId | filter level = 'ERROR' | sort @timestamp desc",
        )
        self.saved_query(
            "service-errors",
            name="service-errors",
            log_group_names=[service.log_group.name],
            query="fields @timestamp, level, message, @logStream | filter level = 'ERROR' or level = 'error'"
            " | sort @timestamp desc | limit 100",
        )
