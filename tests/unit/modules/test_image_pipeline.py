"""modules/image_pipeline.py: the pipeline seeds and then leaves alone its AMI parameter."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.imagebuilder_distribution_configuration import ImagebuilderDistributionConfiguration
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter

from modules.image_pipeline import AL2023_PARAMETER, ImagePipeline
from tests.helpers import REGION, of_type, synth


def _pipeline(parameter: str):
    def build(scope):
        ImagePipeline(
            scope,
            "image-pipeline",
            name="dev-hosts",
            region=REGION,
            install_script="echo hi",
            description="d",
            subnet_id="subnet-1",
            vpc_id="vpc-1",
            kms_key_arn="arn:aws:kms:us-east-2:111111111111:key/k",
            ami_parameter_name=parameter,
            ami_parameter_description="AMI of the hosts",
            schedule="cron(0 4 ? * MON *)",
            root_volume_gb=30,
            instance_types=["m7i.large"],
        )

    return build


def test_the_ami_parameter_starts_as_the_latest_amazon_linux_and_then_belongs_to_the_pipeline():
    out = synth(_pipeline("/imagebuilder/dev/hosts/ami-id"))
    (seed,) = of_type(out, DataAwsSsmParameter.TF_RESOURCE_TYPE, "data").values()
    assert seed["name"] == AL2023_PARAMETER
    (parameter,) = of_type(out, SsmParameter.TF_RESOURCE_TYPE).values()
    assert parameter["name"] == "/imagebuilder/dev/hosts/ami-id"
    assert parameter["data_type"] == "aws:ec2:image"
    assert "insecure_value" in parameter["value"]
    # The distribution writes new AMI IDs; Terraform must not put the seed back.
    assert parameter["lifecycle"]["ignore_changes"] == ["value"]
    (distribution,) = of_type(out, ImagebuilderDistributionConfiguration.TF_RESOURCE_TYPE).values()
    written = distribution["distribution"][0]["ssm_parameter_configuration"][0]["parameter_name"]
    assert written == "/imagebuilder/dev/hosts/ami-id"


def test_a_parameter_image_builder_may_not_write_is_refused_at_synth():
    with pytest.raises(ValueError, match="/imagebuilder/"):
        synth(_pipeline("/dev/hosts/ami-id"))
