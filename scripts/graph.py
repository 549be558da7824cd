"""Run one action per stack along the dependency graph, several at once.

A stack starts as soon as every stack it depends on has succeeded, with at most JOBS running.
A stack that fails (or finds its state locked, or is interrupted) skips only the stacks that
depend on it, directly or not; the others run to the end. Every line a stack's action prints is
prefixed with `[stack]` and written whole, so concurrent stacks never interleave fragments. The
run ends with a table of every stack's result and time. Stacks on the graph's longest chain come
first: they start first when several are ready, and the others run their tools at a lower CPU
priority (chain_first).

Ctrl-C (SIGINT, and SIGTERM as CI cancels send) is forwarded once per press to the running
Terraform processes (scripts/toolchain.py), which stop at a safe point, persist their state and
release their locks; no new stack starts. Running the same verb again carries on: finished stacks
plan no changes and the interrupted ones pick up from their saved state.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from graphlib import TopologicalSorter

from scripts import toolchain

OK, DRIFT, KEPT = "ok", "drift", "kept"
FAILED, LOCKED, SKIPPED, INTERRUPTED = "FAILED", "LOCKED", "skipped", "interrupted"
NOT_STARTED, RUNNING = "not started", "running"
SUCCESS = {OK, DRIFT, KEPT}

# Four, because the widest level of an environment's graph here is four stacks (after bootstrap:
# the baseline, both networks and edge; then data and TableSleuth), so more would rarely run;
# each stack's Terraform waits on AWS, not the CPU, so 2 cores are not the limit, but each holds
# a Terraform plus an AWS provider process of a few hundred MB while planning.
DEFAULT_JOBS = 4

# How far below the run's own priority the stacks off the longest chain run their Terraform and
# checkov. On 2 cores four stacks' plans and checkov gates compete for the CPU; the chain's stacks
# are what the run waits for, the others have time to spare (see chain_first).
OFF_CHAIN_NICENESS = 5

_interrupts = 0
_interrupted = threading.Event()
_in_run = threading.Event()
_local = threading.local()
_output_lock = threading.RLock()  # re-entrant: the signal handler may print while the main thread holds it


def jobs() -> int:
    raw = os.environ.get("JOBS", "").strip()
    if not raw:
        return DEFAULT_JOBS
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"error: JOBS={raw!r}: give a whole number of stacks to run at once, 1 or more")
    return int(raw)


def interrupted() -> bool:
    return _interrupted.is_set()


def _on_signal(signum, _frame) -> None:
    global _interrupts
    _interrupts += 1
    _interrupted.set()
    signalled = toolchain.forward_interrupt()
    if not _in_run.is_set() and not signalled:
        raise KeyboardInterrupt  # nothing to stop gracefully: behave as Python does by default
    if _interrupts == 1:
        print(
            f"\ninterrupt: asked {signalled} Terraform run(s) to stop at a safe point and release their locks; "
            "no new stack starts. Press Ctrl-C again to make Terraform stop at once (it may then leave "
            "a lock, which the next run names).",
            file=sys.stderr,
            flush=True,
        )


def handle_interrupts() -> None:
    """Install the forwarding handler (main thread only, as Python requires)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)


class _PrefixedStream(io.TextIOBase):
    """Writes from a stack's thread become whole lines prefixed with its name."""

    def __init__(self, target) -> None:
        self.target = target

    def write(self, text: str) -> int:
        prefix = getattr(_local, "prefix", None)
        if prefix is None:
            with _output_lock:
                self.target.write(text)
                self.target.flush()
            return len(text)
        buffers = _local.__dict__.setdefault("buffers", {})
        *lines, buffers[id(self)] = (buffers.get(id(self), "") + text).split("\n")
        if lines:
            with _output_lock:
                self.target.write("".join(f"{prefix}{line}\n" for line in lines))
                self.target.flush()
        return len(text)

    def finish_line(self) -> None:
        rest = getattr(_local, "buffers", {}).pop(id(self), "")
        if rest:
            self.write(rest + "\n")

    def flush(self) -> None:
        self.target.flush()


@dataclass
class Outcome:
    status: str = NOT_STARTED
    seconds: float = 0.0
    start: float = 0.0  # seconds after the run started
    note: str = ""


@dataclass
class Run:
    order: list[str]
    deps: dict[str, set[str]]  # as walked (reversed for destroy)
    jobs: int
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    wall: float = 0.0
    was_interrupted: bool = False

    def named(self, status: str) -> list[str]:
        return [name for name in self.order if self.outcomes[name].status == status]

    def exit_code(self) -> int:
        """130 interrupted, 1 anything failed or skipped, 2 drift only, 0 all well."""
        statuses = {o.status for o in self.outcomes.values()}
        if self.was_interrupted:
            return 130
        if statuses - SUCCESS:
            return 1
        return 2 if DRIFT in statuses else 0

    def longest_chain(self) -> tuple[float, list[str]]:
        """The dependency chain whose stacks' times add up the most: the least a run can take."""
        finish: dict[str, tuple[float, list[str]]] = {}
        for name in TopologicalSorter(self.deps).static_order():
            before = max((finish[d] for d in self.deps[name]), default=(0.0, []))
            finish[name] = (before[0] + self.outcomes[name].seconds, [*before[1], name])
        return max(finish.values(), default=(0.0, []))

    def table(self, title: str) -> str:
        width = max((len(n) for n in self.order), default=5)
        lines = [
            f"\n{title}: {len(self.order)} stack(s), JOBS={self.jobs}",
            f"  {'stack':<{width}}  result       time   start",
        ]
        for name in self.order:
            o = self.outcomes[name]
            ran = o.status not in (SKIPPED, NOT_STARTED)
            times = f"{o.seconds:>6.1f}s {o.start:>6.1f}s" if ran else f"{'-':>7} {'-':>7}"
            lines.append(f"  {name:<{width}}  {o.status:<11} {times}" + (f"  {o.note}" if o.note else ""))
        chain_s, chain = self.longest_chain()
        total = sum(o.seconds for o in self.outcomes.values())
        lines.append(
            f"  wall {self.wall:.1f}s; sum of stacks {total:.1f}s; longest chain {chain_s:.1f}s ({' > '.join(chain)})"
        )
        code = self.exit_code()
        verdict = {0: "all succeeded", 1: "something failed", 2: "drift found", 130: "interrupted"}[code]
        lines.append(f"  exit {code}: {verdict}" + ("; run the same command again to carry on" if code == 130 else ""))
        return "\n".join(lines)

    def as_json(self) -> dict:
        chain_s, chain = self.longest_chain()
        return {
            "jobs": self.jobs,
            "wall_s": round(self.wall, 2),
            "sum_s": round(sum(o.seconds for o in self.outcomes.values()), 2),
            "longest_chain_s": round(chain_s, 2),
            "longest_chain": chain,
            "exit_code": self.exit_code(),
            "stacks": {
                n: {"status": o.status, "seconds": round(o.seconds, 2), "start_s": round(o.start, 2)}
                for n, o in self.outcomes.items()
            },
        }


def _first_error_line(message: str) -> str:
    """Terraform's own `Error: ...` line if there is one, else the message's first line, for the table."""
    lines = [line.strip(" │╷╵") for line in message.splitlines()]
    found = next((line for line in lines if line.startswith("Error:")), lines[0] if lines else "")
    return found if len(found) <= 160 else found[:157] + "..."


def chain_first(deps: dict[str, set[str]]) -> tuple[dict[str, int], set[str]]:
    """How many stacks each stack's longest chain holds (it, and what waits on it, on and on), and
    the stacks on a longest chain of the whole graph, by count, before any time is known.

    A ready stack with more after it starts first, and only the stacks on a longest chain keep
    the run's CPU priority: Terraform's own waits overlap, but its plans and checkov's scans are
    CPU, and a stack off the chain can take longer without making the run longer. With no edges
    (plan and drift) every stack is its own longest chain, so none is lowered.
    """
    after = {name: {other for other, up in deps.items() if name in up} for name in deps}
    upstream_first = list(TopologicalSorter(deps).static_order())
    below: dict[str, int] = {}  # the stack and the longest chain waiting on it
    above: dict[str, int] = {}  # the stack and the longest chain it waits on
    for name in reversed(upstream_first):
        below[name] = 1 + max((below[n] for n in after[name]), default=0)
    for name in upstream_first:
        above[name] = 1 + max((above[d] for d in deps[name]), default=0)
    longest = max(below.values(), default=0)
    return below, {name for name in deps if above[name] + below[name] - 1 == longest}


def run(
    order: list[str],
    deps: dict[str, set[str]],
    action: Callable[[str], str | None],
    *,
    jobs: int = DEFAULT_JOBS,
    reverse: bool = False,
) -> Run:
    """Run action(name) for every stack; it returns OK, DRIFT or KEPT, or raises to fail."""
    if reverse:  # tear down a stack only after everything that depends on it
        deps = {name: {other for other in order if name in deps.get(other, set())} for name in order}
    deps = {name: set(deps.get(name, set())) & set(order) for name in order}
    result = Run(order=list(order), deps=deps, jobs=jobs, outcomes={n: Outcome() for n in order})
    chain_length, on_chain = chain_first(deps)
    started = time.monotonic()
    streams = (sys.stdout, sys.stderr)
    sys.stdout, sys.stderr = _PrefixedStream(streams[0]), _PrefixedStream(streams[1])
    _in_run.set()

    def work(name: str) -> Outcome:
        _local.prefix = f"[{name}] "
        begin = time.monotonic()
        status, note = OK, ""
        try:
            with toolchain.lower_priority(0 if name in on_chain else OFF_CHAIN_NICENESS):
                status = action(name) or OK
        except toolchain.StateLocked as exc:
            status, note = LOCKED, f"lock {exc.lock_id}"
            print(f"error: {exc}")
        except BaseException as exc:  # a stack's failure must not end the others
            if _interrupted.is_set():
                status = INTERRUPTED
                print(f"interrupted; Terraform stopped at a safe point ({exc.__class__.__name__}: see the log)")
            else:
                status = FAILED
                print(f"error: {exc}")
                note = _first_error_line(str(exc))
        finally:
            for stream in (sys.stdout, sys.stderr):
                if isinstance(stream, _PrefixedStream):
                    stream.finish_line()
        seconds = time.monotonic() - begin
        print(f"{status} in {seconds:.1f}s")
        _local.prefix = None
        return Outcome(status, seconds, begin - started, note)

    pending = sorted(order, key=lambda name: -chain_length[name])  # stable: ties keep their order
    running: dict[Future, str] = {}
    try:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="stack") as pool:
            while pending or running:
                for name in list(pending):
                    upstream = [result.outcomes[d] for d in deps[name]]
                    failed = [
                        d
                        for d in sorted(deps[name])
                        if result.outcomes[d].status not in (*SUCCESS, NOT_STARTED, RUNNING)
                    ]
                    if _interrupted.is_set():
                        pending.remove(name)  # stays "not started": the next run starts it
                    elif failed:
                        pending.remove(name)
                        why = f"{failed[0]} {result.outcomes[failed[0]].status}"
                        result.outcomes[name] = Outcome(SKIPPED, note=f"because {why}")
                        print(f"[{name}] skipped because {why}")
                    elif all(o.status in SUCCESS for o in upstream) and len(running) < jobs:
                        pending.remove(name)
                        result.outcomes[name].status = RUNNING
                        after = f" (after {', '.join(sorted(deps[name]))})" if deps[name] else ""
                        lowered = "" if name in on_chain else f"; off the longest chain, at nice +{OFF_CHAIN_NICENESS}"
                        print(f"[{name}] started{after}{lowered}")
                        running[pool.submit(work, name)] = name
                if not running:
                    if pending:  # only possible with a cycle, which the manifest cannot hold
                        raise RuntimeError(f"no stack can start: {pending}")
                    break
                done, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    result.outcomes[running.pop(future)] = future.result()
    finally:
        sys.stdout, sys.stderr = streams
        _in_run.clear()
    result.wall = time.monotonic() - started
    result.was_interrupted = _interrupted.is_set()
    return result
