"""modules/compute_fleet.py: the hosts' InstanceRole and HostSecurityGroup."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from modules.compute_fleet import CLOUDWATCH_AGENT_POLICY, HostSecurityGroup, InstanceRole
from modules.iam import SSM_CORE_POLICY, Statement
from tests.helpers import of_type, statements, synth

READ = Statement(sid="ReadOneThing", actions=["s3:GetObject"], resources=["arn:aws:s3:::b/k"])


def test_instance_role_is_session_manager_and_agent_plus_the_callers_statements():
    out = synth(lambda s: InstanceRole(s, "host-role", name="dev-host", statements=[READ]))
    (role,) = of_type(out, IamRole.TF_RESOURCE_TYPE).values()
    assert role["name"] == "dev-host"
    (trust,) = statements(out, "host-role_trust")
    assert trust["principals"] == [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}]
    attached = sorted(a["policy_arn"] for a in of_type(out, IamRolePolicyAttachment.TF_RESOURCE_TYPE).values())
    assert attached == sorted([SSM_CORE_POLICY, CLOUDWATCH_AGENT_POLICY])
    assert [s["sid"] for s in statements(out, "host-role_permissions")] == ["ReadOneThing"]
    assert len(of_type(out, IamRolePolicy.TF_RESOURCE_TYPE)) == 1
    (profile,) = of_type(out, IamInstanceProfile.TF_RESOURCE_TYPE).values()
    assert profile["name"] == "dev-host" and "aws_iam_role." in profile["role"]


def test_instance_role_without_statements_has_no_empty_inline_policy():
    out = synth(lambda s: InstanceRole(s, "host-role", name="dev-host", statements=[]))
    assert not of_type(out, IamRolePolicy.TF_RESOURCE_TYPE)  # IAM refuses a policy with no statements


def test_host_security_group_lets_nothing_in_and_only_https_out():
    out = synth(lambda s: HostSecurityGroup(s, "host-sg", name="dev", vpc_id="vpc-1", description="hosts"))
    (group,) = of_type(out, SecurityGroup.TF_RESOURCE_TYPE).values()
    assert group["lifecycle"]["create_before_destroy"] is True and group["name_prefix"] == "dev-host-"
    assert not of_type(out, VpcSecurityGroupIngressRule.TF_RESOURCE_TYPE)
    (egress,) = of_type(out, VpcSecurityGroupEgressRule.TF_RESOURCE_TYPE).values()
    assert (egress["ip_protocol"], egress["from_port"], egress["to_port"]) == ("tcp", 443, 443)
    assert "ingress" not in json.dumps(group)
