"""`make bench`: how long synthesis and Terraform take, as JSON (also written to .build/bench.json).

- floor: a process that only imports cdktf and the AWS bindings (the jsii assembly load);
- synth_all / synth_one: main.py for every environment, and for `local` alone;
- ratio of each synth to the floor (target: full synth <= 1.5 x floor);
- terraform validate per stack, and plan per local stack when the local environment is deployed.

Each synth figure is the median of --repeat runs (default 3), each in a fresh process.
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
from pathlib import Path

from scripts import local_aws, manifest
from scripts.toolchain import BUILD_DIR, REPO_ROOT, Terraform, TerraformError

FLOOR = "import cdktf, cdktf_cdktf_provider_aws"
SYNTH_TARGET_RATIO = 1.5


def _timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=REPO_ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _median(argv: list[str], env: dict[str, str], repeat: int) -> float:
    return statistics.median(_timed(argv, env) for _ in range(repeat))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    base_env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    base_env.pop("CDKTF_ENV", None)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        outdir = Path(tmp) / "cdktf.out"
        synth_env = {**base_env, "CDKTF_OUTDIR": str(outdir)}
        floor = _median([sys.executable, "-c", FLOOR], base_env, args.repeat)
        synth_all = _median([sys.executable, "main.py"], synth_env, args.repeat)
        synth_one = _median([sys.executable, "main.py"], {**synth_env, "CDKTF_ENV": "local"}, args.repeat)
        # Leave the full synth in place for the per-stack Terraform timings.
        _timed([sys.executable, "main.py"], synth_env)

        validate_s: dict[str, float] = {}
        for stack in manifest.load(outdir):
            tf = Terraform(stack.directory, extra_env={"TF_DATA_DIR": str(Path(tmp) / "tfdata" / stack.name)})
            started = time.perf_counter()
            tf.init("-backend=false")
            tf.run("validate", "-no-color")
            validate_s[stack.name] = round(time.perf_counter() - started, 2)

        plan_s: dict[str, float] | str = {}
        try:
            for stack in manifest.deploy_order(manifest.load(outdir), "local"):
                tf = Terraform(
                    stack.directory,
                    extra_env={
                        "TF_DATA_DIR": str(Path(tmp) / "tfdata-plan" / stack.name),
                        **local_aws.credentials_env(),
                    },
                )
                tf.init("-reconfigure")
                started = time.perf_counter()
                tf.run("plan", "-input=false", "-no-color", "-lock=false")
                plan_s[stack.name] = round(time.perf_counter() - started, 2)
        except TerraformError:
            plan_s = "skipped: the local environment is not deployed (run make deploy first)"

    report = {
        "repeat": args.repeat,
        "floor_import_s": round(floor, 2),
        "synth_all_s": round(synth_all, 2),
        "synth_one_s": round(synth_one, 2),
        "synth_all_ratio": round(synth_all / floor, 2),
        "synth_one_ratio": round(synth_one / floor, 2),
        "synth_all_target_ratio": SYNTH_TARGET_RATIO,
        "synth_all_within_target": synth_all / floor <= SYNTH_TARGET_RATIO,
        "stacks": len(validate_s),
        "terraform_validate_s": validate_s,
        "terraform_plan_s": plan_s,
    }
    text = json.dumps(report, indent=2)
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    (BUILD_DIR / "bench.json").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
