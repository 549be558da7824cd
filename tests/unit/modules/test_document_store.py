"""modules/document_store.py: DocumentStore, the documents bucket and its optional DR replica."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import S3BucketReplicationConfigurationA

from environments.schema import DocumentsConfig
from modules.document_store import DocumentStore
from tests.helpers import KEY, synth


def test_document_store_without_replication_has_no_dr_bucket():
    out = synth(
        lambda s: DocumentStore(
            s,
            "docs",
            name="docs",
            account_id="111111111111",
            config=DocumentsConfig(replication=False),
            kms_key_arn=KEY,
        )
    )
    assert S3BucketReplicationConfigurationA.TF_RESOURCE_TYPE not in out["resource"]
    assert len(out["resource"]["aws_s3_bucket"]) == 2  # documents + access logs


def test_document_store_replication_needs_a_dr_region():
    with pytest.raises(ValueError, match="dr_provider"):
        synth(
            lambda s: DocumentStore(
                s, "docs", name="docs", account_id="1", config=DocumentsConfig(replication=True), kms_key_arn=KEY
            )
        )
