"""modules/lambda_function.py: the reproducible package, the hardened PythonFunction and its optional
S3 trigger."""

from __future__ import annotations

import zipfile

import pytest
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from modules.lambda_function import FUNCTIONS_DIR, PythonFunction, S3Trigger, build_zip
from tests.helpers import ACCOUNT, KEY, of_type, synth

BUCKET_ARN = "arn:aws:s3:::docs-111111111111"


def _function(stack, *, s3_trigger: S3Trigger | None = None) -> PythonFunction:
    return PythonFunction(
        stack,
        "processor",
        function_name="unit-processor",
        source_dir=FUNCTIONS_DIR / "document_processor",
        handler="handler.lambda_handler",
        kms_key_arn=KEY,
        log_retention_days=30,
        s3_trigger=s3_trigger,
    )


TRIGGER = S3Trigger(
    bucket_name="docs-111111111111",
    bucket_arn=BUCKET_ARN,
    bucket_account_id=ACCOUNT,
    statement_id="AllowDocsUploads",
    filter_prefix="uploads/",
)


def test_uploads_invoke_the_function_through_a_permission_scoped_to_the_bucket_and_its_account():
    out = synth(lambda s: _function(s, s3_trigger=TRIGGER))
    (permission_id, permission), *_ = of_type(out, "aws_lambda_permission").items()
    assert permission["principal"] == "s3.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["statement_id"] == "AllowDocsUploads"
    # Bucket ARNs name no account: source_account keeps another account's same-named bucket out.
    assert (permission["source_arn"], permission["source_account"]) == (BUCKET_ARN, ACCOUNT)
    assert permission["function_name"].startswith("${aws_lambda_function.")

    (notification,) = of_type(out, "aws_s3_bucket_notification").values()
    assert notification["bucket"] == "docs-111111111111"
    (target,) = notification["lambda_function"]
    assert target["events"] == ["s3:ObjectCreated:*"] and target["filter_prefix"] == "uploads/"
    assert target["lambda_function_arn"].startswith("${aws_lambda_function.") and target[
        "lambda_function_arn"
    ].endswith(".arn}")
    # S3 validates the destination when the configuration is written: the permission must exist first.
    assert notification["depends_on"] == [f"aws_lambda_permission.{permission_id}"]


def test_without_a_trigger_nothing_may_invoke_it_from_s3():
    out = synth(_function)
    assert of_type(out, "aws_lambda_permission") == {}
    assert of_type(out, "aws_s3_bucket_notification") == {}


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
