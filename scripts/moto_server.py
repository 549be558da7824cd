"""moto server with the emulator bugs this project hits patched, each named and explained.

scripts/local_aws.py starts this instead of `moto.server` directly. Patches fix the emulator
only; nothing here changes what the stacks ask of AWS.
"""

from __future__ import annotations

import sys


def _patch_s3_delete_marker_dispose() -> None:
    # moto 5.2.5: deleting the versions of a key whose history holds a delete marker calls
    # FakeDeleteMarker.dispose(), which does not exist, and answers HTTP 500. Terraform's S3
    # lock file (use_lockfile) leaves such markers in the versioned state bucket, so emptying
    # that bucket on destroy would retry forever. A delete marker holds no buffer to release.
    from moto.s3.models import FakeDeleteMarker

    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = lambda self, garbage=False: None


def _patch_ec2_ebs_default_kms_key_reads() -> None:
    # moto 5.2.5 implements ModifyEbsDefaultKmsKeyId but not GetEbsDefaultKmsKeyId nor
    # ResetEbsDefaultKmsKeyId: aws_ebs_default_kms_key (baseline stack) reads the first after every
    # apply and calls the second on destroy, and gets HTTP 500 until Terraform gives up. AWS answers
    # with the aws/ebs key while no customer key is set; so does this.
    from moto.core.responses import ActionResult
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    def get_ebs_default_kms_key_id(self) -> ActionResult:
        backend = self.ec2_backend
        return ActionResult({"KmsKeyId": backend.default_kms_key_id or backend._create_default_encryption_key()})

    def reset_ebs_default_kms_key_id(self) -> ActionResult:
        self.ec2_backend.default_kms_key_id = ""
        return ActionResult({"KmsKeyId": self.ec2_backend._create_default_encryption_key()})

    for method in (get_ebs_default_kms_key_id, reset_ebs_default_kms_key_id):
        if not hasattr(ElasticBlockStore, method.__name__):
            setattr(ElasticBlockStore, method.__name__, method)


PATCHES = (_patch_s3_delete_marker_dispose, _patch_ec2_ebs_default_kms_key_reads)


def main(argv: list[str]) -> None:
    for patch in PATCHES:
        patch()
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
