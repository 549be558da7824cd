"""modules/state_backend.py alone: Terraform's state bucket (under the state key, versioned, private,
TLS-only, logged) and the lock table Terraform's S3 backend takes its lock in."""

from __future__ import annotations

import pytest

from modules.state_backend import StateBackend
from tests.helpers import env_data, of_type, synth


@pytest.fixture(scope="module")
def dev():
    from environments.schema import Environment

    return Environment.model_validate(env_data("dev"))


def _backend(env, **kwargs) -> dict:
    return synth(lambda s: StateBackend(s, "state", env=env, **({"protect": True} | kwargs)))


@pytest.fixture(scope="module")
def out(dev) -> dict:
    return _backend(dev)


def _bucket_id(out: dict, name: str) -> str:
    (found,) = [rid for rid, b in of_type(out, "aws_s3_bucket").items() if b["bucket"] == name]
    return found


def _for_bucket(out: dict, resource_type: str, bucket_id: str) -> dict:
    """The one resource of a type that configures the bucket with this logical id."""
    (found,) = [r for r in of_type(out, resource_type).values() if r["bucket"] == f"${{aws_s3_bucket.{bucket_id}.id}}"]
    return found


def _key_arn(out: dict) -> str:
    ((key_id, key),) = of_type(out, "aws_kms_key").items()
    assert key["enable_key_rotation"] is True
    return f"${{aws_kms_key.{key_id}.arn}}"


def test_state_is_encrypted_by_default_under_the_state_key(dev, out):
    bucket = _bucket_id(out, dev.state.bucket)
    (rule,) = _for_bucket(out, "aws_s3_bucket_server_side_encryption_configuration", bucket)["rule"]
    default = rule["apply_server_side_encryption_by_default"]
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": _key_arn(out)}
    assert rule["bucket_key_enabled"] is True


def test_state_versions_are_kept_as_the_undo_history(dev, out):
    bucket = _bucket_id(out, dev.state.bucket)
    assert _for_bucket(out, "aws_s3_bucket_versioning", bucket)["versioning_configuration"] == {"status": "Enabled"}
    rules = {r["id"]: r for r in _for_bucket(out, "aws_s3_bucket_lifecycle_configuration", bucket)["rule"]}
    assert rules["expire-noncurrent-versions"]["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
    # Only old versions expire: the current state of a stack never does.
    assert not any("expiration" in r for r in rules.values())


def test_both_buckets_block_every_kind_of_public_access(dev, out):
    for name in (dev.state.bucket, f"{dev.state.bucket}-access-logs"):
        block = _for_bucket(out, "aws_s3_bucket_public_access_block", _bucket_id(out, name))
        flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        assert all(block[flag] is True for flag in flags), name


def _policy(out: dict, bucket_id: str) -> dict[str, dict]:
    reference = _for_bucket(out, "aws_s3_bucket_policy", bucket_id)["policy"]
    logical_id = reference.removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
    statements = of_type(out, "aws_iam_policy_document", "data")[logical_id]["statement"]
    return {s["sid"]: s for s in statements}


def test_state_bucket_refuses_requests_without_tls(dev, out):
    bucket = _bucket_id(out, dev.state.bucket)
    tls = _policy(out, bucket)["DenyInsecureTransport"]
    assert tls["effect"] == "Deny" and tls["actions"] == ["s3:*"]
    assert tls["principals"] == [{"type": "AWS", "identifiers": ["*"]}]
    assert tls["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    assert tls["resources"] == [f"${{aws_s3_bucket.{bucket}.arn}}", f"${{aws_s3_bucket.{bucket}.arn}}/*"]


def test_state_bucket_refuses_objects_under_sse_s3_or_another_key(dev, out):
    """Terraform's backend with `encrypt = true` and no kms_key_id sends AES256, which would override
    the bucket default and leave the state key guarding nothing."""
    policy = _policy(out, _bucket_id(out, dev.state.bucket))
    objects = [f"arn:aws:s3:::{dev.state.bucket}/*"]
    sse = policy["DenyStateWithoutKms"]
    assert sse["effect"] == "Deny" and sse["actions"] == ["s3:PutObject"] and sse["resources"] == objects
    assert {"test": "StringNotEquals", "variable": "s3:x-amz-server-side-encryption", "values": ["aws:kms"]} in sse[
        "condition"
    ]
    other_key = policy["DenyStateUnderAnotherKey"]
    assert other_key["effect"] == "Deny" and other_key["resources"] == objects
    assert {
        "test": "StringNotEquals",
        "variable": "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "values": [_key_arn(out)],
    } in other_key["condition"]


def test_the_emulator_may_leave_the_state_key_denies_out(dev):
    out = _backend(dev, enforce_state_key=False)
    policy = _policy(out, _bucket_id(out, dev.state.bucket))
    assert "DenyStateWithoutKms" not in policy and "DenyStateUnderAnotherKey" not in policy
    assert "DenyInsecureTransport" in policy  # TLS-only stays


def test_state_bucket_access_is_logged_to_its_own_log_bucket(dev, out):
    bucket = _bucket_id(out, dev.state.bucket)
    logs = _bucket_id(out, f"{dev.state.bucket}-access-logs")
    logging = _for_bucket(out, "aws_s3_bucket_logging", bucket)
    assert logging["target_bucket"] == f"${{aws_s3_bucket.{logs}.id}}"
    assert len(of_type(out, "aws_s3_bucket_logging")) == 1  # the log bucket does not log into itself


def test_lock_table_is_what_terraforms_s3_backend_expects_and_is_encrypted(dev, out):
    (table,) = of_type(out, "aws_dynamodb_table").values()
    assert table["name"] == dev.state.lock_table
    # The S3 backend's lock item is keyed by a string attribute named exactly LockID.
    assert table["hash_key"] == "LockID" and table["attribute"] == [{"name": "LockID", "type": "S"}]
    assert "range_key" not in table
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["server_side_encryption"] == {"enabled": True, "kms_key_arn": _key_arn(out)}
    assert table["point_in_time_recovery"] == {"enabled": True}


@pytest.mark.parametrize("protect", [True, False])
def test_protection_decides_whether_state_can_be_destroyed(dev, protect):
    out = _backend(dev, protect=protect)
    (table,) = of_type(out, "aws_dynamodb_table").values()
    assert table["deletion_protection_enabled"] is protect
    assert {b["bucket"]: b["force_destroy"] for b in of_type(out, "aws_s3_bucket").values()} == {
        dev.state.bucket: not protect,
        f"{dev.state.bucket}-access-logs": not protect,
    }
