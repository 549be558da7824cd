"""<env>-refactor-app: the stateless half of the code refactoring service.

    client -> WAF -> REST API (Cognito, API keys, cache) -> VPC link -> NLB -> internal ALB -> Fargate
    documents bucket (data tier) -- upload --> document processor Lambda (in the VPC)

Everything stateful (Aurora, Redis, the documents bucket, KMS keys, secrets) comes from the data
tier's exports; passing its tokens here makes cdktf wire outputs and remote state between them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdktf import TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone
from cdktf_cdktf_provider_aws.s3_bucket_notification import S3BucketNotification, S3BucketNotificationLambdaFunction
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from environments.schema import Environment
from modules.api import PrivateRestApi
from modules.certificate import DnsValidatedCertificate
from modules.cognito import UserPool
from modules.container_service import ContainerSecret, ContainerService
from modules.iam import Statement
from modules.lambda_function import FUNCTIONS_DIR, PythonFunction
from modules.load_balancer import PrivateLoadBalancer, alb_log_delivery_statements
from modules.monitoring import Metric, MetricMath, Monitoring, metric_widget
from modules.storage import SecureBucket
from modules.waf import WebAcl
from stacks.base import EnvironmentStack

if TYPE_CHECKING:
    from stacks.network import NetworkStack
    from stacks.refactor_data import RefactorDataExports

CONTAINER_PORT = 8080
HEALTH_CHECK_PATH = "/health"
UPLOAD_PREFIX = "uploads/"  # functions/document_processor reads here and writes under processed/


class RefactorAppStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment, network: NetworkStack, data: RefactorDataExports) -> None:
        super().__init__(scope, env=env, component="refactor-app", regional_name=False)
        self.data = data
        api = env.api
        name = f"{env.name}-refactor"
        account, region = env.account_id, self.region
        net = network.network
        vpc_cidr = str(net.config.cidr)
        private_subnets = [s.id for s in net.private_subnets]

        # --- names and certificate -------------------------------------------------------------
        api_host = f"{api.subdomain}.{env.domain}"
        backend_host = f"internal-{api.subdomain}.{env.domain}"  # on the ALB certificate; reached via VPC link
        if api.hosted_zone == "create":
            zone_id = Route53Zone(
                self, "zone", name=env.domain, comment=f"{env.name}: stand-in for the account's zone"
            ).zone_id
        else:
            zone_id = DataAwsRoute53Zone(self, "zone", name=env.domain, private_zone=False).zone_id
        certificate_arn = (
            api.certificate_arn
            or DnsValidatedCertificate(
                self, "certificate", domain_name=api_host, alternative_names=[backend_host], zone_id=zone_id
            ).arn
        )

        # --- internal ALB behind an internal NLB ---------------------------------------------------
        # Log buckets are SSE-S3: ALB access logs and S3 server access logs support nothing else.
        s3_access_logs = SecureBucket(
            self,
            "s3-access-logs",
            bucket_name=f"{name}-s3-access-logs-{account}",
            account_id=account,
            kms_key_arn=None,
            receives_access_logs=True,
            force_destroy=not env.is_production,
        )
        alb_logs_name = f"{name}-alb-logs-{account}"
        alb_logs = SecureBucket(
            self,
            "alb-logs",
            bucket_name=alb_logs_name,
            account_id=account,
            kms_key_arn=None,
            access_logs=s3_access_logs,
            force_destroy=not env.is_production,
            extra_statements=alb_log_delivery_statements(
                self, bucket_arn=f"arn:aws:s3:::{alb_logs_name}", prefix="alb", account_id=account
            ),
        )
        self.load_balancer = PrivateLoadBalancer(
            self,
            "lb",
            name=name,
            vpc_id=net.vpc.id,
            vpc_cidr=vpc_cidr,
            subnet_ids=private_subnets,
            certificate_arn=certificate_arn,
            access_logs=alb_logs,
            access_log_prefix="alb",
            target_port=CONTAINER_PORT,
            health_check_path=HEALTH_CHECK_PATH,
            deletion_protection=env.is_production,
        )

        # --- Cognito, REST API, WAF ----------------------------------------------------------------
        self.user_pool = UserPool(
            self,
            "users",
            name=name,
            mfa=api.cognito.mfa,
            advanced_security=api.cognito.advanced_security,
            feature_plan=api.cognito.feature_plan,
            email=api.cognito.email,
            password_min_length=api.cognito.password_min_length,
            deletion_protection=env.is_production,
        )
        self.ignore_emulator_round_trip(
            self.user_pool.pool,
            ["user_pool_tier"],
            gap="moto (measured) does not return UserPoolTier from DescribeUserPool, so the stated tier "
            "would plan an update on every run",
        )
        self.api = PrivateRestApi(
            self,
            "api",
            name=name,
            stage_name=api.stage_name,
            nlb_arn=self.load_balancer.nlb.arn,
            backend_host=backend_host,
            user_pool_arn=self.user_pool.arn,
            # The static site (refactor-edge) is the browser front end, on another origin.
            cors_origin=f"https://{env.edge.subdomain}.{env.domain}",
            throttle=api.throttle,
            cache=api.cache,
            usage_plans=api.usage_plans,
            log_kms_key_arn=data.logs_key_arn,
            log_retention_days=api.log_retention_days,
            domain_name=api_host,
            certificate_arn=certificate_arn,
            zone_id=zone_id,
        )
        for verb, integration in self.api.integrations.items():
            ignored = ["connection_id", "cache_key_parameters"] if verb == "GET" else ["connection_id"]
            self.ignore_emulator_round_trip(
                integration,
                ignored,
                gap="moto returns a VPC-link integration's connection_id empty (measured against moto 5.2.5) "
                "and drops cache_key_parameters (measured)",
            )
        self.waf = WebAcl(
            self,
            "waf",
            name=f"{name}-api",
            waf_scope="REGIONAL",
            rate_limit=api.waf.rate_limit,
            max_body_bytes=api.waf.max_body_bytes,
            allow_cidrs=api.waf.allow_cidrs,
            block_cidrs=api.waf.block_cidrs,
            log_kms_key_arn=data.logs_key_arn,
            log_retention_days=api.waf.log_retention_days,
        )
        self.waf_association = self.waf.associate("api-stage", resource_arn=self.api.stage_arn)

        # --- containers ----------------------------------------------------------------------------
        self.service = ContainerService(
            self,
            "service",
            name=name,
            region=region,
            compute=env.compute,
            image_tag=env.compute.image_tag,
            container_port=CONTAINER_PORT,
            vpc_id=net.vpc.id,
            vpc_cidr=vpc_cidr,
            subnet_ids=private_subnets,
            extra_security_group_ids=[data.client_security_group_id],
            load_balancer_security_group_id=self.load_balancer.security_group.id,
            target_group_arn=self.load_balancer.target_group.arn,
            depends_on=[self.load_balancer.https_listener],
            kms_key_arn=data.logs_key_arn,
            environment={
                "APP_ENV": env.name,
                "PORT": str(CONTAINER_PORT),
                "DATABASE_HOST": data.database_endpoint,
                "DATABASE_READER_HOST": data.database_reader_endpoint,
                "DATABASE_PORT": data.database_port,
                "DATABASE_NAME": data.database_name,
                # The app's own role, signed in with a fresh IAM token per connection (no password:
                # nothing to go stale when RDS rotates the master secret, which no task reads).
                "DATABASE_USERNAME": data.database_username,
                "DATABASE_IAM_AUTH": "true",
                **self._redis_environment(data),
                "DOCUMENTS_BUCKET": data.documents_bucket_name,
                "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            },
            secrets=[
                ContainerSecret(name="GITHUB_TOKEN", value_from=data.github_token_parameter_arn),
            ],
            secret_arns=[],
            parameter_arns=[data.github_token_parameter_arn],
            secrets_kms_key_arn=data.secrets_key_arn,
            task_statements=[
                *self._documents_statements(data, write=True),
                Statement(
                    sid="DatabaseIamAuth",
                    actions=["rds-db:connect"],
                    resources=[
                        f"arn:aws:rds-db:{region}:{account}:dbuser:{data.database_resource_id}/{data.database_username}"
                    ],
                ),
                *self._redis_statements(data),
            ],
        )

        self.ignore_emulator_round_trip(
            self.service.service,
            [
                "desired_count",  # autoscaling's, in every environment (see ContainerService)
                "capacity_provider_strategy",
                "enable_execute_command",
                "health_check_grace_period_seconds",
                "enable_ecs_managed_tags",
                "availability_zone_rebalancing",
            ],
            gap="moto (measured) returns the service without its capacity provider strategy, exec, grace "
            "period, managed-tags and AZ-rebalancing settings, so it would be replaced on every plan",
        )

        # --- document processor --------------------------------------------------------------------
        processor_name = f"{name}-document-processor"
        processor_sg = SecurityGroup(
            self,
            "processor-sg",
            name_prefix=f"{processor_name}-",
            description="document processor: HTTPS out to AWS APIs only",
            vpc_id=net.vpc.id,
            tags={"Name": processor_name},
        )
        VpcSecurityGroupEgressRule(
            self,
            "processor-out-https",
            security_group_id=processor_sg.id,
            description="HTTPS to AWS APIs (S3, X-Ray)",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
        )
        self.processor = PythonFunction(
            self,
            "document-processor",
            function_name=processor_name,
            source_dir=FUNCTIONS_DIR / "document_processor",
            handler="handler.lambda_handler",
            kms_key_arn=data.logs_key_arn,
            log_retention_days=env.compute.log_retention_days,
            environment={"MAX_DOCUMENT_BYTES": str(5 * 1024 * 1024), "LOG_LEVEL": "INFO"},
            policy_statements=self._documents_statements(data, write=True),
            subnet_ids=private_subnets,
            security_group_ids=[processor_sg.id, data.client_security_group_id],
            timeout=60,
            memory_size=512,
            reserved_concurrency=env.compute.processor_reserved_concurrency,
        )
        permission = LambdaPermission(
            self,
            "processor-invoked-by-s3",
            statement_id="AllowDocumentsBucketUploads",
            action="lambda:InvokeFunction",
            function_name=self.processor.function.function_name,
            principal="s3.amazonaws.com",
            source_arn=data.documents_bucket_arn,
            source_account=account,
        )
        # This stack owns the documents bucket's notification configuration (S3 keeps one per bucket).
        S3BucketNotification(
            self,
            "documents-uploads",
            bucket=data.documents_bucket_name,
            lambda_function=[
                S3BucketNotificationLambdaFunction(
                    lambda_function_arn=self.processor.arn,
                    events=["s3:ObjectCreated:*"],
                    filter_prefix=UPLOAD_PREFIX,
                )
            ],
            depends_on=[permission],
        )

        self._observability(name, data)

        TerraformOutput(self, "api_url", value=f"https://{api_host}")
        TerraformOutput(self, "api_invoke_url", value=self.api.invoke_url)
        TerraformOutput(self, "user_pool_id", value=self.user_pool.pool.id)
        TerraformOutput(self, "user_pool_client_id", value=self.user_pool.client.id)
        TerraformOutput(self, "ecr_repository_url", value=self.service.repository.repository_url)
        TerraformOutput(self, "alarm_topic_arn", value=self.monitoring.topic_arn)
        TerraformOutput(self, "api_key_ids", value={k: v.id for k, v in self.api.api_keys.items()})

    @staticmethod
    def _redis_environment(data: RefactorDataExports) -> dict[str, str]:
        """Where Redis is (IAM auth: the user name is the credential's identity, no password)."""
        if data.redis_endpoint is None:  # no Redis in this environment (the emulator)
            return {}
        return {"REDIS_HOST": data.redis_endpoint, "REDIS_PORT": data.redis_port, "REDIS_USER": data.redis_user_id}

    @staticmethod
    def _redis_statements(data: RefactorDataExports) -> list[Statement]:
        if data.redis_replication_group_arn is None:
            return []
        return [
            Statement(
                sid="RedisIamAuth",
                actions=["elasticache:Connect"],
                resources=[data.redis_replication_group_arn, data.redis_user_arn],
            )
        ]

    @staticmethod
    def _documents_statements(data: RefactorDataExports, *, write: bool) -> list[Statement]:
        actions = ["s3:GetObject", "s3:GetObjectVersion"] + (["s3:PutObject"] if write else [])
        return [
            Statement(sid="ReadWriteDocuments", actions=actions, resources=[f"{data.documents_bucket_arn}/*"]),
            Statement(sid="ListDocuments", actions=["s3:ListBucket"], resources=[data.documents_bucket_arn]),
            Statement(
                sid="DocumentsKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[data.documents_key_arn],
            ),
        ]

    def _observability(self, name: str, data: RefactorDataExports) -> None:
        env, region = self.env, self.region
        self.monitoring = Monitoring(
            self,
            "monitoring",
            name=name,
            kms_key_arn=data.logs_key_arn,
            account_id=env.account_id,
            emails=env.alerts.emails,
        )
        m = self.monitoring
        api_dims = {"ApiName": self.api.api.name, "Stage": env.api.stage_name}
        ecs_dims = {"ClusterName": self.service.cluster.name, "ServiceName": self.service.service.name}
        lb = self.load_balancer
        tg_dims = {"TargetGroup": lb.target_group.arn_suffix, "LoadBalancer": lb.alb.arn_suffix}
        db_dims = {"DBClusterIdentifier": data.database_cluster_id}
        fn_dims = {"FunctionName": self.processor.function.function_name}
        waf_dims = {"WebACL": self.waf.name, "Region": region, "Rule": "ALL"}

        def metric(namespace: str, metric_name: str, dims: dict, statistic: str = "Average", period: int = 300):
            return Metric(namespace=namespace, name=metric_name, dimensions=dims, statistic=statistic, period=period)

        api_count = metric("AWS/ApiGateway", "Count", api_dims, "Sum")
        api_5xx = metric("AWS/ApiGateway", "5XXError", api_dims, "Sum")
        api_p99 = metric("AWS/ApiGateway", "Latency", api_dims, "p99")
        ecs_cpu = metric("AWS/ECS", "CPUUtilization", ecs_dims)
        ecs_memory = metric("AWS/ECS", "MemoryUtilization", ecs_dims)
        running = metric("ECS/ContainerInsights", "RunningTaskCount", ecs_dims, period=60)
        desired = metric("ECS/ContainerInsights", "DesiredTaskCount", ecs_dims, period=60)
        acu = metric("AWS/RDS", "ServerlessDatabaseCapacity", db_dims, "Maximum")
        db_cpu = metric("AWS/RDS", "CPUUtilization", db_dims)
        fn_errors = metric("AWS/Lambda", "Errors", fn_dims, "Sum")
        fn_throttles = metric("AWS/Lambda", "Throttles", fn_dims, "Sum")
        dlq_depth = metric(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": self.processor.dlq.name}, "Maximum"
        )

        alarms = [
            (
                "api-5xx-rate",
                "API 5XX responses above 5% of requests",
                MetricMath(
                    expression="100 * errors / MAX([requests, 1])",
                    label="5XX %",
                    metrics={"errors": api_5xx, "requests": api_count},
                ),
                5,
                "GreaterThanThreshold",
            ),
            ("api-latency-p99", "API p99 latency above 3 s", api_p99, 3000, "GreaterThanThreshold"),
            ("ecs-cpu", "service CPU above 85% (autoscaling targets 70%)", ecs_cpu, 85, "GreaterThanThreshold"),
            ("ecs-memory", "service memory above 85%", ecs_memory, 85, "GreaterThanThreshold"),
            (
                "ecs-running-below-desired",
                "fewer tasks running than desired",
                MetricMath(
                    expression="desired - running",
                    label="missing tasks",
                    metrics={"desired": desired, "running": running},
                ),
                0,
                "GreaterThanThreshold",
            ),
            (
                "alb-unhealthy-hosts",
                "ALB target group has unhealthy targets",
                metric("AWS/ApplicationELB", "UnHealthyHostCount", tg_dims, "Maximum", 60),
                0,
                "GreaterThanThreshold",
            ),
            (
                "alb-target-5xx",
                "targets returned more than 10 5XX in 5 minutes",
                metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", tg_dims, "Sum"),
                10,
                "GreaterThanThreshold",
            ),
            (
                "aurora-acu-near-max",
                f"Aurora above 90% of its {env.database.max_capacity} ACU maximum",
                acu,
                0.9 * env.database.max_capacity,
                "GreaterThanOrEqualToThreshold",
            ),
            ("aurora-cpu", "Aurora CPU above 80%", db_cpu, 80, "GreaterThanThreshold"),
            ("lambda-errors", "document processor errors", fn_errors, 0, "GreaterThanThreshold"),
            (
                "lambda-throttles",
                "document processor throttled (reserved concurrency reached)",
                fn_throttles,
                0,
                "GreaterThanThreshold",
            ),
            ("lambda-dlq-depth", "documents waiting in the dead-letter queue", dlq_depth, 0, "GreaterThanThreshold"),
            (
                "waf-blocked-spike",
                "WAF blocked more than 1000 requests in 5 minutes",
                metric("AWS/WAFV2", "BlockedRequests", waf_dims, "Sum"),
                1000,
                "GreaterThanThreshold",
            ),
        ]
        self.alarms = {
            alarm_id: m.alarm(
                alarm_id,
                alarm_name=f"{name}-{alarm_id}",
                description=description,
                metric=alarm_metric,
                threshold=threshold,
                comparison=comparison,
            )
            for alarm_id, description, alarm_metric, threshold, comparison in alarms
        }

        widgets = [
            metric_widget(title="API requests and 5XX", region=region, metrics=[api_count, api_5xx]),
            metric_widget(title="API latency p99", region=region, metrics=[api_p99]),
            metric_widget(title="ECS CPU and memory", region=region, metrics=[ecs_cpu, ecs_memory]),
            metric_widget(title="ECS tasks running / desired", region=region, metrics=[running, desired]),
            metric_widget(title="Aurora ACU and CPU", region=region, metrics=[acu, db_cpu]),
            metric_widget(
                title="RDS connections",
                region=region,
                metrics=[metric("AWS/RDS", "DatabaseConnections", db_dims, "Maximum")],
            ),
            metric_widget(
                title="Lambda invocations, errors, throttles",
                region=region,
                metrics=[metric("AWS/Lambda", "Invocations", fn_dims, "Sum"), fn_errors, fn_throttles],
            ),
            metric_widget(
                title="Lambda duration p99", region=region, metrics=[metric("AWS/Lambda", "Duration", fn_dims, "p99")]
            ),
        ]
        m.dashboard("dashboard", name=name, widgets=widgets)

        if env.api.saved_log_queries:
            self._saved_queries(m)

    def _saved_queries(self, m: Monitoring) -> None:
        m.saved_query(
            "api-errors",
            name="api-5xx",
            log_group_names=[self.api.access_log_group.name],
            query="fields @timestamp, status, httpMethod, path, caller, responseLatency, xrayTraceId"
            " | filter status >= 500 | sort @timestamp desc | limit 100",
        )
        m.saved_query(
            "api-slowest",
            name="api-slowest-requests",
            log_group_names=[self.api.access_log_group.name],
            query="fields @timestamp, httpMethod, path, responseLatency, integrationLatency, cacheStatus"
            " | sort responseLatency desc | limit 50",
        )
        m.saved_query(
            "processor-errors",
            name="document-processor-errors",
            log_group_names=[self.processor.log_group.name],
            query="fields @timestamp, level, message, key, requestId | filter level = 'ERROR' | sort @timestamp desc",
        )
        m.saved_query(
            "service-errors",
            name="service-errors",
            log_group_names=[self.service.log_group.name],
            query="fields @timestamp, level, message, @logStream | filter level = 'ERROR' or level = 'error'"
            " | sort @timestamp desc | limit 100",
        )
