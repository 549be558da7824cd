"""moto server with the emulator bugs this project hits patched, each named and explained.

scripts/local_aws.py starts this instead of `moto.server` directly. Patches fix the emulator
only; nothing here changes what the stacks ask of AWS.
"""

from __future__ import annotations

import os
import sys


def _patch_s3_delete_marker_dispose() -> None:
    # moto 5.2.5: deleting the versions of a key whose history holds a delete marker calls
    # FakeDeleteMarker.dispose(), which does not exist, and answers HTTP 500. Terraform's S3
    # lock file (use_lockfile) leaves such markers in the versioned state bucket, so emptying
    # that bucket on destroy would retry forever. A delete marker holds no buffer to release.
    from moto.s3.models import FakeDeleteMarker

    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = lambda self, garbage=False: None


def _patch_backup_list_tags_arn() -> None:
    # moto 5.2.5: ListTags reads the ARN as the second-to-last path segment, which is right only
    # with a trailing slash; the Go SDK sends /tags/<arn> without one, so moto answers with the
    # tags of "tags" (none) and every Backup vault and plan shows its default tags as drift.
    from urllib.parse import unquote

    from moto.backup.responses import BackupResponse

    def list_tags(self) -> str:
        import json

        resource_arn = unquote(self.path.split("/tags/", 1)[1].split("?", 1)[0].rstrip("/"))
        return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=resource_arn)})

    BackupResponse.list_tags = list_tags


PATCHES = (_patch_s3_delete_marker_dispose, _patch_backup_list_tags_arn)


# moto ships AWS's managed policies (AmazonSSMManagedInstanceCore, CloudWatchAgentServerPolicy,
# the AWS Backup service policies, ...) but loads them only when asked; every real account has
# them, and attaching one that moto has not loaded fails with NoSuchEntity.
EMULATOR_SETTINGS = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


def main(argv: list[str]) -> None:
    os.environ.update(EMULATOR_SETTINGS)
    for patch in PATCHES:
        patch()
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
