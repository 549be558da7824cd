"""scripts/lazy_bindings.py answers repeated reads of a resource's attribute getter without a jsii
round trip, and never with a value that could have changed."""

from __future__ import annotations

import json
from pathlib import Path

from cdktf import App, TerraformIterator, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket


def _stack(tmp_path) -> tuple[App, TerraformStack]:
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "reads")
    AwsProvider(stack, "aws", region="us-east-2")
    return app, stack


def _gets(monkeypatch) -> list[str]:
    from jsii._kernel.providers import process

    seen: list[str] = []
    send = process._NodeProcess.send

    def counting(self, request, response_type):
        if type(request).__name__ == "GetRequest":
            seen.append(request.property)
        return send(self, request, response_type)

    monkeypatch.setattr(process._NodeProcess, "send", counting)
    return seen


def test_an_attribute_read_five_times_costs_one_round_trip(tmp_path, monkeypatch):
    _, stack = _stack(tmp_path)
    bucket = S3Bucket(stack, "b", bucket="reads-bucket")
    gets = _gets(monkeypatch)
    arns = {bucket.arn for _ in range(5)}
    assert len(arns) == 1
    assert gets.count("arn") == 1


def test_for_each_set_after_a_read_is_seen_by_the_next_read(tmp_path):
    app, stack = _stack(tmp_path)
    bucket = S3Bucket(stack, "b", bucket="reads-bucket")
    before = bucket.arn
    bucket.for_each = TerraformIterator.from_list(["a", "b"])
    after = bucket.arn
    TerraformOutput(stack, "before", value=before)
    TerraformOutput(stack, "after", value=after)
    app.synth()
    outputs = json.loads((Path(app.outdir) / "stacks" / "reads" / "cdk.tf.json").read_text())["output"]
    assert outputs["before"]["value"] == "${aws_s3_bucket.b.arn}"
    assert outputs["after"]["value"] == "${aws_s3_bucket.b.*.arn}"


def test_configured_values_are_read_afresh(tmp_path, monkeypatch):
    _, stack = _stack(tmp_path)
    bucket = S3Bucket(stack, "b", bucket="first")
    assert bucket.bucket_input == "first"
    bucket.bucket = "second"
    assert bucket.bucket_input == "second"
    gets = _gets(monkeypatch)
    assert bucket.node.id == "b" and bucket.node.id == "b"
    assert gets.count("node") == 2  # cdktf's own getters go to the kernel as before
