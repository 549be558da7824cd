"""One name in code for the workload that refactors code: `refactor`. Its two deployed spellings live in one
constant each (environments/schema/types.py) and nowhere else, so neither can drift or be renamed
by accident in one place only."""

from __future__ import annotations

import re

from environments.schema import PROJECT_TAG, REFACTOR_PARAMETER_PATH
from tests.helpers import REPO_ROOT

SOURCES = ("environments", "modules", "stacks", "functions", "policies", "scripts")
CONSTANTS_FILE = REPO_ROOT / "environments" / "schema" / "types.py"
# The REST API's description is deployed text (modules/rest_api.py says why it stays).
DEPLOYED_DESCRIPTION = "the code refactoring service"


def _files():
    for top in SOURCES:
        for path in sorted((REPO_ROOT / top).rglob("*")):
            if path.suffix in {".py", ".yaml", ".yml"} and "tests" not in path.parts:
                yield path


def test_the_deployed_spellings_are_unchanged(environments):
    # These values are live in AWS: a change here renames a parameter or retags every resource.
    assert REFACTOR_PARAMETER_PATH == "code-refactor"
    assert PROJECT_TAG == "code-refactor-platform"
    assert {env.default_tags()["Project"] for env in environments.values()} == {"code-refactor-platform"}


def test_deployed_spellings_are_written_only_in_their_constants():
    spelled_out = [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for path in _files()
        if path != CONSTANTS_FILE
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "code-refactor" in line
    ]
    assert spelled_out == [], "use REFACTOR_PARAMETER_PATH / PROJECT_TAG from environments.schema"


def test_code_calls_it_the_refactor_service():
    other_names = re.compile(r"refactoring (service|workload)", re.IGNORECASE)
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in [*_files(), *sorted((REPO_ROOT / "tests").rglob("*.py"))]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if other_names.search(line.replace(DEPLOYED_DESCRIPTION, ""))
    ]
    assert found == [], "say `refactor service`"
