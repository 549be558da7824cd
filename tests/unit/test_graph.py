"""The stack graph runner (scripts/graph.py) on stand-in actions: order, limits, failures."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from scripts import graph, toolchain

# a -> b -> c, a -> d, a -> e -> f  (upstreams on the right of each arrow's tail)
DEPS = {"a": set(), "b": {"a"}, "c": {"b"}, "d": {"a"}, "e": {"a"}, "f": {"e"}}
ORDER = ["a", "b", "c", "d", "e", "f"]


def test_a_failing_stack_in_the_middle_skips_only_its_dependents(capsys):
    ran: list[str] = []

    def action(name: str) -> str:
        ran.append(name)
        if name == "b":
            raise RuntimeError("planted failure")
        return graph.OK

    run = graph.run(ORDER, DEPS, action, jobs=3)
    statuses = {n: o.status for n, o in run.outcomes.items()}
    assert statuses == {"a": "ok", "b": "FAILED", "c": "skipped", "d": "ok", "e": "ok", "f": "ok"}
    assert "c" not in ran and sorted(ran) == ["a", "b", "d", "e", "f"]
    assert run.exit_code() == 1
    out = capsys.readouterr().out
    assert "[b] error: planted failure" in out
    assert "[c] skipped because b FAILED" in out
    table = run.table("deploy test")
    assert "exit 1: something failed" in table
    for name in ORDER:  # every stack has a row
        assert f"\n  {name} " in table


def test_a_failed_stacks_row_carries_terraforms_error_line():
    """The table is the last thing a long run prints: its row must say why, not only FAILED."""

    def action(name: str) -> str:
        if name == "d":
            raise RuntimeError(
                "terraform apply failed for d (exit 1); full log: x.log\n\n"
                "│ Error: creating S3 Bucket (b): operation error S3: CreateBucket, StatusCode: 500\n│"
            )
        return graph.OK

    run = graph.run(ORDER, DEPS, action, jobs=2)
    (row,) = [line for line in run.table("deploy test").splitlines() if line.startswith("  d ")]
    assert "FAILED" in row and "Error: creating S3 Bucket (b)" in row


def test_stacks_start_when_their_upstreams_are_done_and_never_more_than_jobs():
    lock, live, peak, finished = threading.Lock(), [0], [0], []

    def action(name: str) -> str:
        with lock:
            assert all(up in finished for up in DEPS[name]), name
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        time.sleep(0.3)
        with lock:
            live[0] -= 1
            finished.append(name)
        return graph.OK

    run = graph.run(ORDER, DEPS, action, jobs=2)
    assert run.exit_code() == 0
    assert peak[0] == 2  # b, d, e could all run after a; JOBS=2 held them to two
    assert run.wall < 0.3 * len(ORDER) - 0.2  # faster than one after another


def test_destroy_walks_the_graph_in_reverse():
    finished: list[str] = []
    run = graph.run(ORDER, DEPS, lambda n: finished.append(n) or graph.OK, jobs=4, reverse=True)
    assert run.exit_code() == 0
    assert finished[-1] == "a"
    assert finished.index("c") < finished.index("b") and finished.index("f") < finished.index("e")


def test_drift_is_success_for_dependents_and_exit_2():
    run = graph.run(ORDER, DEPS, lambda n: graph.DRIFT if n == "a" else graph.OK, jobs=2)
    assert all(o.status in graph.SUCCESS for o in run.outcomes.values())
    assert run.exit_code() == 2


def test_lines_of_concurrent_stacks_are_whole_and_prefixed(capsys):
    def action(name: str) -> str:
        for i in range(50):
            print(f"line {i} of", end=" ")
            print(name)
        return graph.OK

    graph.run(["x", "y", "z"], {}, action, jobs=3)
    body = [line for line in capsys.readouterr().out.splitlines() if " of " in line]
    assert len(body) == 150
    for line in body:
        prefix, rest = line.split("] ", 1)
        assert rest.endswith(prefix.lstrip("[")), line


def test_stacks_off_the_longest_chain_run_their_tools_at_a_lower_cpu_priority(capsys):
    """a > b > c and a > e > f are the longest chains; d waits on a and nothing waits on d."""

    def niceness_of_a_tool_started_by(name: str) -> str:
        probe = [sys.executable, "-c", "import os; print(os.nice(0))"]
        print(subprocess.run(toolchain.prioritized(probe), capture_output=True, text=True, check=True).stdout.strip())
        return graph.OK

    own = os.nice(0)
    graph.run(ORDER, DEPS, niceness_of_a_tool_started_by, jobs=3)
    out = capsys.readouterr().out
    reports = [line[1:].split("] ", 1) for line in out.splitlines() if line.startswith("[")]
    seen = {name: int(said) for name, said in reports if said.isdigit()}
    lowered = min(own + graph.OFF_CHAIN_NICENESS, 19)
    assert seen == {"a": own, "b": own, "c": own, "d": lowered, "e": own, "f": own}
    assert f"[d] started (after a); off the longest chain, at nice +{graph.OFF_CHAIN_NICENESS}" in out
    assert "[b] started (after a)\n" in out
    # Outside a lowered stack, a tool runs as the caller does.
    assert toolchain.prioritized(["terraform", "plan"]) == ["terraform", "plan"]


def test_ready_stacks_start_longest_chain_first_and_without_edges_none_is_lowered():
    started: list[str] = []
    graph.run(ORDER, DEPS, lambda n: started.append(n) or graph.OK, jobs=1)
    assert started == ["a", "b", "e", "c", "d", "f"]  # after a: b and e have a stack after them, d not
    lengths, on_chain = graph.chain_first({name: set() for name in ORDER})  # plan and drift
    assert on_chain == set(ORDER) and set(lengths.values()) == {1}


def test_longest_chain_is_the_heaviest_path():
    run = graph.Run(order=ORDER, deps=DEPS, jobs=2)
    seconds = {"a": 1, "b": 2, "c": 3, "d": 10, "e": 1, "f": 1}
    run.outcomes = {n: graph.Outcome(graph.OK, seconds[n]) for n in ORDER}
    assert run.longest_chain() == (11, ["a", "d"])


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_bad_jobs_value_is_refused_plainly(monkeypatch, value):
    monkeypatch.setenv("JOBS", value)
    with pytest.raises(SystemExit, match=r"JOBS=.*whole number"):
        graph.jobs()
    monkeypatch.delenv("JOBS")
    assert graph.jobs() == graph.DEFAULT_JOBS
