"""Tools the project installs are found where it puts them, and missing means an error, not a skip."""

from __future__ import annotations

import pytest

from scripts import toolchain


@pytest.mark.parametrize("name", sorted(toolchain.PROJECT_TOOLS))
def test_every_project_tool_is_installed_where_the_makefile_puts_it(name):
    assert toolchain.project_tool(name).endswith(f"/bin/{name}")


def test_a_missing_project_tool_is_an_error_naming_the_fix(tmp_path, monkeypatch):
    monkeypatch.setitem(toolchain.PROJECT_TOOLS, "shellcheck", (tmp_path / "shellcheck", "make actionlint"))
    with pytest.raises(toolchain.ToolchainError, match=r"shellcheck is not installed at .*: run `make actionlint`"):
        toolchain.project_tool("shellcheck")
