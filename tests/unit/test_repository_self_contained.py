"""No committed file points outside the repository: a clone must be all a reader needs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import REPO_ROOT

OUTSIDE = ("../shared", "/work/")
THIS_FILE = Path(__file__).resolve().relative_to(REPO_ROOT).as_posix()


def test_no_committed_file_points_outside_the_repository():
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    offenders = []
    for name in filter(None, listing.decode().split("\0")):
        path = REPO_ROOT / name
        if name == THIS_FILE or not path.is_file() or path.suffix == ".png":
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        offenders += [f"{name}: {marker}" for marker in OUTSIDE if marker in text]
    assert offenders == []
