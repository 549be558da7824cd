"""The document processor against a stubbed S3 client (botocore's Stubber checks every call's
parameters against the real S3 API model, so a wrong parameter name fails here)."""

from __future__ import annotations

import hashlib
import io
import json

import boto3
import handler
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

BUCKET = "dev-refactor-documents"


def _event(*keys: str, event_name: str = "ObjectCreated:Put") -> dict:
    return {
        "Records": [
            {"eventName": event_name, "s3": {"bucket": {"name": BUCKET}, "object": {"key": key, "versionId": "v1"}}}
            for key in keys
        ]
    }


def _body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


@pytest.fixture
def s3():
    # Stubbed: no request leaves the process, so the credentials are never used.
    client = boto3.client("s3", region_name="us-east-2", aws_access_key_id="x", aws_secret_access_key="x")  # noqa: S106
    written: list[dict] = []
    client.meta.events.register("provide-client-params.s3.PutObject", lambda params, **_: written.append(dict(params)))
    with Stubber(client) as stub:
        yield client, stub, written
        stub.assert_no_pending_responses()


def test_upload_is_summarised_and_the_summary_written_under_processed(s3):
    client, stub, written = s3
    source = b"def f():\n    return 1\n"
    key = "uploads/team a/main.py"
    selector = {"Bucket": BUCKET, "Key": key, "VersionId": "v1"}
    stub.add_response("head_object", {"ContentLength": len(source)}, selector)
    stub.add_response("get_object", {"Body": _body(source)}, selector)
    stub.add_response(
        "put_object",
        {},
        {"Bucket": BUCKET, "Key": "processed/team a/main.py.json", "Body": ANY, "ContentType": "application/json"},
    )

    # S3 event keys arrive URL-encoded ("+" for a space).
    (summary,) = handler.process(_event("uploads/team+a/main.py"), s3=client, max_bytes=1024)

    assert (summary.status, summary.language, summary.lines) == ("accepted", "python", 2)
    assert summary.sha256 == hashlib.sha256(source).hexdigest()
    stored = json.loads(written[0]["Body"])
    assert stored["key"] == key and stored["status"] == "accepted" and stored["version_id"] == "v1"


def test_large_object_is_rejected_without_being_downloaded(s3):
    client, stub, written = s3
    selector = {"Bucket": BUCKET, "Key": "uploads/big.py", "VersionId": "v1"}
    stub.add_response("head_object", {"ContentLength": 2048}, selector)
    # No get_object response is queued: a download attempt would fail the test.
    stub.add_response(
        "put_object",
        {},
        {"Bucket": BUCKET, "Key": "processed/big.py.json", "Body": ANY, "ContentType": "application/json"},
    )

    (summary,) = handler.process(_event("uploads/big.py"), s3=client, max_bytes=1024)

    assert summary.status == "rejected" and summary.reason == "larger than 1024 bytes" and summary.sha256 is None
    assert json.loads(written[0]["Body"])["status"] == "rejected"


def test_aws_errors_propagate_so_lambda_retries_and_dead_letters(s3):
    client, stub, _ = s3
    stub.add_client_error("head_object", service_error_code="403", http_status_code=403)
    with pytest.raises(client.exceptions.ClientError):
        handler.process(_event("uploads/a.py"), s3=client, max_bytes=1024)


def test_only_object_created_events_under_uploads_are_processed():
    event = _event("uploads/a.py", "processed/a.py.json", "other/b.go")
    event["Records"].append(_event("uploads/c.py", event_name="ObjectRemoved:Delete")["Records"][0])
    assert handler.uploaded_objects(event) == [(BUCKET, "uploads/a.py", "v1")]


@pytest.mark.parametrize(
    ("key", "body", "status", "reason", "lines"),
    [
        ("uploads/x.go", b"package main\nfunc main() {}", "accepted", None, 2),
        ("uploads/x.py", b"", "accepted", None, 0),
        ("uploads/x.bin", b"\xff\xfe\x00", "rejected", "not UTF-8 text", None),
        ("uploads/notes", b"hello\n", "rejected", "unsupported file type (none)", 1),
    ],
)
def test_summarise_classifies_content(key, body, status, reason, lines):
    summary = handler.summarise(bucket=BUCKET, key=key, body=body, size=len(body), max_bytes=100, version_id=None)
    assert (summary.status, summary.reason, summary.lines) == (status, reason, lines)


def test_handler_reports_counts_and_reads_its_limit_from_the_environment(s3, monkeypatch):
    client, stub, _ = s3
    monkeypatch.setenv("MAX_DOCUMENT_BYTES", "3")
    monkeypatch.setattr(boto3, "client", lambda service: client)
    stub.add_response(
        "head_object", {"ContentLength": 10}, {"Bucket": BUCKET, "Key": "uploads/a.py", "VersionId": "v1"}
    )
    stub.add_response(
        "put_object",
        {},
        {"Bucket": BUCKET, "Key": "processed/a.py.json", "Body": ANY, "ContentType": "application/json"},
    )
    assert handler.lambda_handler(_event("uploads/a.py"), None) == {"processed": 1, "rejected": 1}
