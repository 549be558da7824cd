"""The service's containers: an ECR repository, an ECS cluster, a Fargate task definition and
service behind the ALB target group, and CPU target-tracking autoscaling.

Credentials reach the container only through `secrets` (Secrets Manager / SSM references the ECS
agent resolves at start), never through `environment`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from cdktf_cdktf_provider_aws.ecs_cluster import (
    EcsCluster,
    EcsClusterConfiguration,
    EcsClusterConfigurationExecuteCommandConfiguration,
    EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration,
    EcsClusterSetting,
)
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import (
    EcsClusterCapacityProviders,
    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy,
)
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceCapacityProviderStrategy,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceDeploymentController,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition, EcsTaskDefinitionRuntimePlatform
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from environments.schema import ComputeConfig
from modules.emulator import EmulatorDrift
from modules.iam import Statement, assume_role_policy, policy_document
from modules.security_group import https_egress

# What moto (measured) fails to read back on the ECS service, so it would be replaced on every plan.
EMULATOR_SERVICE_DRIFT = (
    "capacity_provider_strategy",
    "enable_execute_command",
    "health_check_grace_period_seconds",
    "enable_ecs_managed_tags",
    "availability_zone_rebalancing",
)

XRAY_DAEMON_IMAGE = "public.ecr.aws/xray/aws-xray-daemon:3.3.14"
# ECS Exec injects the SSM agent, which writes its state, logs and the agent binaries' working
# files here; with a read-only root it crashes and every `execute-command` fails
# (aws/containers-roadmap#1359). Task-private writable volumes keep the root read-only.
EXEC_AGENT_PATHS = {
    "ssm-agent-state": "/var/lib/amazon/ssm",
    "ssm-agent-logs": "/var/log/amazon/ssm",
    "managed-agents": "/managed-agents",
}
UNTAGGED_IMAGE_DAYS = 14
KEPT_IMAGES = 30


@dataclass(frozen=True, kw_only=True)
class ContainerSecret:
    """An environment variable the ECS agent fills from Secrets Manager or SSM at task start."""

    name: str
    value_from: str  # secret ARN (optionally `:json-key::`) or SSM parameter ARN


class ContainerService(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        region: str,
        compute: ComputeConfig,
        image_tag: str,
        container_port: int,
        vpc_id: str,
        vpc_cidr: str,
        subnet_ids: Sequence[str],
        extra_security_group_ids: Sequence[str],
        load_balancer_security_group_id: str,
        target_group_arn: str,
        kms_key_arn: str,
        environment: Mapping[str, str],
        secrets: Sequence[ContainerSecret],
        secret_arns: Sequence[str],
        parameter_arns: Sequence[str],
        secrets_kms_key_arn: str,
        task_statements: Sequence[Statement],
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, id_)
        self.name = name
        self.repository = EcrRepository(
            self,
            "repository",
            name=name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
            encryption_configuration=[EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=kms_key_arn)],
        )
        EcrLifecyclePolicy(
            self,
            "repository-lifecycle",
            repository=self.repository.name,
            policy=json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "description": f"expire untagged images after {UNTAGGED_IMAGE_DAYS} days",
                            "selection": {
                                "tagStatus": "untagged",
                                "countType": "sinceImagePushed",
                                "countUnit": "days",
                                "countNumber": UNTAGGED_IMAGE_DAYS,
                            },
                            "action": {"type": "expire"},
                        },
                        {
                            "rulePriority": 2,
                            "description": f"keep the newest {KEPT_IMAGES} images",
                            "selection": {
                                "tagStatus": "any",
                                "countType": "imageCountMoreThan",
                                "countNumber": KEPT_IMAGES,
                            },
                            "action": {"type": "expire"},
                        },
                    ]
                }
            ),
        )

        self.log_group = CloudwatchLogGroup(
            self, "logs", name=f"/ecs/{name}", retention_in_days=compute.log_retention_days, kms_key_id=kms_key_arn
        )
        self.exec_log_group = CloudwatchLogGroup(
            self,
            "exec-logs",
            name=f"/ecs/{name}/exec",
            retention_in_days=compute.log_retention_days,
            kms_key_id=kms_key_arn,
        )
        self.cluster = EcsCluster(
            self,
            "cluster",
            name=name,
            setting=[EcsClusterSetting(name="containerInsights", value="enabled")],
            configuration=EcsClusterConfiguration(
                execute_command_configuration=EcsClusterConfigurationExecuteCommandConfiguration(
                    kms_key_id=kms_key_arn,
                    logging="OVERRIDE",
                    log_configuration=EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration(
                        cloud_watch_encryption_enabled=True, cloud_watch_log_group_name=self.exec_log_group.name
                    ),
                )
            ),
        )
        self.strategy = self._capacity_strategy(compute)
        EcsClusterCapacityProviders(
            self,
            "capacity-providers",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategy=[
                EcsClusterCapacityProvidersDefaultCapacityProviderStrategy(**s) for s in self.strategy
            ],
        )

        self.execution_role = self._role(
            "execution-role",
            "ecs-tasks.amazonaws.com",
            [
                Statement(
                    sid="PullImage",
                    actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                    resources=[self.repository.arn],
                ),
                # GetAuthorizationToken has no resource-level permission.
                Statement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
                Statement(
                    sid="WriteLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[f"{self.log_group.arn}:*"],
                ),
                *(
                    [
                        Statement(
                            sid="ReadNamedSecrets",
                            actions=["secretsmanager:GetSecretValue"],
                            resources=list(secret_arns),
                        )
                    ]
                    if secret_arns
                    else []
                ),
                Statement(sid="ReadNamedParameters", actions=["ssm:GetParameters"], resources=list(parameter_arns)),
                Statement(sid="DecryptSecrets", actions=["kms:Decrypt"], resources=[secrets_kms_key_arn]),
            ],
        )
        self.task_role = self._role(
            "task-role",
            "ecs-tasks.amazonaws.com",
            [
                *task_statements,
                # X-Ray and Session Manager channels have no resource-level permissions.
                Statement(
                    sid="XRayWrite",
                    actions=[
                        "xray:PutTraceSegments",
                        "xray:PutTelemetryRecords",
                        "xray:GetSamplingRules",
                        "xray:GetSamplingTargets",
                    ],
                    resources=["*"],
                ),
                Statement(
                    sid="ExecCommandChannel",
                    actions=[
                        "ssmmessages:CreateControlChannel",
                        "ssmmessages:CreateDataChannel",
                        "ssmmessages:OpenControlChannel",
                        "ssmmessages:OpenDataChannel",
                    ],
                    resources=["*"],
                ),
                Statement(
                    sid="ExecCommandLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    resources=[self.exec_log_group.arn, f"{self.exec_log_group.arn}:*"],
                ),
                Statement(
                    sid="ExecCommandKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[kms_key_arn]
                ),
            ],
        )

        log_options = {"awslogs-group": self.log_group.name, "awslogs-region": region, "mode": "non-blocking"}
        app = {
            "name": "app",
            "image": f"{self.repository.repository_url}:{image_tag}",
            "essential": True,
            "readonlyRootFilesystem": True,
            "portMappings": [{"containerPort": container_port, "protocol": "tcp"}],
            "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
            "secrets": [{"name": s.name, "valueFrom": s.value_from} for s in secrets],
            "mountPoints": [
                {"sourceVolume": "tmp", "containerPath": "/tmp"},  # noqa: S108 - task-private scratch; the root is read-only
                *({"sourceVolume": v, "containerPath": path} for v, path in EXEC_AGENT_PATHS.items()),
            ],
            "linuxParameters": {"initProcessEnabled": True},  # lets ECS Exec's agent run
            "logConfiguration": {"logDriver": "awslogs", "options": {**log_options, "awslogs-stream-prefix": "app"}},
        }
        xray = {
            "name": "xray-daemon",
            "image": XRAY_DAEMON_IMAGE,
            "essential": False,
            "readonlyRootFilesystem": True,
            "portMappings": [{"containerPort": 2000, "protocol": "udp"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {**log_options, "awslogs-stream-prefix": "xray"}},
        }
        self.task_definition = EcsTaskDefinition(
            self,
            "task",
            family=name,
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(compute.cpu),
            memory=str(compute.memory),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            runtime_platform=EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            volume=[{"name": "tmp"}, *({"name": v} for v in EXEC_AGENT_PATHS)],
            # json.dumps, not jsonencode: tokens inside strings resolve, and the JSON stays readable in tests.
            container_definitions=json.dumps([app, xray]),
        )

        self.security_group = SecurityGroup(
            self,
            "service-sg",
            name_prefix=f"{name}-tasks-",
            description=f"{name} tasks: the ALB in, HTTPS and the data tier out",
            vpc_id=vpc_id,
            tags={"Name": f"{name}-tasks"},
        )
        self.alb_ingress_rule = VpcSecurityGroupIngressRule(
            self,
            "tasks-in-from-alb",
            security_group_id=self.security_group.id,
            description="the ALB to the container port",
            ip_protocol="tcp",
            from_port=container_port,
            to_port=container_port,
            referenced_security_group_id=load_balancer_security_group_id,
        )
        https_egress(
            self,
            "tasks-out-https",
            security_group_id=self.security_group.id,
            description="HTTPS to AWS APIs and GitHub",
        )
        for port in (5432, 6379):
            VpcSecurityGroupEgressRule(
                self,
                f"tasks-out-{port}",
                security_group_id=self.security_group.id,
                description=f"the data tier on {port} inside the VPC",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=vpc_cidr,
            )

        self.service = EcsService(
            self,
            "service",
            name=name,
            cluster=self.cluster.id,
            task_definition=self.task_definition.arn,
            desired_count=compute.min_tasks,
            capacity_provider_strategy=[EcsServiceCapacityProviderStrategy(**s) for s in self.strategy],
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=list(subnet_ids),
                security_groups=[self.security_group.id, *extra_security_group_ids],
                assign_public_ip=False,
            ),
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=target_group_arn, container_name="app", container_port=container_port
                )
            ],
            health_check_grace_period_seconds=60,
            deployment_controller=EcsServiceDeploymentController(type="ECS"),  # rolling, the circuit breaker's mode
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            enable_execute_command=True,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            # Autoscaling owns the running count once the service exists.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"]),
            # ECS refuses a target group that no listener uses yet: pass the listener here.
            depends_on=list(depends_on) or None,
        )

        self.scaling_target: AppautoscalingTarget | None = None
        self.scaling_policy: AppautoscalingPolicy | None = None
        if compute.autoscaling.enabled:
            self._autoscaling(name, compute)

    def _autoscaling(self, name: str, compute: ComputeConfig) -> None:
        self.scaling_target = AppautoscalingTarget(
            self,
            "scaling-target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{self.cluster.name}/{self.service.name}",
            min_capacity=compute.min_tasks,
            max_capacity=compute.max_tasks,
        )
        self.scaling_policy = AppautoscalingPolicy(
            self,
            "cpu-target-tracking",
            name=f"{name}-cpu-{int(compute.autoscaling.target_cpu_percent)}",
            policy_type="TargetTrackingScaling",
            service_namespace=self.scaling_target.service_namespace,
            scalable_dimension=self.scaling_target.scalable_dimension,
            resource_id=self.scaling_target.resource_id,
            target_tracking_scaling_policy_configuration=AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                target_value=compute.autoscaling.target_cpu_percent,
                scale_in_cooldown=compute.autoscaling.scale_in_cooldown_seconds,
                scale_out_cooldown=compute.autoscaling.scale_out_cooldown_seconds,
                predefined_metric_specification=AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                    predefined_metric_type="ECSServiceAverageCPUUtilization"
                ),
            ),
        )

    @staticmethod
    def _capacity_strategy(compute: ComputeConfig) -> list[dict]:
        """On-demand only, or an on-demand base plus weighted FARGATE_SPOT for the rest."""
        if not compute.use_spot:
            return [{"capacity_provider": "FARGATE", "base": compute.min_tasks, "weight": 1}]
        return [
            {
                "capacity_provider": "FARGATE",
                "base": compute.spot.on_demand_base,
                "weight": compute.spot.on_demand_weight,
            },
            {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": compute.spot.spot_weight},
        ]

    def _role(self, id_: str, service: str, statements: Sequence[Statement]) -> IamRole:
        trust = assume_role_policy(self, f"{id_}-trust", service=service)
        role = IamRole(self, id_, name_prefix=f"{self.name}-{id_}-"[:38], assume_role_policy=trust.json)
        IamRolePolicy(
            self, f"{id_}-policy", role=role.id, policy=policy_document(self, f"{id_}-permissions", statements).json
        )
        return role

    def emulator_drift(self) -> list[EmulatorDrift]:
        return [
            EmulatorDrift(
                resource=self.service,
                # desired_count is autoscaling's in every environment; the hook replaces the ignore list.
                attributes=("desired_count", *EMULATOR_SERVICE_DRIFT),
                gap="moto (measured) returns the service without its capacity provider strategy, exec, grace "
                "period, managed-tags and AZ-rebalancing settings, so it would be replaced on every plan",
            )
        ]
