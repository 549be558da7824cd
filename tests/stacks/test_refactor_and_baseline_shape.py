"""The refactor app and baseline stacks are compositions: short, and no provider resource made in them.

(tests/stacks/test_stack_shape.py states the rule for every stack file; this holds the files this
change made thin, so they cannot grow back before that rule covers them.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STACKS = Path(__file__).resolve().parents[2] / "stacks"
THIN = ("refactor_app.py", "refactor_monitoring.py", "refactor_data_access.py", "baseline.py")
MAX_LINES = 250
# Outputs, data lookups and the provider/backends are fine in a stack; anything else it imports
# from the bindings would be a resource made outside a module.
ALLOWED = ("cdktf_cdktf_provider_aws.data_", "cdktf_cdktf_provider_aws.provider")


@pytest.mark.parametrize("name", THIN)
def test_stack_file_is_at_most_a_screenful_of_composition(name):
    source = (STACKS / name).read_text()
    assert len(source.splitlines()) <= MAX_LINES, f"stacks/{name}: move what is not composition into modules/"
    imported = [
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cdktf_cdktf_provider_aws")
    ]
    assert [m for m in imported if not m.startswith(ALLOWED)] == [], f"stacks/{name} creates provider resources"
