"""`make bench`: how long the loop takes, as JSON (.build/bench.json) and a short table.

- floor: a process that only runs `import cdktf, cdktf_cdktf_provider_aws.vpc` with the bindings'
  own eager __init__ (the issue-12 definition, so the ratio compares against the same floor);
- synth_all / synth_one: main.py for every environment, and for `local` alone, each with the
  ratio to that floor (target: synth_all <= 0.75 x floor). Floor and synths alternate, run by
  run, so both see the same machine load; each figure is the median of --repeat runs;
- deploy / drift / destroy of `local` on an embedded AWS of the bench's own: wall time beside the
  sum of per-stack times and the longest dependency chain (target: deploy <= 1.15 x chain);
- the test suite as `make test` runs it (xdist), wall time, and per layer the summed test time.

    python -m scripts.bench [--repeat N] [--skip-deploy] [--skip-tests]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from scripts.toolchain import BUILD_DIR, REPO_ROOT

FLOOR = "import cdktf, cdktf_cdktf_provider_aws.vpc"
SYNTH_TARGET_RATIO = 0.75
DEPLOY_TARGET_RATIO = 1.15
TEST_DIST = "loadfile"  # as the Makefile's TEST_DIST: one module, one worker


def _timed(argv: list[str], env: dict[str, str], check: bool = True) -> tuple[float, int]:
    started = time.perf_counter()
    completed = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    if check and completed.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} failed:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    return time.perf_counter() - started, completed.returncode


def _synth(repeat: int, base_env: dict[str, str], tmp: Path) -> dict:
    floor, synth_all, synth_one = [], [], []
    load_at_start = os.getloadavg()[0]  # main.py's SYNTH_JOBS default depends on it
    eager = {**base_env, "CDKTF_EAGER_BINDINGS": "1"}
    for i in range(repeat):
        floor.append(_timed([sys.executable, "-c", FLOOR], eager)[0])
        out = {**base_env, "CDKTF_OUTDIR": str(tmp / f"all-{i}")}
        synth_all.append(_timed([sys.executable, "main.py"], out)[0])
        one = {**base_env, "CDKTF_OUTDIR": str(tmp / f"one-{i}"), "CDKTF_ENV": "local"}
        synth_one.append(_timed([sys.executable, "main.py"], one)[0])
    f, a, o = (statistics.median(x) for x in (floor, synth_all, synth_one))
    return {
        "floor_import_s": round(f, 2),
        "synth_all_s": round(a, 2),
        "synth_one_local_s": round(o, 2),
        "synth_all_ratio": round(a / f, 2),
        "synth_one_ratio": round(o / f, 2),
        "synth_all_target_ratio": SYNTH_TARGET_RATIO,
        "synth_all_within_target": a / f <= SYNTH_TARGET_RATIO,
        "load_average_1m_start": round(load_at_start, 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


def _run_record(build: Path, verb: str) -> dict:
    return json.loads((build / "runs" / f"{verb}-local.json").read_text())


def _deploy(base_env: dict[str, str], tmp: Path) -> dict:
    """deploy, drift and destroy of `local` against a fresh embedded AWS of the bench's own."""
    build = tmp / "build"
    env = {**base_env, "CDKTF_BUILD_DIR": str(build), "CDKTF_OUTDIR": str(tmp / "deploy-out")}
    env.pop("LOCAL_AWS_ENDPOINT", None)
    ops = [sys.executable, "-m", "scripts.ops"]
    report: dict = {}
    try:
        _timed([sys.executable, "-m", "scripts.local_aws", "start"], env)
        deploy_s, _ = _timed([*ops, "deploy", "local"], env)
        record = _run_record(build, "deploy")
        report["deploy"] = {
            "command_s": round(deploy_s, 1),  # synth and the checkov synth gate included
            "graph_wall_s": record["wall_s"],
            "sum_of_stacks_s": record["sum_s"],
            "longest_chain_s": record["longest_chain_s"],
            "longest_chain": record["longest_chain"],
            "wall_to_chain_ratio": round(record["wall_s"] / record["longest_chain_s"], 2),
            "target_ratio": DEPLOY_TARGET_RATIO,
            "stacks_s": {name: s["seconds"] for name, s in record["stacks"].items()},
        }
        drift_s, drift_code = _timed([*ops, "drift", "local"], env, check=False)
        report["drift"] = {"command_s": round(drift_s, 1), "exit": drift_code, **_brief(_run_record(build, "drift"))}
        destroy_s, _ = _timed([*ops, "destroy", "local"], env)
        report["destroy"] = {"command_s": round(destroy_s, 1), **_brief(_run_record(build, "destroy"))}
    finally:
        _timed([sys.executable, "-m", "scripts.local_aws", "stop"], env, check=False)
    return report


def _brief(record: dict) -> dict:
    return {k: record[k] for k in ("wall_s", "sum_s", "longest_chain_s")}


def _tests(base_env: dict[str, str], tmp: Path) -> dict:
    junit = tmp / "junit.xml"
    argv = [sys.executable, "-m", "pytest", "-q", "-n", os.environ.get("TEST_WORKERS", "3"), "--dist", TEST_DIST]
    wall, code = _timed([*argv, f"--junitxml={junit}", "-p", "no:cacheprovider"], base_env, check=False)
    layers: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 - pytest's own report, just written
        parts = case.get("classname", "").split(".")
        layers[parts[1] if parts[0] == "tests" and len(parts) > 1 else parts[0]] += float(case.get("time", 0))
    return {
        "wall_s": round(wall, 1),
        "exit": code,
        "summed_test_time_by_layer_s": {k: round(v, 1) for k, v in sorted(layers.items())},
    }


def _row(what: str, seconds: float, note: str = "") -> str:
    return f"{what:<44} {seconds:>7.1f}s  {note}".rstrip()


def _table(report: dict) -> str:
    s = report["synth"]
    lines = [
        _row("floor (import cdktf + aws bindings, eager)", s["floor_import_s"]),
        _row("synth, all environments", s["synth_all_s"], f"{s['synth_all_ratio']:.2f}x floor (target <= 0.75)"),
        _row("synth, local only", s["synth_one_local_s"], f"{s['synth_one_ratio']:.2f}x floor"),
    ]
    if "deploy" in report:
        d = report["deploy"]
        chain = f"{d['wall_to_chain_ratio']:.2f}x its longest chain {d['longest_chain_s']:.0f}s (target <= 1.15)"
        lines += [
            _row("deploy local, stacks (graph wall)", d["graph_wall_s"], chain),
            _row("  sum of per-stack times", d["sum_of_stacks_s"]),
            _row("  whole command (synth, gate, stacks)", d["command_s"]),
            _row("drift local", report["drift"]["command_s"]),
            _row("destroy local", report["destroy"]["command_s"]),
        ]
    if "tests" in report:
        t = report["tests"]
        lines.append(_row("test suite (pytest -n, as make test)", t["wall_s"], f"exit {t['exit']}"))
        lines += [_row(f"  {layer} (summed test time)", sec) for layer, sec in t["summed_test_time_by_layer_s"].items()]
    lines.append(
        f"load average (1 min) at the start of the synths: {s.get('load_average_1m_start', '?')}, "
        f"at the end: {s['load_average_1m']} on {os.cpu_count()} cores"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-deploy", action="store_true", help="no deploy/drift/destroy of local")
    parser.add_argument("--skip-tests", action="store_true", help="no test-suite run")
    args = parser.parse_args(argv)

    base_env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "PYTHONUNBUFFERED": "1"}
    base_env.pop("CDKTF_ENV", None)
    report: dict = {"repeat": args.repeat}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        report["synth"] = _synth(args.repeat, base_env, Path(tmp))
        if not args.skip_deploy:
            report.update(_deploy(base_env, Path(tmp)))
        if not args.skip_tests:
            report["tests"] = _tests(base_env, Path(tmp))
    report["synth"]["load_average_1m"] = round(os.getloadavg()[0], 1)
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    (BUILD_DIR / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print()
    print(_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
