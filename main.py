"""cdktf entry point: `cdktf synth` / `cdktf deploy` run this (see cdktf.json).

CDKTF_ENV=dev (or dev,prod) selects environments; unset means all. Every selected environment
file is validated before the App is built, so a broken file leaves cdktf.out untouched.

Environments share nothing at synth time, so with several selected they are synthesized in
SYNTH_JOBS processes at once (default: one per idle core, at most 2) and the outputs merged into one
cdktf.out, byte for byte what a single process writes (tests/stacks/test_lazy_bindings.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from environments.loader import ConfigError, load_environments, selected_environment_names


def _synth_jobs(count: int) -> int:
    raw = os.environ.get("SYNTH_JOBS", "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(f"SYNTH_JOBS={raw!r}: give a whole number of processes, 1 or more")
        return min(int(raw), count)
    # Each process pays the binding import and a jsii runtime again (about 2 s of CPU): worth it
    # only on a core that is otherwise idle. On a busy machine a second process gains nothing (the
    # kernel shares CPU per session, not per process; at load 11 on 2 cores: 65.8 and 48.7 s with
    # one process, 63.4 and 49.6 s with two), so count the idle cores.
    idle = (os.cpu_count() or 1) - int(os.getloadavg()[0])
    return max(1, min(count, 2, idle))


def _manifest_text(value, depth: int = 0) -> str:
    """cdktf's manifest.json layout (sorted keys, two-space indent, `[\\n  ]` for empty lists)."""
    pad, end = "  " * (depth + 1), "  " * depth
    if isinstance(value, dict):
        items = ",\n".join(f"{pad}{json.dumps(k)}: {_manifest_text(v, depth + 1)}" for k, v in sorted(value.items()))
        return "{\n" + items + "\n" + end + "}"
    if isinstance(value, list):
        items = ",\n".join(f"{pad}{_manifest_text(v, depth + 1)}" for v in value)
        return "[\n" + items + ("\n" if value else "") + end + "]"
    return json.dumps(value)


def _weight(env) -> int:
    """Roughly how many stacks an environment makes (bootstrap, app, data, edge, one baseline per
    region, one per network, one TableSleuth host per region): enough to balance the processes."""
    return (
        3
        + len(env.workload_regions)
        + sum(len(n) for n in env.networks.values())
        + len(env.networks.get("tablesleuth", {}))
    )


def _synth_in_processes(environments: list, outdir: Path, jobs: int) -> int:
    """Synthesize the environments in `jobs` child processes, then merge their outputs into `outdir`."""
    groups: list[list[str]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for env in sorted(environments, key=_weight, reverse=True):  # heaviest first, onto the lightest
        lightest = loads.index(min(loads))
        groups[lightest].append(env.name)
        loads[lightest] += _weight(env)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".synth-", dir=outdir) as scratch:
        parts = [Path(scratch) / str(i) for i in range(jobs)]
        children = [
            subprocess.Popen(
                [sys.executable, __file__],
                env={**os.environ, "CDKTF_ENV": ",".join(group), "CDKTF_OUTDIR": str(part), "SYNTH_JOBS": "1"},
            )
            for group, part in zip(groups, parts, strict=True)
        ]
        codes = [child.wait() for child in children]
        if any(codes):
            return max(codes)
        manifest: dict = {"stacks": {}}
        for part in parts:
            part_manifest = json.loads((part / "manifest.json").read_text())
            manifest["version"] = part_manifest["version"]
            manifest["stacks"].update(part_manifest["stacks"])
            for stack_dir in (part / "stacks").iterdir():
                target = outdir / "stacks" / stack_dir.name
                if target.exists():
                    shutil.rmtree(target)
                target.parent.mkdir(parents=True, exist_ok=True)
                stack_dir.rename(target)
        (outdir / "manifest.json").write_text(_manifest_text(manifest))
    return 0


def main() -> int:
    try:
        environments = load_environments(selected_environment_names())
        jobs = _synth_jobs(len(environments))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    outdir = os.environ.get("CDKTF_OUTDIR", "cdktf.out")
    if jobs > 1:
        return _synth_in_processes(environments, Path(outdir), jobs)
    # Imported only after config passes. The bindings load lazily (only the resource submodules
    # the stacks import), which takes the import from ~15 s to ~4 s.
    from scripts import lazy_bindings

    lazy_bindings.install()
    from stacks.app import build_app

    build_app(environments, outdir=outdir).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
