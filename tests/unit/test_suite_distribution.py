"""`make test` runs the suite under pytest-xdist; the integration module must stay on one worker.

Its module-scoped fixture deploys the whole local environment, so a module split over N workers
deploys N times at once on a 2-core machine (CI failed that way: `--dist loadgroup` with an
`xdist_group` marker, whose group pytest 9 no longer carries to xdist's scheduler). This runs the
Makefile's own distribution mode on a stand-in module and checks where its tests ran.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from scripts import bench
from scripts.paths import REPO_ROOT
from tests.helpers import SIBLING_NICENESS, yield_cpu_to


def _makefile_dist() -> str:
    (mode,) = re.findall(r"^TEST_DIST := (\S+)$", (REPO_ROOT / "Makefile").read_text(), flags=re.M)
    return mode


def test_make_test_and_bench_use_the_same_distribution():
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert _makefile_dist() == bench.TEST_DIST
    for target in ("test", "test-fast"):
        (recipe,) = re.findall(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
        assert "--dist $(TEST_DIST)" in recipe, target


def test_a_modules_tests_run_on_one_worker_under_the_makefiles_mode(tmp_path: Path):
    (tmp_path / "test_deploy_like.py").write_text(
        "import os, pytest\n"
        "@pytest.mark.parametrize('i', range(6))\n"
        "def test_step(i):\n"
        "    with open(os.path.join(os.path.dirname(__file__), 'workers.txt'), 'a') as f:\n"
        "        f.write(os.environ['PYTEST_XDIST_WORKER'] + '\\n')\n"
    )
    (tmp_path / "test_other.py").write_text(
        "import pytest\n@pytest.mark.parametrize('i', range(12))\ndef test_cpu(i): pass\n"
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "3", "--dist", _makefile_dist()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    workers = (tmp_path / "workers.txt").read_text().split()
    assert len(workers) == 6
    assert len(set(workers)) == 1, f"one module's tests ran on several workers: {sorted(set(workers))}"


def test_make_test_installs_its_independent_tools_at_once():
    """A fresh machine's set-up (pipenv, npm, the checkov, actionlint and host-web venvs, Graphviz)
    was 4.5 minutes one after another and about 1.5 at once: `make test` runs them as one parallel
    sub-make, and the suite itself only after all of them."""
    makefile = (REPO_ROOT / "Makefile").read_text()
    (flags,) = re.findall(r"^INSTALL_AT_ONCE := (.*)$", makefile, flags=re.M)
    assert re.search(r"-j ?[2-9]", flags) and "--output-sync" in flags
    (tools,) = re.findall(r"^TEST_TOOLS := (.*)$", makefile, flags=re.M)
    assert set(tools.split()) == {"setup", "$(ACTIONLINT)", "graphviz", "$(HOST_WEB)"}
    for target, installs in (("test", "$(TEST_TOOLS)"), ("test-fast", "setup graphviz $(HOST_WEB)")):
        (header, recipe) = re.findall(rf"^({target}:.*)\n((?:\t.*\n)+)", makefile, flags=re.M)[0]
        first, *rest = recipe.splitlines()
        assert first == f"\t@$(MAKE) $(INSTALL_AT_ONCE) {installs}", target
        assert "pytest" in rest[-1], target
        # No prerequisite on the target line: make would build those one by one before the recipe.
        assert header.split("##")[0].strip() == f"{target}:", target


def test_the_integration_worker_lowers_only_its_siblings_priority():
    """tests.helpers.yield_cpu_to, as the integration module calls it: the other children of the
    same parent (here: of this process) go to nice 10, the caller keeps its own."""
    children = [subprocess.Popen(["sleep", "30"]) for _ in range(3)]
    try:
        me, *siblings = children
        before = os.getpriority(os.PRIO_PROCESS, me.pid)
        lowered = yield_cpu_to(me.pid, os.getpid())
        assert {c.pid for c in siblings} <= set(lowered) and me.pid not in lowered
        for child in siblings:
            assert os.getpriority(os.PRIO_PROCESS, child.pid) == max(before, SIBLING_NICENESS)
        assert os.getpriority(os.PRIO_PROCESS, me.pid) == before
    finally:
        for child in children:
            child.kill()
            child.wait()
