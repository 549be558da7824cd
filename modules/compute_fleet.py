"""An EC2 fleet behind a load balancer: launch template, Auto Scaling group (on-demand or spot),
CPU target tracking, instance refresh and optional scheduled scale-to-zero.

    fleet = ComputeFleet(self, "fleet", name="dev-hosts-us-east-2", image_id=ami, ...)

Spot is a real mixed instances policy: no on-demand base, everything above it spot, the
`capacity-optimized` strategy over several instance types, so one type running dry does not stop
the fleet.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.autoscaling_group import (
    AutoscalingGroup,
    AutoscalingGroupInstanceRefresh,
    AutoscalingGroupInstanceRefreshPreferences,
    AutoscalingGroupLaunchTemplate,
    AutoscalingGroupMixedInstancesPolicy,
    AutoscalingGroupMixedInstancesPolicyInstancesDistribution,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplate,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecification,
    AutoscalingGroupMixedInstancesPolicyLaunchTemplateOverride,
    AutoscalingGroupTag,
)
from cdktf_cdktf_provider_aws.autoscaling_policy import (
    AutoscalingPolicy,
    AutoscalingPolicyTargetTrackingConfiguration,
    AutoscalingPolicyTargetTrackingConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.autoscaling_schedule import AutoscalingSchedule
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateIamInstanceProfile,
    LaunchTemplateMetadataOptions,
    LaunchTemplateMonitoring,
    LaunchTemplateTagSpecifications,
)
from constructs import Construct

from modules.iam import SSM_CORE_POLICY, Statement, assume_role_policy, policy_document
from modules.security_group import https_only_security_group

ROOT_DEVICE = "/dev/xvda"  # Amazon Linux 2023's root device name
SPOT_ALLOCATION_STRATEGY = "capacity-optimized"
# What moto fails to round-trip (the stack ignores these through its emulator-only hook):
# a target-tracking policy comes back with enabled=false and an empty predictive block
# (local-aws-notes.md), and a launch template gains a 'launch-template' tag specification.
EMULATOR_TARGET_TRACKING_DRIFT = ("enabled", "predictive_scaling_configuration")
EMULATOR_LAUNCH_TEMPLATE_DRIFT = ("tag_specifications",)
# The CloudWatch agent publishes memory and disk metrics (disk_used_percent) with this policy.
CLOUDWATCH_AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"


class InstanceRole(Construct):
    """The role and instance profile of a fleet's hosts: Session Manager (no SSH) and the
    CloudWatch agent by managed policy, plus the caller's own statements as one inline policy.
    `arn` is the instance profile's, which is what ComputeFleet takes."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        statements: Sequence[Statement],
        managed_policy_arns: Sequence[str] = (SSM_CORE_POLICY, CLOUDWATCH_AGENT_POLICY),
    ) -> None:
        super().__init__(scope, id_)
        trust = assume_role_policy(self, "trust", service="ec2.amazonaws.com")
        self.role = IamRole(self, "role", name=name, assume_role_policy=trust.json)
        self.attachments = [
            IamRolePolicyAttachment(self, f"policy-{index}", role=self.role.name, policy_arn=arn)
            for index, arn in enumerate(managed_policy_arns)
        ]
        self.policy = None
        if statements:  # IAM refuses a policy with no statements
            permissions = policy_document(self, "permissions", statements)
            self.policy = IamRolePolicy(self, "policy", role=self.role.id, policy=permissions.json)
        self.profile = IamInstanceProfile(self, "profile", name=name, role=self.role.name)

    @property
    def arn(self) -> str:
        return self.profile.arn


class HostSecurityGroup(Construct):
    """The hosts' security group: outbound HTTPS only (AWS APIs through endpoints or NAT, packages,
    releases). Nothing comes in until the caller adds a rule (e.g. from its load balancer)."""

    def __init__(self, scope: Construct, id_: str, *, name: str, vpc_id: str, description: str) -> None:
        super().__init__(scope, id_)
        self.security_group = https_only_security_group(
            self,
            "group",
            name_prefix=f"{name}-host-",
            description=description,
            vpc_id=vpc_id,
            tags={"Name": f"{name}-host"},
            egress_id="egress-https",
            egress_description="HTTPS: AWS APIs (endpoints or NAT), packages and releases",
            create_before_destroy=True,
        )

    @property
    def security_group_id(self) -> str:
        return self.security_group.id


@dataclass(frozen=True, kw_only=True)
class ScaleToZeroSchedule:
    """Scale to zero at `stop_recurrence` and back to the configured sizes at `start_recurrence`
    (cron, in `time_zone`). Stopping an instance would only make the group replace it."""

    time_zone: str
    stop_recurrence: str
    start_recurrence: str


class ComputeFleet(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        image_id: str,
        instance_type: str,
        spot_instance_types: Sequence[str] = (),
        use_spot: bool,
        min_size: int,
        max_size: int,
        desired_capacity: int,
        subnet_ids: Sequence[str],
        security_group_ids: Sequence[str],
        instance_profile_arn: str,
        user_data: str,
        root_volume_gb: int,
        kms_key_arn: str,
        target_group_arns: Sequence[str] = (),
        cpu_target_percent: float = 70,
        schedule: ScaleToZeroSchedule | None = None,
        instance_tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        if use_spot and len(set(spot_instance_types) | {instance_type}) < 2:
            raise ValueError(f"{name}: spot needs at least two instance types to choose pools from")
        tags = {"Name": name, **(instance_tags or {})}

        self.launch_template = LaunchTemplate(
            self,
            "launch-template",
            name=name,
            description=f"{name} host",
            image_id=image_id,
            instance_type=instance_type,
            update_default_version=True,
            ebs_optimized="true",
            iam_instance_profile=LaunchTemplateIamInstanceProfile(arn=instance_profile_arn),
            vpc_security_group_ids=list(security_group_ids),
            user_data=base64.b64encode(user_data.encode()).decode(),
            # IMDSv2 only, and one hop so a container on the host cannot reach the credentials.
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            monitoring=LaunchTemplateMonitoring(enabled=True),
            block_device_mappings=[
                LaunchTemplateBlockDeviceMappings(
                    device_name=ROOT_DEVICE,
                    ebs=LaunchTemplateBlockDeviceMappingsEbs(
                        volume_size=root_volume_gb,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=kms_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            # Provider default tags stop at the template; instances and volumes get theirs here.
            tag_specifications=[
                LaunchTemplateTagSpecifications(resource_type=kind, tags=tags) for kind in ("instance", "volume")
            ],
        )
        template_ref = {"id": self.launch_template.id, "version": Token.as_string(self.launch_template.latest_version)}
        group_settings: dict = {}
        if use_spot:
            group_settings["mixed_instances_policy"] = AutoscalingGroupMixedInstancesPolicy(
                instances_distribution=AutoscalingGroupMixedInstancesPolicyInstancesDistribution(
                    on_demand_base_capacity=0,
                    on_demand_percentage_above_base_capacity=0,
                    spot_allocation_strategy=SPOT_ALLOCATION_STRATEGY,
                ),
                launch_template=AutoscalingGroupMixedInstancesPolicyLaunchTemplate(
                    launch_template_specification=(
                        AutoscalingGroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecification(
                            launch_template_id=template_ref["id"], version=template_ref["version"]
                        )
                    ),
                    override=[
                        AutoscalingGroupMixedInstancesPolicyLaunchTemplateOverride(instance_type=kind)
                        for kind in dict.fromkeys([instance_type, *spot_instance_types])
                    ],
                ),
            )
        else:
            group_settings["launch_template"] = AutoscalingGroupLaunchTemplate(**template_ref)

        # The scaling policy owns desired_capacity once the group exists; the schedule owns the
        # sizes between its stop and start. Terraform setting them back would fight both.
        ignored = ["desired_capacity"] + (["min_size", "max_size"] if schedule else [])
        self.group = AutoscalingGroup(
            self,
            "group",
            name=name,
            vpc_zone_identifier=list(subnet_ids),
            min_size=min_size,
            max_size=max_size,
            desired_capacity=desired_capacity,
            health_check_type="ELB" if target_group_arns else "EC2",
            health_check_grace_period=600,
            target_group_arns=list(target_group_arns) or None,
            # Launch the replacement before terminating the old host, so a single host is never gone.
            instance_refresh=AutoscalingGroupInstanceRefresh(
                strategy="Rolling",
                preferences=AutoscalingGroupInstanceRefreshPreferences(
                    min_healthy_percentage=100, max_healthy_percentage=200, instance_warmup="600"
                ),
            ),
            tag=[AutoscalingGroupTag(key="Name", value=name, propagate_at_launch=False)],
            lifecycle=TerraformResourceLifecycle(ignore_changes=ignored),
            **group_settings,
        )

        self.scaling_policy = AutoscalingPolicy(
            self,
            "cpu-target-tracking",
            name=f"{name}-cpu-target",
            autoscaling_group_name=self.group.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration=AutoscalingPolicyTargetTrackingConfiguration(
                target_value=cpu_target_percent,
                predefined_metric_specification=(
                    AutoscalingPolicyTargetTrackingConfigurationPredefinedMetricSpecification(
                        predefined_metric_type="ASGAverageCPUUtilization"
                    )
                ),
            ),
        )

        self.schedules: list[AutoscalingSchedule] = []
        if schedule is not None:
            self.schedules = [
                AutoscalingSchedule(
                    self,
                    "scheduled-stop",
                    scheduled_action_name=f"{name}-stop",
                    autoscaling_group_name=self.group.name,
                    recurrence=schedule.stop_recurrence,
                    time_zone=schedule.time_zone,
                    min_size=0,
                    max_size=0,
                    desired_capacity=0,
                ),
                AutoscalingSchedule(
                    self,
                    "scheduled-start",
                    scheduled_action_name=f"{name}-start",
                    autoscaling_group_name=self.group.name,
                    recurrence=schedule.start_recurrence,
                    time_zone=schedule.time_zone,
                    min_size=min_size,
                    max_size=max_size,
                    desired_capacity=desired_capacity,
                ),
            ]
