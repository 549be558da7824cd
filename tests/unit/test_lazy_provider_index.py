"""The jsii kernel's node process loads @cdktf/provider-aws's resource modules on first use
(scripts/lazy_provider_index.js), not all 2,123 when the assembly loads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

HOOK = REPO_ROOT / "scripts" / "lazy_provider_index.js"
NODE = shutil.which("node")  # the jsii runtime's own requirement, installed with the project


def _package(root: Path, modules: int) -> Path:
    """An index.js shaped like the bindings' (`exports.x = require("./x");`), each module counting
    its own load."""
    lib = root / "node_modules" / "@cdktf" / "provider-aws" / "lib"
    lines = ['"use strict";', 'Object.defineProperty(exports, "__esModule", { value: true });']
    for i in range(modules):
        (lib / f"resource-{i}").mkdir(parents=True)
        (lib / f"resource-{i}" / "index.js").write_text(
            f"globalThis.loaded = (globalThis.loaded || 0) + 1; exports.Resource{i} = class Resource{i} {{}};\n"
        )
        lines.append(f'exports.resource{i} = require("./resource-{i}");')
    (lib / "index.js").write_text("\n".join(lines) + "\n")
    return lib / "index.js"


def _load(index: Path, *, hook: bool) -> dict:
    script = (
        f"const p = require({json.dumps(str(index))}); const before = globalThis.loaded || 0; "
        "const name = p.resource7.Resource7.name; "
        "console.log(JSON.stringify({before, after: globalThis.loaded || 0, name, keys: Object.keys(p).length}));"
    )
    argv = [NODE, *(["--require", str(HOOK)] if hook else []), "-e", script]
    # Not the NODE_OPTIONS this test process got from conftest's lazy_bindings.install().
    env = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"}
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def test_the_provider_index_loads_a_resource_module_only_when_it_is_used(tmp_path):
    assert NODE, "node is not installed: the jsii runtime (and so every synth) needs it"
    index = _package(tmp_path, 120)
    assert _load(index, hook=False) == {"before": 120, "after": 120, "name": "Resource7", "keys": 120}
    # Every export is still there, by the same name; only the one used is loaded.
    assert _load(index, hook=True) == {"before": 0, "after": 1, "name": "Resource7", "keys": 120}


def test_an_index_of_another_shape_loads_untouched(tmp_path):
    index = _package(tmp_path, 20)  # fewer lines than any bindings release: not the file it knows
    assert _load(index, hook=True)["before"] == 20


def test_install_hands_the_hook_to_the_kernel_and_eager_mode_takes_it_back():
    code = (
        "import os, sys; from scripts import lazy_bindings; "
        "first = lazy_bindings.install(); hooked = os.environ.get('NODE_OPTIONS', ''); "
        "os.environ['CDKTF_EAGER_BINDINGS'] = '1'; lazy_bindings.install(); "
        "print(first, 'lazy_provider_index.js' in hooked, 'keep-me' in hooked, repr(os.environ.get('NODE_OPTIONS')))"
    )
    env = {k: v for k, v in os.environ.items() if k != "CDKTF_EAGER_BINDINGS"}
    env["NODE_OPTIONS"] = "--max-http-header-size=16384 --title=keep-me"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split() == ["True", "True", "True", "'--max-http-header-size=16384", "--title=keep-me'"]
