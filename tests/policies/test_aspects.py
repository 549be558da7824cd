"""Each guardrail aspect, on a construct that violates it: synth fails with the path and the fix.
And the real stacks of every environment synthesize with no error and no warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.ebs_volume import EbsVolume
from cdktf_cdktf_provider_aws.elasticache_replication_group import ElasticacheReplicationGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateMetadataOptions,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_acl import S3BucketAcl
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupIngress
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from modules.encryption import EncryptionKey
from modules.iam import Statement, policy_document
from modules.storage import SecureBucket
from policies import aspects

TAGS = {"Environment": "test", "Project": "p", "Owner": "o", "CostCenter": "c"}


def _stack(tmp_path, tags=TAGS) -> tuple[App, TerraformStack]:
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "guarded")
    AwsProvider(stack, "aws", region="us-east-2", default_tags=[{"tags": tags}])
    return app, stack


def _synth_error(app: App, stack: TerraformStack, rule: aspects.StackRule) -> str:
    from cdktf import Aspects

    Aspects.of(stack).add(rule)
    with pytest.raises(RuntimeError) as raised:
        app.synth()
    return str(raised.value)


def _synth_ok(app: App, stack: TerraformStack, rule: aspects.StackRule) -> list[dict]:
    from cdktf import Aspects

    Aspects.of(stack).add(rule)
    app.synth()
    manifest = json.loads((Path(app.outdir) / "manifest.json").read_text())
    return manifest["stacks"]["guarded"].get("annotations", [])


# --- EncryptedStorage --------------------------------------------------------------------------


def test_unencrypted_bucket_fails_synth_with_path_and_fix(tmp_path):
    app, stack = _stack(tmp_path)
    S3Bucket(stack, "plain", bucket="plain-bucket")
    error = _synth_error(app, stack, aspects.EncryptedStorage())
    assert (
        "[guarded/plain] [EncryptedStorage] S3 bucket aws_s3_bucket.plain has no default encryption. Fix: build it "
        "with modules.storage.SecureBucket, or add an aws_s3_bucket_server_side_encryption_configuration with "
        "sse_algorithm aws:kms and a KMS key (SSE-S3 only for access-log buckets)."
    ) in error


def test_secure_bucket_passes(tmp_path):
    app, stack = _stack(tmp_path)
    key = EncryptionKey(stack, "key", alias="k", description="k", account_id="123456789012")
    SecureBucket(stack, "secure", bucket_name="secure-bucket", account_id="123456789012", kms_key_arn=key.arn)
    assert _synth_ok(app, stack, aspects.EncryptedStorage()) == []


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            lambda s: EbsVolume(s, "vol", availability_zone="us-east-2a", size=8),
            "[guarded/vol] [EncryptedStorage] EBS volume aws_ebs_volume.vol is not encrypted. Fix: encrypted=True.",
        ),
        (
            lambda s: RdsCluster(
                s, "db", engine="aurora-postgresql", manage_master_user_password=True, master_username="app"
            ),
            "[guarded/db] [EncryptedStorage] database aws_rds_cluster.db stores data unencrypted. "
            "Fix: storage_encrypted=True with kms_key_id.",
        ),
        (
            lambda s: ElasticacheReplicationGroup(s, "cache", replication_group_id="c", description="c"),
            "[guarded/cache] [EncryptedStorage] ElastiCache aws_elasticache_replication_group.cache is not "
            "encrypted at rest. Fix: at_rest_encryption_enabled=True with kms_key_id.",
        ),
        (
            lambda s: SnsTopic(s, "topic", name="t"),
            "[guarded/topic] [EncryptedStorage] SNS topic aws_sns_topic.topic has no KMS key. Fix: set "
            "kms_master_key_id to a customer-managed key (modules.encryption.EncryptionKey) whose policy grants "
            "the service.",
        ),
        (
            lambda s: SqsQueue(s, "queue", name="q", sqs_managed_sse_enabled=True),
            "[guarded/queue] [EncryptedStorage] SQS queue aws_sqs_queue.queue has no KMS key.",
        ),
        (
            lambda s: CloudwatchLogGroup(s, "logs", name="/x"),
            "[guarded/logs] [EncryptedStorage] log group aws_cloudwatch_log_group.logs has no KMS key.",
        ),
        (
            lambda s: LaunchTemplate(
                s,
                "lt",
                metadata_options=LaunchTemplateMetadataOptions(http_tokens="required"),
                block_device_mappings=[
                    LaunchTemplateBlockDeviceMappings(
                        device_name="/dev/xvda", ebs=LaunchTemplateBlockDeviceMappingsEbs(volume_size=20)
                    )
                ],
            ),
            "[guarded/lt] [EncryptedStorage] launch template aws_launch_template.lt maps /dev/xvda to an "
            'unencrypted EBS volume. Fix: set ebs.encrypted="true" (and kms_key_id).',
        ),
    ],
    ids=["ebs", "aurora", "elasticache", "sns", "sqs", "log-group", "launch-template"],
)
def test_unencrypted_storage_fails_synth(tmp_path, build, expected):
    app, stack = _stack(tmp_path)
    build(stack)
    assert expected in _synth_error(app, stack, aspects.EncryptedStorage())


# --- NoAdminPortsFromInternet -------------------------------------------------------------------


def test_ssh_from_anywhere_fails_synth(tmp_path):
    app, stack = _stack(tmp_path)
    SecurityGroup(
        stack,
        "sg",
        name="open",
        ingress=[
            SecurityGroupIngress(protocol="tcp", from_port=0, to_port=1024, cidr_blocks=["0.0.0.0/0"], description="x")
        ],
    )
    error = _synth_error(app, stack, aspects.NoAdminPortsFromInternet())
    assert (
        "[guarded/sg] [NoAdminPortsFromInternet] aws_security_group.sg opens SSH to 0.0.0.0/0. Fix: reach "
        "instances through Session Manager (no inbound port), or allow the port only from a specific CIDR or "
        "security group."
    ) in error


def test_rdp_rule_from_ipv6_anywhere_fails_and_https_passes(tmp_path):
    app, stack = _stack(tmp_path)
    VpcSecurityGroupIngressRule(
        stack, "rdp", security_group_id="sg-1", ip_protocol="tcp", from_port=3389, to_port=3389, cidr_ipv6="::/0"
    )
    VpcSecurityGroupIngressRule(
        stack, "https", security_group_id="sg-1", ip_protocol="tcp", from_port=443, to_port=443, cidr_ipv4="0.0.0.0/0"
    )
    error = _synth_error(app, stack, aspects.NoAdminPortsFromInternet())
    assert (
        "[guarded/rdp] [NoAdminPortsFromInternet] aws_vpc_security_group_ingress_rule.rdp opens RDP to ::/0." in error
    )
    assert "guarded/https" not in error


# --- LeastPrivilegeIam --------------------------------------------------------------------------


def test_star_action_fails_synth(tmp_path):
    app, stack = _stack(tmp_path)
    doc = policy_document(stack, "doc", [Statement(sid="Everything", actions=["s3:*"], resources=["arn:aws:s3:::b"])])
    IamRolePolicy(stack, "policy", role="r", policy=doc.json)
    error = _synth_error(app, stack, aspects.LeastPrivilegeIam())
    assert (
        "[guarded/doc] [LeastPrivilegeIam] data.aws_iam_policy_document.doc statement 'Everything' allows every "
        "action of ['s3:*']. Fix: list the actions it needs (patterns such as s3:Get* are fine)."
    ) in error


def test_star_resource_fails_unless_the_action_has_no_resource_level_permission(tmp_path):
    app, stack = _stack(tmp_path)
    doc = policy_document(
        stack,
        "doc",
        [
            Statement(sid="Tracing", actions=["xray:PutTraceSegments", "ec2:DescribeInstances"]),
            Statement(sid="ReadAnyBucket", actions=["s3:GetObject", "cloudwatch:PutMetricData"]),
        ],
    )
    IamRolePolicy(stack, "policy", role="r", policy=doc.json)
    error = _synth_error(app, stack, aspects.LeastPrivilegeIam())
    assert (
        "[guarded/doc] [LeastPrivilegeIam] data.aws_iam_policy_document.doc statement 'ReadAnyBucket' allows "
        "['s3:GetObject'] on every resource ('*'). Fix: scope resources to the ARNs it needs; only actions without "
        "resource-level permissions (policies/iam_allowlist.py) may use '*'."
    ) in error
    assert "'Tracing'" not in error


def test_raw_json_policy_and_admin_attachment_fail(tmp_path):
    app, stack = _stack(tmp_path)
    IamRolePolicy(
        stack,
        "inline",
        role="r",
        policy=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    IamRolePolicyAttachment(stack, "admin", role="r", policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
    IamRole(
        stack,
        "role",
        assume_role_policy="{}",
        managed_policy_arns=["arn:aws:iam::aws:policy/IAMFullAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"],
    )
    error = _synth_error(app, stack, aspects.LeastPrivilegeIam())
    assert (
        "[guarded/inline] [LeastPrivilegeIam] aws_iam_role_policy.inline statement '(no sid)' allows every action"
        in error
    )
    assert (
        "[guarded/admin] [LeastPrivilegeIam] aws_iam_role_policy_attachment.admin attaches "
        "arn:aws:iam::aws:policy/AdministratorAccess."
    ) in error
    assert (
        "[guarded/role] [LeastPrivilegeIam] aws_iam_role.role attaches arn:aws:iam::aws:policy/IAMFullAccess." in error
    )
    assert "ReadOnlyAccess" not in error


def test_key_policy_star_means_this_key_and_passes(tmp_path):
    app, stack = _stack(tmp_path)
    EncryptionKey(
        stack,
        "key",
        alias="k",
        description="k",
        account_id="123456789012",
        service_grants=[EncryptionKey.service_grant("Logs", "logs.us-east-2.amazonaws.com")],
    )
    assert _synth_ok(app, stack, aspects.LeastPrivilegeIam()) == []


# --- NoPublicS3Acls -----------------------------------------------------------------------------


def test_public_acl_fails_synth(tmp_path):
    app, stack = _stack(tmp_path)
    S3BucketAcl(stack, "acl", bucket="b", acl="public-read")
    error = _synth_error(app, stack, aspects.NoPublicS3Acls())
    assert (
        "[guarded/acl] [NoPublicS3Acls] aws_s3_bucket_acl.acl sets the public ACL 'public-read'. Fix: keep buckets "
        "private (BucketOwnerEnforced, no ACL); serve public content through CloudFront."
    ) in error


# --- Imdsv2Required -----------------------------------------------------------------------------


def test_imdsv1_fails_synth(tmp_path):
    app, stack = _stack(tmp_path)
    LaunchTemplate(stack, "lt", metadata_options=LaunchTemplateMetadataOptions(http_tokens="optional"))
    error = _synth_error(app, stack, aspects.Imdsv2Required())
    assert (
        "[guarded/lt] [Imdsv2Required] aws_launch_template.lt allows IMDSv1. Fix: set metadata_options "
        'http_tokens="required" (and http_put_response_hop_limit 1, or 2 for containers).'
    ) in error


# --- ProdDatabaseDeletionProtection -------------------------------------------------------------


def test_prod_database_without_deletion_protection_fails_and_dev_passes(tmp_path):
    def build(stack):
        DbInstance(
            stack,
            "db",
            instance_class="db.t4g.micro",
            engine="postgres",
            storage_encrypted=True,
            allocated_storage=20,
            username="app",
            manage_master_user_password=True,
        )

    app, stack = _stack(tmp_path / "prod")
    build(stack)
    error = _synth_error(app, stack, aspects.ProdDatabaseDeletionProtection(production=True))
    assert (
        "[guarded/db] [ProdDatabaseDeletionProtection] prod database aws_db_instance.db has no deletion protection. "
        "Fix: deletion_protection=True (environments/prod.yaml requires database.deletion_protection)."
    ) in error
    app, stack = _stack(tmp_path / "dev")
    build(stack)
    assert _synth_ok(app, stack, aspects.ProdDatabaseDeletionProtection(production=False)) == []


# --- RequiredTags (warning) ---------------------------------------------------------------------


def test_missing_tags_warn_but_do_not_fail(tmp_path):
    app, stack = _stack(tmp_path, tags={"Environment": "test", "Project": "p"})
    SnsTopic(stack, "topic", name="t", kms_master_key_id="alias/x", tags={"Owner": "o"})
    annotations = _synth_ok(app, stack, aspects.RequiredTags())
    assert [(a["constructPath"], a["level"], a["message"]) for a in annotations] == [
        (
            "guarded/topic",
            "@cdktf/warn",
            "[RequiredTags] aws_sns_topic.topic lacks the tags ['CostCenter']. Fix: use the stack's provider "
            "(default_tags from the environment) or add them to tags.",
        )
    ]


# --- all rules together, as every stack gets them -------------------------------------------------


def test_apply_guardrails_runs_every_rule_in_one_aspect(tmp_path):
    app, stack = _stack(tmp_path, tags={"Environment": "test"})
    S3Bucket(stack, "plain", bucket="plain-bucket")
    SecurityGroup(
        stack,
        "open-ssh",
        name="open",
        ingress=[SecurityGroupIngress(from_port=22, to_port=22, protocol="tcp", cidr_blocks=["0.0.0.0/0"])],
    )
    aspects.apply_guardrails(stack, production=False)
    with pytest.raises(RuntimeError) as raised:
        app.synth()
    error = str(raised.value)
    assert "[EncryptedStorage]" in error
    assert "[NoAdminPortsFromInternet]" in error


# --- the real stacks ----------------------------------------------------------------------------


def test_every_real_stack_synthesizes_with_no_guardrail_finding(manifest):
    """The session fixture synthesized every environment with the guardrails on (an error would
    have stopped it); no stack carries a warning either."""
    findings = {name: stack.get("annotations", []) for name, stack in manifest.items()}
    assert {name: a for name, a in findings.items() if a} == {}
    assert len(manifest) >= 8


# --- PermissionsBoundaryRequired ---------------------------------------------------------------

BOUNDARY = "arn:aws:iam::111111111111:policy/dev-workload-boundary"


def test_role_without_the_boundary_fails_synth_in_real_environments(tmp_path):
    from cdktf_cdktf_provider_aws.iam_role import IamRole
    from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment

    app, stack = _stack(tmp_path)
    IamRole(stack, "bare", name="bare", assume_role_policy="{}")
    IamRole(stack, "other", name="other", assume_role_policy="{}", permissions_boundary="arn:aws:iam::1:policy/x")
    IamRole(stack, "ok", name="ok", assume_role_policy="{}", permissions_boundary=BOUNDARY)
    IamRolePolicyAttachment(stack, "power", role="ok", policy_arn="arn:aws:iam::aws:policy/PowerUserAccess")
    rule = aspects.PermissionsBoundaryRequired(
        boundary_arn=BOUNDARY, attachable=("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",)
    )
    error = _synth_error(app, stack, rule)
    assert (
        f"[guarded/bare] [PermissionsBoundaryRequired] aws_iam_role.bare has permissions_boundary None, not {BOUNDARY}"
        in error
    )
    assert "aws_iam_role.other has permissions_boundary 'arn:aws:iam::1:policy/x'" in error
    assert "aws_iam_role.ok " not in error
    assert "aws_iam_role_policy_attachment.power attaches arn:aws:iam::aws:policy/PowerUserAccess" in error
    assert "policies/managed_policies.py" in error


def test_environment_stacks_give_every_role_the_boundary_before_the_guardrail_looks(tmp_path):
    """The base stack's aspect attaches the boundary, so a module's plain IamRole passes synth."""
    from cdktf import App
    from cdktf_cdktf_provider_aws.iam_role import IamRole

    from environments.loader import load_environments
    from stacks.base import EnvironmentStack

    (env,) = load_environments(["dev"])
    app = App(outdir=str(tmp_path))
    stack = EnvironmentStack(app, env=env, component="probe")
    IamRole(stack, "plain", name="plain", assume_role_policy="{}")
    app.synth()
    synthesized = json.loads((Path(app.outdir) / "stacks" / "dev-probe-us-east-2" / "cdk.tf.json").read_text())
    (role,) = synthesized["resource"]["aws_iam_role"].values()
    assert role["permissions_boundary"] == BOUNDARY


def test_boundary_document_is_a_ceiling_not_a_grant(tmp_path):
    """A boundary's Allow of "*" caps the role; LeastPrivilegeIam still judges every other policy."""
    from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
    from cdktf_cdktf_provider_aws.iam_role import IamRole

    from modules.iam import Statement, policy_document

    app, stack = _stack(tmp_path)
    ceiling = policy_document(stack, "ceiling", [Statement(sid="Ceiling", actions=["*"])])
    boundary = IamPolicy(stack, "boundary", name="dev-workload-boundary", policy=ceiling.json)
    IamRole(stack, "r", name="r", assume_role_policy="{}", permissions_boundary=boundary.arn)
    grant = policy_document(stack, "grant", [Statement(sid="Grant", actions=["*"])])
    IamPolicy(stack, "not-a-boundary", name="grant", policy=grant.json)
    error = _synth_error(app, stack, aspects.LeastPrivilegeIam())
    assert "statement 'Grant' allows every action" in error
    assert "Ceiling" not in error


# --- what the guardrails cost, and that the real stacks still fail synth on a finding --------------


def _kernel_round_trips(monkeypatch) -> list[int]:
    """Counts every message Python sends to the jsii kernel (calls, and answers to callbacks)."""
    from jsii._kernel.providers import process

    sent = [0]
    send = process._NodeProcess.send

    def counting(self, request, response_type):
        sent[0] += 1
        return send(self, request, response_type)

    monkeypatch.setattr(process._NodeProcess, "send", counting)
    return sent


def test_guardrails_cost_a_few_jsii_round_trips_per_stack_not_several_per_resource(tmp_path, monkeypatch):
    """The rules read the stack's synthesized JSON (one call) and run as one validation of the stack.
    Resolving every resource through jsii, and an aspect cdktf calls back for every construct, cost
    about half of a full synth: 3 or more round trips per resource."""
    app, stack = _stack(tmp_path)
    for i in range(60):
        SnsTopic(stack, f"topic-{i}", name=f"t{i}", kms_master_key_id="alias/x")
    aspects.apply_guardrails(stack, production=False)
    sent = _kernel_round_trips(monkeypatch)
    app.synth()
    assert sent[0] < 20, f"{sent[0]} jsii round trips to synthesize 60 resources"
    annotations = json.loads((Path(app.outdir) / "manifest.json").read_text())["stacks"]["guarded"]["annotations"]
    assert annotations == []


def test_a_finding_deep_in_a_construct_tree_names_that_construct(tmp_path):
    """Findings come from the synthesized JSON; the construct is found again by the path cdktf
    records there, also when the resource's logical id is overridden."""
    from constructs import Construct

    app, stack = _stack(tmp_path)
    inner = S3Bucket(Construct(Construct(stack, "outer"), "middle"), "inner", bucket="plain-bucket")
    inner.override_logical_id("renamed")
    error = _synth_error(app, stack, aspects.EncryptedStorage())
    assert "[guarded/outer/middle/inner] [EncryptedStorage] S3 bucket aws_s3_bucket.renamed has no default" in error


def test_an_environment_stack_with_a_finding_fails_synth_and_is_not_written(tmp_path):
    """EnvironmentStack's guardrails (a validation of the stack) stop synth with the path and the
    fix before the stack's cdk.tf.json exists."""
    from cdktf import App

    from environments.loader import load_environments
    from stacks.base import EnvironmentStack

    (env,) = load_environments(["dev"])
    app = App(outdir=str(tmp_path), skip_validation=False)
    bad = EnvironmentStack(app, env=env, component="probe")
    S3Bucket(bad, "plain", bucket="plain-bucket")
    IamRole(bad, "foreign", name="foreign", assume_role_policy="{}", permissions_boundary="arn:aws:iam::1:policy/x")
    with pytest.raises(RuntimeError) as raised:
        app.synth()
    error = str(raised.value)
    assert "[dev-probe-us-east-2/plain] [EncryptedStorage] S3 bucket aws_s3_bucket.plain has no default" in error
    assert "[dev-probe-us-east-2/foreign] [PermissionsBoundaryRequired] aws_iam_role.foreign" in error
    assert not (tmp_path / "stacks" / "dev-probe-us-east-2" / "cdk.tf.json").exists()
