"""`make preflight`: against moto, a ready account passes and a lived-in one fails with the fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from environments.loader import load_environments
from scripts import preflight
from scripts.preflight import Preflight
from tests.helpers import REPO_ROOT


@pytest.fixture
def aws(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with mock_aws():
        yield boto3.Session(region_name="us-east-2")


@pytest.fixture(scope="module")
def local():
    (env,) = load_environments(["local"])
    return env


def _with_baseline(env, **baseline):
    return env.model_copy(update={"baseline": env.baseline.model_copy(update=baseline)})


def test_a_ready_account_passes(aws, local, monkeypatch, capsys):
    monkeypatch.setattr(preflight, "session_for", lambda env: (aws, None))
    assert preflight.main(["local"]) == 0
    out = capsys.readouterr().out
    assert "ok   credentials: arn:aws:sts::123456789012:" in out
    assert "ok   service-linked roles: AWSServiceRoleForAutoScaling created by the baseline" in out
    assert "preflight local: account 123456789012 is ready" in out


def test_a_lived_in_account_fails_with_the_fix(aws, local, monkeypatch, capsys):
    # Someone enabled Config and saved Session Manager preferences in the console; the environment
    # claims the Auto Scaling role exists, but it does not.
    config = aws.client("config", region_name="us-east-2")
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "default", "roleARN": "arn:aws:iam::123456789012:role/config"}
    )
    aws.client("ssm", region_name="us-east-2").create_document(
        Name="SSM-SessionManagerRunShell",
        Content='{"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {}}',
        DocumentType="Session",
        DocumentFormat="JSON",
    )
    env = _with_baseline(local, adopt_service_linked_roles=["autoscaling.amazonaws.com"])
    monkeypatch.setattr(preflight, "load_environments", lambda names: [env])
    monkeypatch.setattr(preflight, "session_for", lambda env: (aws, None))

    assert preflight.main(["local"]) == 1
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert any(
        line.startswith("FAIL service-linked roles: AWSServiceRoleForAutoScaling does not exist")
        and "Fix: remove autoscaling.amazonaws.com from baseline.adopt_service_linked_roles" in line
        and "aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com" in line
        for line in lines
    )
    assert any(
        line.startswith("FAIL config recorder: us-east-2: AWS Config allows one recorder per region and default")
        and "aws configservice delete-configuration-recorder --configuration-recorder-name default --region us-east-2"
        in line
        for line in lines
    )
    assert any(
        line.startswith("FAIL session preferences: us-east-2: SSM-SessionManagerRunShell exists already")
        and "add us-east-2 to baseline.adopt_session_preferences in environments/local.yaml" in line
        for line in lines
    )
    assert "preflight local: 3 problem(s); nothing was planned or applied" in err


def test_adopting_a_document_that_is_not_there_fails(aws, local):
    env = _with_baseline(local, adopt_session_preferences=["us-east-2"])
    (result,) = Preflight(env, aws).session_documents()
    assert result.failed and "the import would fail" in result.detail


def test_credentials_of_another_account_stop_everything(aws):
    (dev,) = load_environments(["dev"])
    results = Preflight(dev, aws).run()
    assert [r.line() for r in results] == [
        "FAIL credentials: the credentials (arn:aws:sts::123456789012:user/moto) belong to account 123456789012, "
        "but environments/dev.yaml deploys to 111111111111 Fix: use credentials for account 111111111111, or "
        "correct account_id in environments/dev.yaml"
    ]


def test_no_credentials_is_one_line_in_seconds(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "scripts.preflight", "dev"], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "FAIL credentials: no AWS credentials found (environment variables, AWS_PROFILE, SSO cache or instance "
        "role) Fix: sign in to account 111111111111, e.g. `aws sso login --profile <profile>` and "
        "`export AWS_PROFILE=<profile>`, then re-run",
        "preflight dev: 1 problem(s); nothing was planned or applied",
    ]
    assert elapsed < 15, f"took {elapsed:.1f}s"


def test_elastic_ips_beyond_the_quota_fail(aws, local):
    ec2 = aws.client("ec2", region_name="us-east-2")
    for _ in range(4):  # the local NAT gateways need 2 more; the default quota is 5
        ec2.allocate_address(Domain="vpc")
    (result,) = Preflight(local, aws).elastic_ips()
    assert result.failed
    assert "need 2 Elastic IPs, 4 are held by other things, and the quota is 5" in result.detail
    assert "--service-code ec2 --quota-code L-0263D0A3 --desired-value 8 --region us-east-2" in result.fix


class _Stubbed(Preflight):
    """Real-AWS answers moto lacks (Cost Explorer anomaly monitors, Lambda account settings)."""

    def __init__(self, env, session, stubs):
        super().__init__(env, session)
        self.stubs = stubs

    def client(self, service, region=None):
        return self.stubs[service]


def _stub(service: str, method: str, response: dict):
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_response(method, response)
    stubber.activate()
    return client


def test_an_existing_services_monitor_must_be_subscribed_to(aws):
    (dev,) = load_environments(["dev"])
    arn = "arn:aws:ce::111111111111:anomalymonitor/default-1"
    monitors = {
        "AnomalyMonitors": [
            {
                "MonitorArn": arn,
                "MonitorName": "Default-Services-Monitor",
                "MonitorType": "DIMENSIONAL",
                "MonitorDimension": "SERVICE",
            }
        ]
    }
    (result,) = _Stubbed(dev, aws, {"ce": _stub("ce", "get_anomaly_monitors", monitors)}).cost_anomaly()
    assert result.failed
    assert "already (Default-Services-Monitor)" in result.detail
    assert result.fix == f"set baseline.anomaly_monitor_arn: {arn} in environments/dev.yaml"

    subscribed = _with_baseline(dev, anomaly_monitor_arn=arn)
    (result,) = _Stubbed(subscribed, aws, {"ce": _stub("ce", "get_anomaly_monitors", monitors)}).cost_anomaly()
    assert not result.failed and result.detail == f"subscribing to {arn}"


def test_a_new_accounts_lambda_quota_refuses_reservations(aws):
    (dev,) = load_environments(["dev"])
    settings = {"AccountLimit": {"ConcurrentExecutions": 10}, "AccountUsage": {}}
    (result,) = _Stubbed(dev, aws, {"lambda": _stub("lambda", "get_account_settings", settings)}).lambda_concurrency()
    assert result.failed
    assert "quota is 10; reserving 8 would leave less than the 10 Lambda keeps unreserved" in result.detail
    assert "--quota-code L-B99A9384" in result.fix
    assert "set compute.processor_reserved_concurrency: null in environments/dev.yaml" in result.fix

    settings = {"AccountLimit": {"ConcurrentExecutions": 1000}, "AccountUsage": {}}
    (result,) = _Stubbed(dev, aws, {"lambda": _stub("lambda", "get_account_settings", settings)}).lambda_concurrency()
    assert not result.failed


def test_what_the_environment_made_itself_is_not_a_conflict(aws, local):
    """A second deploy finds the document and the role that its own baseline made: not a problem."""
    stack = "local-baseline-us-east-2"
    aws.client("ssm", region_name="us-east-2").create_document(
        Name="SSM-SessionManagerRunShell",
        Content='{"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {}}',
        DocumentType="Session",
        DocumentFormat="JSON",
        Tags=[{"Key": "Stack", "Value": stack}],
    )
    aws.client("iam").create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    s3 = aws.client("s3", region_name="us-east-2")
    s3.create_bucket(Bucket=local.state.bucket, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    state = {
        "resources": [
            {
                "type": "aws_iam_service_linked_role",
                "instances": [{"attributes": {"aws_service_name": "autoscaling.amazonaws.com"}}],
            }
        ]
    }
    s3.put_object(Bucket=local.state.bucket, Key=f"local/{stack}.tfstate", Body=json.dumps(state).encode())
    check = Preflight(local, aws)
    assert [r.line() for r in check.session_documents()] == [
        f"ok   session preferences: us-east-2: SSM-SessionManagerRunShell managed by {stack}"
    ]
    assert [r.line() for r in check.service_linked_roles()] == [
        "ok   service-linked roles: AWSServiceRoleForAutoScaling created by the baseline"
    ]

    # The same role, not in this environment's state: someone else made it, and the baseline would fail.
    s3.delete_object(Bucket=local.state.bucket, Key=f"local/{stack}.tfstate")
    (result,) = check.service_linked_roles()
    assert result.failed and "add autoscaling.amazonaws.com to baseline.adopt_service_linked_roles" in result.fix


def test_make_deploy_can_start_the_emulator_again_after_preflight(capsys):
    """`make deploy ENV=local` runs preflight, then ops deploy, and each calls local_aws.start().
    The health probe used to read /moto-api/data.json, which grew too slow to answer (and broke
    outright after an anonymous iam:GetUser), so the second start declared the live server dead."""
    from scripts import local_aws

    try:
        assert preflight.main(["local"]) == 0
        endpoint = local_aws.endpoint_url()
        credentials = local_aws.credentials_env()
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        )
        iam.get_user()  # what the Terraform provider may call; it broke data.json
        assert local_aws.start() == endpoint  # reused, not refused
        assert preflight.main(["local"]) == 0
    finally:
        local_aws.stop()
    assert "is running but has not answered" not in capsys.readouterr().err
