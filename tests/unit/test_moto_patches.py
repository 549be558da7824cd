"""The emulator patches in scripts/moto_server.py, exercised in-process against moto."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from scripts import moto_server

REGION = "us-east-2"


@pytest.fixture(scope="module", autouse=True)
def patched():
    for patch in moto_server.PATCHES:
        patch()


@mock_aws
def test_serverless_v2_cluster_has_no_v1_block_and_instances_keep_performance_insights():
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_cluster(
        DBClusterIdentifier="c",
        Engine="aurora-postgresql",
        MasterUsername="u",
        ManageMasterUserPassword=True,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )
    rds.create_db_instance(
        DBInstanceIdentifier="i",
        DBClusterIdentifier="c",
        Engine="aurora-postgresql",
        DBInstanceClass="db.serverless",
        EnablePerformanceInsights=True,
        PerformanceInsightsKMSKeyId="arn:aws:kms:us-east-2:123456789012:key/k",
        PerformanceInsightsRetentionPeriod=7,
    )
    cluster = rds.describe_db_clusters(DBClusterIdentifier="c")["DBClusters"][0]
    assert "ScalingConfigurationInfo" not in cluster
    assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 2.0}
    instance = rds.describe_db_instances(DBInstanceIdentifier="i")["DBInstances"][0]
    assert instance["PerformanceInsightsEnabled"] is True
    assert instance["PerformanceInsightsRetentionPeriod"] == 7


@mock_aws
def test_backup_selections_are_stored_returned_and_deleted():
    backup = boto3.client("backup", region_name=REGION)
    plan = backup.create_backup_plan(
        BackupPlan={"BackupPlanName": "p", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "Default"}]}
    )["BackupPlanId"]
    selection = {"SelectionName": "s", "IamRoleArn": "arn:aws:iam::123456789012:role/b", "Resources": ["arn:x"]}
    created = backup.create_backup_selection(BackupPlanId=plan, BackupSelection=selection)
    got = backup.get_backup_selection(BackupPlanId=plan, SelectionId=created["SelectionId"])
    assert got["BackupSelection"]["Resources"] == ["arn:x"]
    assert [s["SelectionName"] for s in backup.list_backup_selections(BackupPlanId=plan)["BackupSelectionsList"]] == [
        "s"
    ]
    backup.delete_backup_selection(BackupPlanId=plan, SelectionId=created["SelectionId"])
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.get_backup_selection(BackupPlanId=plan, SelectionId=created["SelectionId"])


@mock_aws
def test_lambda_keeps_dead_letter_and_logging_config():
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    awslambda = boto3.client("lambda", region_name=REGION)
    awslambda.create_function(
        FunctionName="fn",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-2:123456789012:dlq"},
        LoggingConfig={"LogFormat": "JSON", "LogGroup": "/refactor/fn"},
    )
    config = awslambda.get_function(FunctionName="fn")["Configuration"]
    assert config["DeadLetterConfig"] == {"TargetArn": "arn:aws:sqs:us-east-2:123456789012:dlq"}
    assert config["LoggingConfig"]["LogGroup"] == "/refactor/fn"
    assert config["LoggingConfig"]["LogFormat"] == "JSON"
    awslambda.update_function_configuration(FunctionName="fn", LoggingConfig={"LogFormat": "Text"})
    config = awslambda.get_function_configuration(FunctionName="fn")
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/fn"}


def test_the_embedded_aws_handles_one_request_at_a_time(monkeypatch):
    """Parallel stacks call moto at once; its backends have no locks, so handlers take turns."""
    import threading
    import time

    import moto.server

    from scripts import moto_server

    captured = {}
    monkeypatch.setattr(moto.server, "run_simple", lambda host, port, app, **options: captured.update(app=app))
    moto_server._serialize_requests()
    running, most = [0], [0]

    def slow_app(environ, start_response):
        running[0] += 1
        most[0] = max(most[0], running[0])
        time.sleep(0.05)
        running[0] -= 1
        return [b"ok"]

    moto.server.run_simple("127.0.0.1", 0, slow_app)
    threads = [threading.Thread(target=captured["app"], args=({}, None)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


@mock_aws
def test_a_repeated_lock_put_succeeds_but_another_clients_lock_still_fails():
    """Terraform's DynamoDB lock: the same PutItem sent twice (the client's retry of a put that was
    written) must not turn into "locked by another run"; a different lock on that key must."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="locks",
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ours = {"LockID": {"S": "bucket/stack.tfstate"}, "Info": {"S": '{"ID":"a1","Created":"t1"}'}}
    put = {"TableName": "locks", "ConditionExpression": "attribute_not_exists(LockID)"}
    dynamodb.put_item(Item=ours, **put)
    dynamodb.put_item(Item=ours, **put)  # the repeat: answered as the first was
    theirs = {**ours, "Info": {"S": '{"ID":"b2","Created":"t2"}'}}
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        dynamodb.put_item(Item=theirs, **put)
    stored = dynamodb.get_item(TableName="locks", Key={"LockID": ours["LockID"]})["Item"]
    assert stored == ours


@mock_aws
def test_a_deleted_backup_plans_name_can_be_used_again_but_a_live_ones_cannot():
    """deploy, destroy, deploy against one local AWS: the second deploy re-creates each plan."""
    backup = boto3.client("backup", region_name=REGION)
    plan = {"BackupPlanName": "daily", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "Default"}]}
    first = backup.create_backup_plan(BackupPlan=plan)["BackupPlanId"]
    with pytest.raises(backup.exceptions.AlreadyExistsException):
        backup.create_backup_plan(BackupPlan=plan)
    backup.delete_backup_plan(BackupPlanId=first)
    second = backup.create_backup_plan(BackupPlan=plan)["BackupPlanId"]
    assert second != first
    assert [p["BackupPlanId"] for p in backup.list_backup_plans()["BackupPlansList"]] == [second]
    listed = backup.list_backup_plans(IncludeDeleted=True)["BackupPlansList"]
    assert sorted(p["BackupPlanId"] for p in listed) == sorted([first, second])


def test_a_retried_call_gets_its_first_attempts_answer_and_a_new_call_runs_again(monkeypatch, capfd):
    """The SDK resends a call whose answer it did not read (same invocation id, attempt 2). Run
    again, a CreateSubnet met the subnet its first attempt made (InvalidSubnet.Conflict)."""
    import re

    import moto.server
    from werkzeug.test import Client

    captured = {}
    monkeypatch.setattr(moto.server, "run_simple", lambda host, port, app, **options: captured.update(app=app))
    moto_server._serialize_requests()
    moto.server.run_simple("127.0.0.1", 0, moto.server.DomainDispatcherApplication(moto.server.create_backend_app))
    client = Client(captured["app"])
    scope = "Credential=test/20261203/us-east-2/ec2/aws4_request, SignedHeaders=host, Signature=x"
    headers = {"Authorization": f"AWS4-HMAC-SHA256 {scope}", "Host": "ec2.us-east-2.amazonaws.com"}

    def call(action: str, invocation: str, attempt: int, **params: str):
        sdk = {"amz-sdk-invocation-id": invocation, "amz-sdk-request": f"attempt={attempt}; max=25"}
        body = {"Action": action, "Version": "2016-11-15", **params}
        return client.post("/", data=body, headers={**headers, **sdk})

    vpc = re.search(r"<vpcId>(vpc-\w+)</vpcId>", call("CreateVpc", "v", 1, CidrBlock="10.9.0.0/16").get_data(True))[1]
    first = call("CreateSubnet", "s", 1, VpcId=vpc, CidrBlock="10.9.64.0/20")
    retried = call("CreateSubnet", "s", 2, VpcId=vpc, CidrBlock="10.9.64.0/20")
    assert first.status_code == retried.status_code == 200
    assert retried.get_data() == first.get_data()  # the same subnet, not a second one
    said = "retried attempt 2 of call s (ec2 us-east-2 POST /): answered as its first attempt was (200 OK)"
    assert said in capfd.readouterr().err
    subnets = call("DescribeSubnets", "d", 1, **{"Filter.1.Name": "vpc-id", "Filter.1.Value.1": vpc}).get_data(True)
    assert subnets.count("<subnetId>") == 1
    # Another call with the same parameters is a new call: AWS refuses it, and so does this.
    again = call("CreateSubnet", "s2", 1, VpcId=vpc, CidrBlock="10.9.64.0/20")
    assert again.status_code == 400 and "InvalidSubnet.Conflict" in again.get_data(True)
