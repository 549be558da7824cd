"""Document processor: runs for every upload to the documents bucket under `uploads/`.

For each uploaded object it records what the refactor service needs before it touches the
file: size, SHA-256, line count, detected language and encoding, and writes that summary as JSON
to `processed/<key>.json` in the same bucket (encrypted by the bucket's default KMS key). An
object too large or not text is summarised as rejected rather than failing the invocation; any
AWS error propagates, so Lambda retries and finally parks the event in the dead-letter queue.

Logs are plain `logging` records: the function's JSON log format turns them into structured lines.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import urllib.parse
from dataclasses import asdict, dataclass
from typing import Any

logger = logging.getLogger(__name__)
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

UPLOAD_PREFIX = "uploads/"
RESULT_PREFIX = "processed/"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

LANGUAGES = {
    ".py": "python",
    ".go": "go",
    ".js": "javascript",
    ".ts": "typescript",
    ".java": "java",
    ".rb": "ruby",
    ".rs": "rust",
    ".cs": "csharp",
    ".kt": "kotlin",
    ".md": "markdown",
}


@dataclass(frozen=True)
class Summary:
    bucket: str
    key: str
    status: str  # "accepted" or "rejected"
    reason: str | None
    size: int
    sha256: str | None
    lines: int | None
    language: str | None
    version_id: str | None


def summarise(
    *, bucket: str, key: str, body: bytes | None, size: int, max_bytes: int, version_id: str | None
) -> Summary:
    """Pure: what we know about one object. `body` is None when it was too large to read."""
    extension = os.path.splitext(key)[1].lower()
    language = LANGUAGES.get(extension)
    common = {"bucket": bucket, "key": key, "size": size, "language": language, "version_id": version_id}
    if body is None or size > max_bytes:
        return Summary(**common, status="rejected", reason=f"larger than {max_bytes} bytes", sha256=None, lines=None)
    digest = hashlib.sha256(body).hexdigest()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Summary(**common, status="rejected", reason="not UTF-8 text", sha256=digest, lines=None)
    if language is None:
        return Summary(
            **common,
            status="rejected",
            reason=f"unsupported file type {extension or '(none)'}",
            sha256=digest,
            lines=text.count("\n") + (1 if text and not text.endswith("\n") else 0),
        )
    lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    return Summary(**common, status="accepted", reason=None, sha256=digest, lines=lines)


def uploaded_objects(event: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(bucket, key, version) for each ObjectCreated record under uploads/; keys arrive URL-encoded."""
    objects = []
    for record in event.get("Records", []):
        if not record.get("eventName", "").startswith("ObjectCreated:"):
            continue
        s3 = record["s3"]
        key = urllib.parse.unquote_plus(s3["object"]["key"])
        if not key.startswith(UPLOAD_PREFIX):
            logger.info("skipping object outside %s", UPLOAD_PREFIX, extra={"key": key})
            continue
        objects.append((s3["bucket"]["name"], key, s3["object"].get("versionId")))
    return objects


def result_key(key: str) -> str:
    return RESULT_PREFIX + key[len(UPLOAD_PREFIX) :] + ".json"


def process(event: dict[str, Any], *, s3, max_bytes: int) -> list[Summary]:
    summaries = []
    for bucket, key, version_id in uploaded_objects(event):
        selector = {"Bucket": bucket, "Key": key, **({"VersionId": version_id} if version_id else {})}
        head = s3.head_object(**selector)
        size = head["ContentLength"]
        body = s3.get_object(**selector)["Body"].read() if size <= max_bytes else None
        summary = summarise(bucket=bucket, key=key, body=body, size=size, max_bytes=max_bytes, version_id=version_id)
        s3.put_object(
            Bucket=bucket,
            Key=result_key(key),
            Body=json.dumps(asdict(summary), sort_keys=True).encode(),
            ContentType="application/json",
        )
        logger.info("processed document", extra={"key": key, "status": summary.status, "size": size})
        summaries.append(summary)
    return summaries


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    import boto3  # in the Lambda runtime; imported here so unit tests need no AWS setup

    max_bytes = int(os.environ.get("MAX_DOCUMENT_BYTES", DEFAULT_MAX_BYTES))
    summaries = process(event, s3=boto3.client("s3"), max_bytes=max_bytes)
    return {"processed": len(summaries), "rejected": sum(s.status == "rejected" for s in summaries)}
