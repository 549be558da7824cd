"""modules/container_service.py: ContainerService, a private Fargate service (Spot with an on-demand
base), secrets only as secrets, ECS Exec under a read-only root, an immutable scanned repository."""

from __future__ import annotations

import json

import pytest
from cdktf_cdktf_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository
from cdktf_cdktf_provider_aws.ecs_service import EcsService
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition

from environments.schema import ComputeConfig, SpotConfig
from modules.container_service import ContainerSecret, ContainerService
from modules.iam import Statement
from tests.helpers import KEY, resources, scratch_stack, synth_stack


def _service(use_spot: bool) -> dict:
    stack = scratch_stack()
    ContainerService(
        stack,
        "svc",
        name="dev-x",
        region="us-east-2",
        compute=ComputeConfig(
            cpu=512, memory=1024, min_tasks=1, max_tasks=4, use_spot=use_spot, spot=SpotConfig(spot_weight=3)
        ),
        image_tag="v1",
        container_port=8080,
        vpc_id="vpc-1",
        vpc_cidr="10.20.0.0/16",
        subnet_ids=["subnet-a"],
        extra_security_group_ids=["sg-data"],
        load_balancer_security_group_id="sg-alb",
        target_group_arn="arn:tg",
        kms_key_arn=KEY,
        environment={"DATABASE_HOST": "db.example"},
        secrets=[ContainerSecret(name="DATABASE_PASSWORD", value_from="arn:secret:password::")],
        secret_arns=["arn:aws:secretsmanager:us-east-2:111111111111:secret:db"],
        parameter_arns=["arn:aws:ssm:us-east-2:111111111111:parameter/gh"],
        secrets_kms_key_arn=KEY,
        task_statements=[Statement(sid="Docs", actions=["s3:GetObject"], resources=["arn:aws:s3:::docs/*"])],
    )
    return synth_stack(stack)


@pytest.fixture(scope="module")
def spot_service() -> dict:
    return _service(use_spot=True)


def test_service_is_private_with_a_rolling_back_circuit_breaker(spot_service):
    (service,) = resources(spot_service, EcsService.TF_RESOURCE_TYPE)
    assert service["network_configuration"]["assign_public_ip"] is False
    assert "sg-data" in service["network_configuration"]["security_groups"]
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["load_balancer"][0]["container_port"] == 8080


def test_spot_runs_an_on_demand_base_and_on_demand_only_uses_fargate(spot_service):
    (service,) = resources(spot_service, EcsService.TF_RESOURCE_TYPE)
    strategy = {s["capacity_provider"]: s for s in service["capacity_provider_strategy"]}
    assert strategy["FARGATE"]["base"] == 1 and strategy["FARGATE_SPOT"]["weight"] == 3
    (on_demand,) = resources(_service(use_spot=False), EcsService.TF_RESOURCE_TYPE)
    assert [s["capacity_provider"] for s in on_demand["capacity_provider_strategy"]] == ["FARGATE"]


def test_credentials_reach_the_container_only_as_secrets(spot_service):
    (task,) = resources(spot_service, EcsTaskDefinition.TF_RESOURCE_TYPE)
    app = next(c for c in json.loads(task["container_definitions"]) if c["name"] == "app")
    assert app["secrets"] == [{"name": "DATABASE_PASSWORD", "valueFrom": "arn:secret:password::"}]
    assert all("PASSWORD" not in e["name"] and "TOKEN" not in e["name"] for e in app["environment"])
    assert app["readonlyRootFilesystem"] is True
    assert task["requires_compatibilities"] == ["FARGATE"] and task["network_mode"] == "awsvpc"


def test_ecs_exec_agent_can_write_with_a_read_only_root(spot_service):
    """A6: ECS Exec's SSM agent writes under these paths; with readonlyRootFilesystem they must be
    writable task volumes, or every `aws ecs execute-command` fails."""
    (service,) = resources(spot_service, EcsService.TF_RESOURCE_TYPE)
    assert service["enable_execute_command"] is True
    (task,) = resources(spot_service, EcsTaskDefinition.TF_RESOURCE_TYPE)
    app = next(c for c in json.loads(task["container_definitions"]) if c["name"] == "app")
    assert app["readonlyRootFilesystem"] is True and app["linuxParameters"]["initProcessEnabled"] is True
    mounted = {m["containerPath"]: m["sourceVolume"] for m in app["mountPoints"]}
    volumes = {v["name"] for v in task["volume"]}
    for path in ("/var/lib/amazon/ssm", "/var/log/amazon/ssm", "/managed-agents"):
        assert path in mounted and mounted[path] in volumes
        assert "host_path" not in next(v for v in task["volume"] if v["name"] == mounted[path])


def test_repository_is_immutable_scanned_and_encrypted_and_autoscaling_tracks_cpu(spot_service):
    (repo,) = resources(spot_service, EcrRepository.TF_RESOURCE_TYPE)
    assert repo["image_tag_mutability"] == "IMMUTABLE" and repo["image_scanning_configuration"]["scan_on_push"]
    assert repo["encryption_configuration"][0]["encryption_type"] == "KMS"
    (policy,) = resources(spot_service, AppautoscalingPolicy.TF_RESOURCE_TYPE)
    tracking = policy["target_tracking_scaling_policy_configuration"]
    assert (tracking["target_value"], tracking["scale_in_cooldown"], tracking["scale_out_cooldown"]) == (70, 300, 120)
    (cluster,) = spot_service["resource"]["aws_ecs_cluster"].values()
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enabled"}]
    exec_config = cluster["configuration"]["execute_command_configuration"]
    assert exec_config["kms_key_id"] == KEY and exec_config["log_configuration"]["cloud_watch_encryption_enabled"]
