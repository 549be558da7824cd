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
    monkeypatch.setattr(toolchain, "uses_plugin_cache", lambda: True)  # no mirror: downloads are cached
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


def test_with_an_unpacked_mirror_there_is_no_shared_cache_to_race_on(tmp_path, monkeypatch):
    """Terraform links an unpacked mirror's provider into each stack; a cache would only be shared."""
    mirror = tmp_path / "mirror"
    binary = mirror / "registry.terraform.io" / toolchain.PROVIDER / "5.100.0" / toolchain._platform()
    binary.mkdir(parents=True)
    (binary / "terraform-provider-aws_v5.100.0_x5").write_text("")
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(mirror))
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    monkeypatch.setattr(toolchain, "CLI_CONFIG", tmp_path / "terraform.tfrc")
    toolchain.find_provider_mirror.cache_clear()
    try:
        assert toolchain.find_provider_mirror() == mirror
        assert not toolchain.uses_plugin_cache()
        text = toolchain.write_cli_config().read_text()
        assert "plugin_cache_dir" not in text and f'path    = "{mirror}"' in text
    finally:
        toolchain.find_provider_mirror.cache_clear()


def test_terraform_runs_in_its_own_group_of_the_callers_session_at_the_threads_priority(tmp_path):
    """Its own process group: a terminal's Ctrl-C (sent to the foreground group) reaches only
    Python, which passes one on. The caller's session: on Linux a new session is a new scheduler
    autogroup, in which `nice` ranks a process only against itself, so lowering a stack off the
    longest chain did nothing while each Terraform had a session of its own."""
    import os
    import sys

    tf = toolchain.Terraform(tmp_path, log_dir=tmp_path)
    tf.binary = sys.executable  # a stand-in that reports where it runs
    probe = ("-c", "import os; print(os.getpid(), os.getpgid(0), os.getsid(0), os.nice(0))")
    pid, group, session, niceness = map(int, tf.run(*probe).stdout.split())
    assert group == pid and group != os.getpgid(0)
    assert session == os.getsid(0)
    assert niceness == os.nice(0)
    with toolchain.lower_priority(3):
        assert int(tf.run(*probe).stdout.split()[3]) == min(os.nice(0) + 3, 19)
    assert int(tf.run(*probe).stdout.split()[3]) == os.nice(0)
