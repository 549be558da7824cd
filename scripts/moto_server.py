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


PATCHES = (_patch_s3_delete_marker_dispose,)


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
