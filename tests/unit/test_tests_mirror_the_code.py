"""Tests mirror the code (issue 13): a module's tests are in tests/unit/modules/test_<module>.py, one
file per module, so a reader who opens modules/x.py finds its tests without searching batch files.

Batch files that tested several constructs each (test_constructs.py, test_data_constructs.py,
test_refactor_constructs.py, ...) had spread one module's tests over several files.
"""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest
from constructs import Construct

from tests.helpers import REPO_ROOT

MODULES_DIR = REPO_ROOT / "modules"
UNIT_DIR = REPO_ROOT / "tests" / "unit"
MODULE_TESTS_DIR = UNIT_DIR / "modules"

# Test files under tests/unit/modules/ that check a rule across modules instead of one module.
CROSS_MODULE_TESTS = {"test_module_names.py"}


def _module_names() -> list[str]:
    return sorted(p.stem for p in MODULES_DIR.glob("*.py") if p.stem != "__init__")


def _constructs_of(module: str) -> set[str]:
    """Construct classes defined in modules/<module>.py (not those it imports)."""
    loaded = importlib.import_module(f"modules.{module}")
    return {
        name
        for name, obj in vars(loaded).items()
        if inspect.isclass(obj) and issubclass(obj, Construct) and obj.__module__ == loaded.__name__
    }


def _imports_from_modules(path) -> list[tuple[str, str]]:
    """(module, name) for every `from modules.<module> import <name>` in a file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("modules."):
            found += [(node.module.removeprefix("modules."), alias.name) for alias in node.names]
    return found


def _module_test_files() -> list:
    return sorted(p for p in MODULE_TESTS_DIR.glob("test_*.py") if p.name not in CROSS_MODULE_TESTS)


@pytest.mark.parametrize("path", _module_test_files(), ids=lambda p: p.name)
def test_each_module_test_file_is_named_after_a_module_and_tests_it(path):
    module = path.stem.removeprefix("test_")
    assert (MODULES_DIR / f"{module}.py").is_file(), (
        f"{path.relative_to(REPO_ROOT)}: no modules/{module}.py; name the file after the module it tests "
        f"or list it in CROSS_MODULE_TESTS"
    )
    assert module in {m for m, _ in _imports_from_modules(path)}, f"{path.name} never imports modules.{module}"


@pytest.mark.parametrize("module", [m for m in _module_names() if _constructs_of(m)])
def test_every_construct_module_has_its_own_test_file(module):
    assert (MODULE_TESTS_DIR / f"test_{module}.py").is_file(), (
        f"modules/{module}.py defines {sorted(_constructs_of(module))} but tests/unit/modules/test_{module}.py "
        "does not exist"
    )


def test_no_construct_is_tested_outside_its_modules_test_file():
    """Construct tests directly under tests/unit (outside tests/unit/modules/) are the batch files this
    layout replaced; a plain helper such as modules.user_data's render may still be used there."""
    misplaced = [
        f"{path.relative_to(REPO_ROOT)} imports {name} from modules.{module}"
        for path in sorted(UNIT_DIR.glob("test_*.py"))
        for module, name in _imports_from_modules(path)
        if name in _constructs_of(module)
    ]
    assert not misplaced, "move these tests into tests/unit/modules/test_<module>.py:\n" + "\n".join(misplaced)
