"""modules/lambda_function.py: the optional S3 trigger of a PythonFunction."""

from __future__ import annotations

from modules.lambda_function import FUNCTIONS_DIR, PythonFunction, S3Trigger
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
