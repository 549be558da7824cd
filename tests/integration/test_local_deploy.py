"""The local environment, deployed for real to the embedded AWS (moto), in dependency order:
deploy, a drift check that must be clean, a concurrent apply refused by the lock, drift that is
detected and named, and a destroy that leaves nothing behind.

These run the same entry points as `make deploy/drift/destroy` (python -m scripts.ops), against
a moto server of their own and with their own cdktf.out, so they never touch a developer's.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from environments.loader import load_environments
from scripts import local_aws
from scripts.paths import PLAN_ROOT
from scripts.toolchain import BUILD_DIR, REPO_ROOT, Terraform
from tests.helpers import yield_cpu_to

# One worker: under `pytest -n N --dist loadfile` (make test) the whole deploy runs on one
# worker, in order, while the CPU-bound layers run on the others.
pytestmark = [pytest.mark.integration]

ENV = load_environments(["local"])[0]
NETWORK_STACK = f"local-refactor-network-{ENV.primary_region}"


@pytest.fixture(scope="module", autouse=True)
def critical_path_first():
    """This module is the suite's longest path: the other workers run beside it at a lower priority."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        yield_cpu_to(os.getpid(), os.getppid())


@pytest.fixture(scope="module")
def endpoint():
    url = local_aws.start()
    yield url
    local_aws.stop()


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cdktf.out")


@pytest.fixture(scope="module")
def ops(endpoint, outdir):
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir), "LOCAL_AWS_ENDPOINT": endpoint, "PYTHONUNBUFFERED": "1"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "scripts.ops", *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )

    return run


@pytest.fixture(scope="module")
def aws(endpoint):
    def client(service: str, region: str = ENV.primary_region):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=region,
            **{k.lower(): v for k, v in local_aws.credentials_env().items()},
        )

    return client


@pytest.fixture(scope="module")
def deployed(ops):
    result = ops("deploy", "local")
    assert result.returncode == 0, _why(result)
    return result


def _why(result: subprocess.CompletedProcess) -> str:
    """Every error line of a failed run, then its table: what a reader needs, not the last 4 kB."""
    errors = [line for line in result.stdout.splitlines() if "rror" in line][:40]
    return "\n".join(errors) + "\n" + result.stdout[-2500:] + result.stderr[-2500:]


def _terraform(outdir, stack: str, **extra) -> Terraform:
    return Terraform(
        outdir / "stacks" / stack,
        extra_env={"TF_DATA_DIR": str(BUILD_DIR / "tfdata" / "state" / stack), **local_aws.credentials_env(), **extra},
    )


def test_deploy_applies_every_stack_in_order_and_prints_outputs(deployed, aws, outdir):
    out = deployed.stdout
    # The run's table lists every stack of the environment, each applied.
    stacks = [p.name for p in (outdir / "stacks").iterdir() if p.name.startswith("local-")]
    assert len(stacks) >= 8
    table = out[out.index("\ndeploy local: ") :]  # the checkov summary above also lists stacks
    for stack in stacks:
        (row,) = [line for line in table.splitlines() if line.startswith(f"  {stack} ")]
        assert row.split()[1] == "ok", row
    assert "exit 0: all succeeded" in out
    assert out.index("applied local-bootstrap") < out.index(f"applied {NETWORK_STACK}")
    assert "state migrated to s3://local-tfstate-123456789012/local/local-bootstrap.tfstate" in out
    assert "checkov on plan JSON (local): PASS" in out
    assert "vpc_id = " in out
    # Every stack's state sits under its own key in the bucket bootstrap made.
    keys = {o["Key"] for o in aws("s3").list_objects_v2(Bucket=ENV.state.bucket)["Contents"]}
    assert {"local/local-bootstrap.tfstate", f"local/{NETWORK_STACK}.tfstate"} <= keys
    vpcs = aws("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.20.0.0/16"]}])["Vpcs"]
    assert len(vpcs) == 1
    tags = {t["Key"]: t["Value"] for t in vpcs[0]["Tags"]}
    assert tags["Environment"] == "local" and tags["ManagedBy"] == "cdktf" and tags["Stack"] == NETWORK_STACK


GITHUB_TOKEN_PARAMETER = "/local/code-refactor/github-token"


@pytest.fixture(scope="module")
def github_token(deployed, outdir, endpoint, aws):
    """Issue 11 item 4: the operator sets the token with the stack's own command, before the
    second plan, so that one plan of every stack is also the check that no plan JSON holds it."""
    data = _terraform(outdir, "local-refactor-data")
    command = data.run("output", "-raw", "github_token_set_command").stdout.strip()
    assert command.startswith("read -rs VALUE && aws ssm put-parameter")
    token = "ghp_integration" + os.urandom(12).hex()
    subprocess.run(
        ["bash", "-c", command],
        input=token + "\n",
        text=True,
        check=True,
        env={**os.environ, **local_aws.credentials_env(), "AWS_ENDPOINT_URL": endpoint},
    )
    yield token
    # Out of band, so no destroy removes it; the token test does, and this covers a partial run.
    ssm = aws("ssm")
    with contextlib.suppress(ssm.exceptions.ParameterNotFound):
        ssm.delete_parameter(Name=GITHUB_TOKEN_PARAMETER)


@pytest.fixture(scope="module")
def second_plan(github_token, ops):
    return ops("plan", "local")


def test_second_plan_changes_nothing_and_its_json_passes_checkov(second_plan, outdir):
    """One `make plan` of every stack is both the clean second plan and the checkov gate on plan
    JSON (two full plans of eight stacks cost minutes; `make drift` gets its own test below).
    The operator's token is set by then: setting it as documented changes no stack."""
    result = second_plan
    assert result.returncode == 0, result.stdout + result.stderr
    stacks = sorted(p.name for p in (outdir / "stacks").iterdir() if p.name.startswith("local-"))
    for stack in stacks:
        assert f"{stack}: 0 to add, 0 to change, 0 to destroy, 0 to replace" in result.stdout, stack
    assert "checkov on plan JSON (local): PASS" in result.stdout


def test_concurrent_apply_is_refused_by_the_lock_and_state_stays_intact(deployed, outdir, aws):
    tf = _terraform(outdir, NETWORK_STACK)
    before = json.loads(tf.run("state", "pull").stdout)
    victim = next(a for a in tf.run("state", "list").output.split() if a.startswith("aws_route_table_association."))

    # The first apply holds the lock while it waits at its confirmation prompt.
    holder = subprocess.Popen(
        [tf.binary, "apply", "-no-color", f"-replace={victim}"],
        cwd=tf.workdir,
        env={**tf.env, "TF_INPUT": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lock_id = f"{ENV.state.bucket}/local/{NETWORK_STACK}.tfstate"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            item = aws("dynamodb").get_item(TableName=ENV.state.lock_table, Key={"LockID": {"S": lock_id}}).get("Item")
            if item and "Info" in item:
                break
            time.sleep(1)
        else:
            pytest.fail("the first apply never took the lock")

        second = tf.run("apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s", check=False)
        assert second.returncode != 0
        assert "Error acquiring the state lock" in second.output
    finally:
        output, _ = holder.communicate("no\n", timeout=300)
    assert "Apply cancelled" in output

    after = json.loads(tf.run("state", "pull").stdout)
    assert (after["lineage"], after["serial"]) == (before["lineage"], before["serial"])
    assert after["resources"] == before["resources"]


def test_drift_is_detected_and_the_stack_named(deployed, ops, aws, outdir):
    group = f"/vpc/local-refactor-{ENV.primary_region}/flow-logs"
    aws("logs").put_retention_policy(logGroupName=group, retentionInDays=1)
    result = ops("drift", "local")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"DRIFT {NETWORK_STACK}" in result.stdout
    assert "clean local-bootstrap" in result.stdout
    assert f"drift in 1 stack(s): {NETWORK_STACK}" in result.stdout
    # Every other stack's second plan is clean: `make drift` says so stack by stack.
    for stack in (p.name for p in (outdir / "stacks").iterdir() if p.name.startswith("local-")):
        if stack != NETWORK_STACK:
            assert f"clean {stack}" in result.stdout, stack


def test_baseline_and_ci_access_are_live(deployed, aws):
    """The account baseline and the OIDC roles exist on the emulator as the stacks describe them."""
    out = deployed.stdout
    baseline = f"local-baseline-{ENV.primary_region}"
    # Bootstrap, then the baseline, before the stacks that use what it makes.
    baseline_at = out.index(f"applied {baseline}")
    assert out.index("applied local-bootstrap") < baseline_at < out.index("applied local-refactor-app")
    assert baseline_at < out.index(f"applied local-tablesleuth-{ENV.primary_region}")
    config = aws("config")
    (status,) = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    assert status["recording"] is True
    rules = {r["Source"]["SourceIdentifier"] for r in config.describe_config_rules()["ConfigRules"]}
    assert {"EC2_EBS_ENCRYPTION_BY_DEFAULT", "VPC_FLOW_LOGS_ENABLED"} <= rules
    ec2 = aws("ec2")
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"].startswith("arn:aws:kms:")
    session = aws("ssm").describe_document(Name="SSM-SessionManagerRunShell")["Document"]
    assert session["DocumentType"] == "Session"
    iam = aws("iam")
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] >= 14
    (provider,) = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert provider["Arn"].endswith("oidc-provider/token.actions.githubusercontent.com")
    trust = iam.get_role(RoleName=ENV.ci.deploy_role.name)["Role"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        f"repo:{ENV.ci.github_repository}:environment:local:ref:refs/heads/main"
    )


def test_every_live_role_carries_the_permissions_boundary(deployed, aws):
    """The boundary made by bootstrap is on the CI roles and on every role a stack created."""
    iam = aws("iam")
    boundary = f"arn:aws:iam::{ENV.account_id}:policy/local-workload-boundary"
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PolicyName"] == "local-workload-boundary"
    ours = [
        r
        for page in iam.get_paginator("list_roles").paginate()
        for r in page["Roles"]
        if not r["Path"].startswith("/aws-service-role/")
    ]
    assert len(ours) >= 8
    for role in ours:
        live = iam.get_role(RoleName=role["RoleName"])["Role"]
        assert live.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == boundary, role["RoleName"]


def test_state_objects_are_sse_kms_under_the_state_key(deployed, aws):
    """Issue 11 item 6: every state object is SSE-KMS with the state key, not SSE-S3."""
    key_arn = aws("kms").describe_key(KeyId="alias/local-terraform-state")["KeyMetadata"]["Arn"]
    s3 = aws("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=ENV.state.bucket)["Contents"] if o["Key"].endswith(".tfstate")]
    assert len(keys) >= 8
    for key in keys:
        head = s3.head_object(Bucket=ENV.state.bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms", key
        assert head["SSEKMSKeyId"].split("/")[-1] == key_arn.split("/")[-1], key


def test_github_token_set_as_documented_never_reaches_state_or_plan(github_token, second_plan, outdir, aws):
    """Issue 11 item 4: with the token set as documented, no stack's plan JSON holds it (its
    prior_state is the refreshed state), and a refresh of every stack that touches it persists a
    state without it."""
    token = github_token
    try:
        stored = aws("ssm").get_parameter(Name=GITHUB_TOKEN_PARAMETER, WithDecryption=True)["Parameter"]
        assert stored["Value"] == token and stored["Type"] == "SecureString"
        plans = sorted((PLAN_ROOT / "local").glob("local-*.json"))
        assert len(plans) >= 8 and second_plan.returncode == 0
        for plan_json in plans:
            assert token not in plan_json.read_text(), plan_json.name

        def refreshed_state(stack: str) -> str:
            tf = _terraform(outdir, stack)
            tf.run("apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color")
            return tf.run("state", "pull").stdout

        stacks = ("local-refactor-data", "local-refactor-app")
        with ThreadPoolExecutor(max_workers=len(stacks)) as pool:  # independent states: at once
            for stack, state in zip(stacks, pool.map(refreshed_state, stacks), strict=True):
                assert GITHUB_TOKEN_PARAMETER in state, stack  # the stack does refer to it
                assert token not in state, stack
    finally:
        aws("ssm").delete_parameter(Name=GITHUB_TOKEN_PARAMETER)


def test_destroy_leaves_nothing_behind(deployed, ops, aws, outdir):
    result = ops("destroy", "local")
    assert result.returncode == 0, result.stdout + result.stderr
    assert aws("s3").list_buckets()["Buckets"] == []
    assert aws("dynamodb").list_tables()["TableNames"] == []
    assert [v for v in aws("ec2").describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    assert (
        aws("ec2").describe_nat_gateways(Filters=[{"Name": "state", "Values": ["available", "pending"]}])["NatGateways"]
        == []
    )
    # us-east-1 holds the edge stack (CloudFront's region); the rest live in primary and DR.
    regions = sorted({ENV.primary_region, ENV.dr_region, "us-east-1"})
    for region in regions:
        assert aws("logs", region).describe_log_groups()["logGroups"] == [], region
        assert aws("rds", region).describe_db_clusters()["DBClusters"] == [], region
        assert aws("backup", region).list_backup_vaults()["BackupVaultList"] == [], region
        # /aws/service/... are AWS-owned public parameters (the AMI lookup loads them into moto);
        # real AWS never lists them in describe_parameters, so only ours must be gone.
        ssm_parameters = aws("ssm", region).describe_parameters()["Parameters"]
        assert [p["Name"] for p in ssm_parameters if not p["Name"].startswith("/aws/service/")] == [], region
    # Ours are the keys carrying the provider's default tags; moto makes a "Default key" of its own.
    # Every key this environment synthesized must be there, scheduled for deletion.
    synthesized = sum(
        len(json.loads(path.read_text()).get("resource", {}).get("aws_kms_key", {}))
        for path in outdir.glob("stacks/local-*/cdk.tf.json")
    )
    ours = []
    for region in regions:
        kms = aws("kms", region)
        ours += [
            kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
            for k in kms.list_keys()["Keys"]
            if {"TagKey": "ManagedBy", "TagValue": "cdktf"} in kms.list_resource_tags(KeyId=k["KeyId"])["Tags"]
        ]
    assert synthesized >= 2 and len(ours) == synthesized
    assert [(k["Description"], k["KeyState"]) for k in ours if k["KeyState"] != "PendingDeletion"] == []
