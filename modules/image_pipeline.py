"""An EC2 Image Builder pipeline that bakes a workload's install script into an Amazon Linux 2023
AMI and writes the new AMI ID to an SSM parameter, which the launch template reads.

The parameter is created here too, seeded with the latest Amazon Linux 2023 AMI (the fallback until
the first bake), then owned by the pipeline's distribution: Terraform never puts the old value back.

The component runs the same script the user data runs on the plain Amazon Linux fallback, so a
baked AMI and a fallback boot end up with the same software.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.imagebuilder_component import ImagebuilderComponent
from cdktf_cdktf_provider_aws.imagebuilder_distribution_configuration import (
    ImagebuilderDistributionConfiguration,
    ImagebuilderDistributionConfigurationDistribution,
    ImagebuilderDistributionConfigurationDistributionAmiDistributionConfiguration,
    ImagebuilderDistributionConfigurationDistributionSsmParameterConfiguration,
)
from cdktf_cdktf_provider_aws.imagebuilder_image_pipeline import (
    ImagebuilderImagePipeline,
    ImagebuilderImagePipelineImageTestsConfiguration,
    ImagebuilderImagePipelineSchedule,
)
from cdktf_cdktf_provider_aws.imagebuilder_image_recipe import (
    ImagebuilderImageRecipe,
    ImagebuilderImageRecipeBlockDeviceMapping,
    ImagebuilderImageRecipeBlockDeviceMappingEbs,
    ImagebuilderImageRecipeComponent,
)
from cdktf_cdktf_provider_aws.imagebuilder_infrastructure_configuration import (
    ImagebuilderInfrastructureConfiguration,
    ImagebuilderInfrastructureConfigurationInstanceMetadataOptions,
)
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from modules.iam import SSM_CORE_POLICY, Statement, assume_role_policy, policy_document
from modules.security_group import https_only_security_group

IMAGE_BUILDER_INSTANCE_POLICY = "arn:aws:iam::aws:policy/EC2InstanceProfileForImageBuilder"
# AWS's public parameter for the latest Amazon Linux 2023 AMI: the seed, and the fallback image.
AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
# Image Builder distributes as its service-linked role, which may write SSM parameters only under
# /imagebuilder/ (AWSServiceRoleForImageBuilder: ssm:PutParameter on parameter/imagebuilder/*).
AMI_PARAMETER_PREFIX = "/imagebuilder/"


def amazon_linux_2023(region: str, arch: str = "x86") -> str:
    """Image Builder's managed Amazon Linux 2023 image, always the latest build."""
    return f"arn:aws:imagebuilder:{region}:aws:image/amazon-linux-2023-{arch}/x.x.x"


def terraform_literal(text: str) -> str:
    """`text` escaped so Terraform keeps it as is (no ${...} interpolation or %{...} directives)."""
    return text.replace("${", "$${").replace("%{", "%%{")


def content_version(*parts: str) -> str:
    """Components and recipes are immutable per version: derive the version from the content, so
    a changed script is a new version rather than a failed update."""
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return f"1.0.{int(digest[:8], 16) % 100_000}"


class ImagePipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        region: str,
        install_script: str,
        description: str,
        subnet_id: str,
        vpc_id: str,
        kms_key_arn: str,
        ami_parameter_name: str,
        ami_parameter_description: str,
        schedule: str,
        root_volume_gb: int,
        instance_types: Sequence[str],
    ) -> None:
        super().__init__(scope, id_)
        if not ami_parameter_name.startswith(AMI_PARAMETER_PREFIX):
            raise ValueError(
                f"{name}: ami_parameter_name {ami_parameter_name!r} must start with {AMI_PARAMETER_PREFIX}; "
                "Image Builder's service-linked role may write no other SSM parameter"
            )
        seed = DataAwsSsmParameter(self, "seed-image", name=AL2023_PARAMETER)
        self.ami_parameter = SsmParameter(
            self,
            "ami-parameter",
            name=ami_parameter_name,
            type="String",
            data_type="aws:ec2:image",
            value=seed.insecure_value,
            description=ami_parameter_description,
            lifecycle={"ignore_changes": ["value"]},
        )
        document = {
            "name": name,
            "description": description,
            "schemaVersion": 1.0,
            "phases": [
                {
                    "name": "build",
                    "steps": [
                        {
                            "name": "Install",
                            "action": "ExecuteBash",
                            "inputs": {"commands": [install_script]},
                        }
                    ],
                }
            ],
        }
        data = json.dumps(document, indent=2)  # JSON is YAML, and keeps the script byte-exact
        version = content_version(data, str(root_volume_gb))
        self.component = ImagebuilderComponent(
            self,
            "component",
            name=name,
            platform="Linux",
            version=version,
            description=description,
            # Terraform would read the script's ${...} as its own interpolation; $${ is a literal ${.
            data=terraform_literal(data),
            kms_key_id=kms_key_arn,
            supported_os_versions=["Amazon Linux 2023"],
            lifecycle={"create_before_destroy": True},
        )
        self.recipe = ImagebuilderImageRecipe(
            self,
            "recipe",
            name=name,
            version=version,
            parent_image=amazon_linux_2023(region),
            component=[ImagebuilderImageRecipeComponent(component_arn=self.component.arn)],
            block_device_mapping=[
                ImagebuilderImageRecipeBlockDeviceMapping(
                    device_name="/dev/xvda",
                    ebs=ImagebuilderImageRecipeBlockDeviceMappingEbs(
                        volume_size=root_volume_gb,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=kms_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            lifecycle={"create_before_destroy": True},
        )

        # The build instance gets its own role: it needs Image Builder's permissions for the
        # bake only, and none of the hosts' access to their secrets.
        trust = assume_role_policy(self, "build-trust", service="ec2.amazonaws.com")
        self.build_role = IamRole(self, "build-role", name=f"{name}-image-build", assume_role_policy=trust.json)
        for index, policy_arn in enumerate((SSM_CORE_POLICY, IMAGE_BUILDER_INSTANCE_POLICY)):
            IamRolePolicyAttachment(
                self, f"build-role-policy-{index}", role=self.build_role.name, policy_arn=policy_arn
            )
        use_key = policy_document(
            self,
            "build-key-permissions",
            [
                Statement(
                    sid="UseImageKey",
                    actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                    resources=[kms_key_arn],
                )
            ],
        )
        IamRolePolicy(self, "build-role-key", role=self.build_role.id, policy=use_key.json)
        profile = IamInstanceProfile(self, "build-profile", name=f"{name}-image-build", role=self.build_role.name)

        self.security_group = https_only_security_group(
            self,
            "build-sg",
            name_prefix=f"{name}-image-build-",
            description=f"{name} image builds: outbound HTTPS only (packages, releases, AWS APIs)",
            vpc_id=vpc_id,
            tags={"Name": f"{name}-image-build"},
            egress_id="build-egress-https",
            egress_description="HTTPS to package repositories, GitHub releases and AWS APIs",
        )
        self.infrastructure = ImagebuilderInfrastructureConfiguration(
            self,
            "infrastructure",
            name=name,
            description=f"{name}: build in a private subnet with the build role",
            instance_profile_name=profile.name,
            instance_types=list(instance_types),
            subnet_id=subnet_id,
            security_group_ids=[self.security_group.id],
            terminate_instance_on_failure=True,
            instance_metadata_options=ImagebuilderInfrastructureConfigurationInstanceMetadataOptions(
                http_tokens="required", http_put_response_hop_limit=1
            ),
        )
        self.distribution = ImagebuilderDistributionConfiguration(
            self,
            "distribution",
            name=name,
            distribution=[
                ImagebuilderDistributionConfigurationDistribution(
                    region=region,
                    ami_distribution_configuration=(
                        ImagebuilderDistributionConfigurationDistributionAmiDistributionConfiguration(
                            name=f"{name}-{{{{ imagebuilder:buildDate }}}}", kms_key_id=kms_key_arn
                        )
                    ),
                    # The launch template reads the AMI from here.
                    ssm_parameter_configuration=[
                        ImagebuilderDistributionConfigurationDistributionSsmParameterConfiguration(
                            parameter_name=ami_parameter_name, data_type="aws:ec2:image"
                        )
                    ],
                )
            ],
        )
        self.pipeline = ImagebuilderImagePipeline(
            self,
            "pipeline",
            name=name,
            description=description,
            image_recipe_arn=self.recipe.arn,
            infrastructure_configuration_arn=self.infrastructure.arn,
            distribution_configuration_arn=self.distribution.arn,
            enhanced_image_metadata_enabled=True,
            image_tests_configuration=ImagebuilderImagePipelineImageTestsConfiguration(image_tests_enabled=True),
            schedule=ImagebuilderImagePipelineSchedule(
                schedule_expression=schedule,
                # Rebuild on schedule only when the parent image or a component has changed.
                pipeline_execution_start_condition="EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE",
            ),
        )
