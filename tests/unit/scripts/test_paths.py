"""Repository paths are derived in one place (scripts/paths.py), which stays import-light."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from scripts import paths

SCRIPTS = Path(paths.__file__).parent
DERIVES = re.compile(
    r"""Path\(__file__\)\.resolve\(\)\.parents|environ(?:\.get)?\(\s*["']CDKTF_(?:BUILD_DIR|OUTDIR)["']"""
)


def test_no_other_script_derives_the_repository_paths():
    derived = sorted(p.name for p in SCRIPTS.glob("*.py") if p.name != "paths.py" and DERIVES.search(p.read_text()))
    assert derived == []


def test_paths_imports_only_the_standard_library_basics():
    tree = ast.parse(Path(paths.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names} | {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }
    assert imported == {"__future__", "os", "pathlib"}


def test_every_reader_agrees_and_the_light_readers_load_no_toolchain(tmp_path):
    code = """
import json, sys
import scripts.synthesized, scripts.local_aws, scripts.manifest
light = "scripts.toolchain" in sys.modules
from scripts import ops, plan_summary, scan, toolchain, local_aws, manifest, synthesized
print(json.dumps({
    "light_loaded_toolchain": light,
    "build": [str(toolchain.BUILD_DIR), str(local_aws.STATE_DIR.parent), str(scan.REPORT_ROOT.parent),
              str(ops.PLAN_ROOT.parent), str(plan_summary.PLAN_ROOT.parent), str(synthesized.PLAN_ROOT.parent)],
    "outdir": str(manifest.OUTDIR),
}))
"""
    env = {"CDKTF_BUILD_DIR": str(tmp_path / "build"), "CDKTF_OUTDIR": str(tmp_path / "out"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=paths.REPO_ROOT, env=env, capture_output=True, text=True, check=True
    )
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["light_loaded_toolchain"] is False
    assert set(seen["build"]) == {str(tmp_path / "build")}
    assert seen["outdir"] == str(tmp_path / "out")
