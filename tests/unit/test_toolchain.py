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


def test_inits_sharing_a_plugin_cache_never_overlap(tmp_path, monkeypatch):
    """Terraform re-links the cached provider on every init without a lock file; two at once fail
    with "file exists". Each init holds the cache's lock, warm cache or cold."""
    import threading
    import time

    cache = tmp_path / "real" / "terraform-plugin-cache"
    (cache / "registry.terraform.io").mkdir(parents=True)  # warm-looking
    (tmp_path / "checkout").mkdir()
    (tmp_path / "checkout" / "terraform-plugin-cache").symlink_to(cache)  # a worktree sharing it
    monkeypatch.setattr(toolchain, "PLUGIN_CACHE", tmp_path / "checkout" / "terraform-plugin-cache")
    assert toolchain.init_lock_path() == cache.parent / "terraform-plugin-cache.lock"

    inside, most = [0], [0]
    guard = threading.Lock()

    def fake_run(self, *args, **kwargs):
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.2)
        with guard:
            inside[0] -= 1
        return toolchain.Result(0, "", "")

    monkeypatch.setattr(toolchain.Terraform, "run", fake_run)
    monkeypatch.setattr(toolchain, "terraform_binary", lambda: "terraform")
    stacks = [toolchain.Terraform(tmp_path) for _ in range(4)]
    threads = [threading.Thread(target=tf.init) for tf in stacks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
