"""modules/README.md indexes every module truthfully: its classes, its key arguments, its test."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import re

from tests.helpers import REPO_ROOT

INDEX = REPO_ROOT / "modules" / "README.md"


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in INDEX.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`") and cells[0].endswith(".py`"):
            rows[cells[0].strip("`")] = cells
    return rows


def _names(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_every_module_file_has_a_row():
    files = {p.name for p in (REPO_ROOT / "modules").glob("*.py") if p.name != "__init__.py"}
    assert files == set(_rows()), f"missing: {sorted(files - set(_rows()))}; stale: {sorted(set(_rows()) - files)}"


def test_named_classes_arguments_and_tests_exist():
    problems = []
    for file, (_, callables, _what, arguments, tests) in _rows().items():
        module = importlib.import_module(f"modules.{file[:-3]}")
        objects = []
        for name in _names(callables):
            if not hasattr(module, name):
                problems.append(f"{file}: no {name}")
            else:
                objects.append(getattr(module, name))
        parameters = set()
        for obj in objects:
            targets = [obj.__init__] if inspect.isclass(obj) else [obj]
            if inspect.isclass(obj):
                targets += [m for _, m in inspect.getmembers(obj, inspect.isfunction)]
                parameters |= {n for n, _ in inspect.getmembers(obj, inspect.isfunction)}
                parameters |= set(getattr(obj, "__dataclass_fields__", {}))
            for target in targets:
                with contextlib.suppress(TypeError, ValueError):  # builtins without a signature
                    parameters |= set(inspect.signature(target).parameters)
        for argument in _names(arguments):
            bare = argument.removesuffix("()").removesuffix("(specs)")
            if bare.rstrip("*").rstrip("_") and not any(p.startswith(bare.rstrip("*")) for p in parameters):
                problems.append(f"{file}: no argument or method {argument}")
        for test in _names(tests):
            if not (REPO_ROOT / test).is_file():
                problems.append(f"{file}: no test file {test}")
    assert not problems, "\n".join(problems)
