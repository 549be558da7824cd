"""Backup plans (copy into the DR vault) and packaged Python functions."""

from __future__ import annotations

import zipfile

import pytest
from cdktf_cdktf_provider_aws.backup_plan import BackupPlan as BackupPlanResource
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from modules.backup import BackupPlan, BackupVault
from modules.lambda_function import PythonFunction, build_zip
from tests.helpers import KEY, synth


def _plan(scope, **kwargs):
    vault = BackupVault(scope, "vault", name="v", kms_key_arn=KEY)
    dr = BackupVault(scope, "dr", name="v-dr", kms_key_arn=KEY)
    settings = {"name": "p", "vault": vault, "schedule": "cron(0 3 * * ? *)", "retention_days": 30, "copy_to": dr}
    return BackupPlan(scope, "plan", **(settings | kwargs))


def test_backup_plan_copies_every_recovery_point_to_the_dr_vault():
    out = synth(lambda s: _plan(s, resources=["arn:aws:rds:us-east-2:111111111111:cluster:c"]))
    (plan,) = out["resource"][BackupPlanResource.TF_RESOURCE_TYPE].values()
    (rule,) = plan["rule"]
    assert rule["lifecycle"] == {"delete_after": 30}
    (copy,) = rule["copy_action"]
    assert (
        copy["destination_vault_arn"].startswith("${aws_backup_vault.dr_vault_")
        and copy["lifecycle"]["delete_after"] == 30
    )
    (selection,) = out["resource"][BackupSelection.TF_RESOURCE_TYPE].values()
    assert selection["resources"] == ["arn:aws:rds:us-east-2:111111111111:cluster:c"]


def test_backup_plan_selects_by_tag_without_a_copy():
    out = synth(lambda s: _plan(s, copy_to=None, retention_days=7, selection_tags={"Backup": "daily"}))
    (plan,) = out["resource"][BackupPlanResource.TF_RESOURCE_TYPE].values()
    assert "copy_action" not in plan["rule"][0]
    (selection,) = out["resource"][BackupSelection.TF_RESOURCE_TYPE].values()
    assert selection["selection_tag"] == [{"type": "STRINGEQUALS", "key": "Backup", "value": "daily"}]


def test_backup_plan_that_selects_nothing_is_refused():
    with pytest.raises(ValueError, match="selects nothing"):
        synth(lambda s: _plan(s))


@pytest.fixture
def source(tmp_path):
    src = tmp_path / "fn"
    (src / "tests").mkdir(parents=True)
    (src / "handler.py").write_text("def handler(event, context):\n    return event\n")
    (src / "tests" / "test_handler.py").write_text("def test(): pass\n")
    return src


def test_zip_is_reproducible_and_leaves_tests_out(source, tmp_path):
    first = build_zip(source, tmp_path / "a.zip")
    (source / "handler.py").touch()  # a new mtime must not change the package
    assert build_zip(source, tmp_path / "b.zip") == first
    assert zipfile.ZipFile(tmp_path / "a.zip").namelist() == ["handler.py"]
    (source / "handler.py").write_text("def handler(event, context):\n    return None\n")
    assert build_zip(source, tmp_path / "c.zip") != first


def test_function_is_traced_logs_json_encrypts_and_has_a_dead_letter_queue(source):
    out = synth(
        lambda s: PythonFunction(
            s,
            "fn",
            function_name="dev-worker",
            source_dir=source,
            handler="handler.handler",
            kms_key_arn=KEY,
            log_retention_days=30,
            subnet_ids=["subnet-1"],
            security_group_ids=["sg-1"],
            reserved_concurrency=5,
        )
    )
    (fn,) = out["resource"][LambdaFunction.TF_RESOURCE_TYPE].values()
    assert fn["tracing_config"] == {"mode": "Active"}
    assert fn["logging_config"]["log_format"] == "JSON"
    assert fn["kms_key_arn"] == KEY and fn["reserved_concurrent_executions"] == 5
    assert fn["vpc_config"] == {"subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"]}
    assert fn["dead_letter_config"]["target_arn"].startswith("${aws_sqs_queue.")
    assert fn["filename"].startswith("assets/") and fn["source_code_hash"]
    (dlq,) = out["resource"][SqsQueue.TF_RESOURCE_TYPE].values()
    assert dlq["kms_master_key_id"] == KEY


def test_function_in_a_vpc_needs_a_security_group(source):
    with pytest.raises(ValueError, match="security_group_ids"):
        synth(
            lambda s: PythonFunction(
                s,
                "fn",
                function_name="f",
                source_dir=source,
                handler="h.h",
                kms_key_arn=KEY,
                log_retention_days=7,
                subnet_ids=["subnet-1"],
            )
        )
