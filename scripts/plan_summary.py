"""The plan summary for a pull-request comment or a job summary: adds, changes and destroys per
stack, destructive changes called out, and the checkov gate's verdict on each plan.

    python -m scripts.plan_summary [ENV]    reads .build/plans/<env>/*.json, writes .build/plans/summary.md

Plan JSON comes from `make plan` (or from CI artifacts unpacked into .build/).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scripts.paths import PLAN_ROOT, SCAN_ROOT
from scripts.plans import changes

MARKER = "<!-- plan-summary -->"


def _gate(stack: str) -> str:
    """The checkov verdict on this stack's plan, from the report `make plan` left behind."""
    for report in (SCAN_ROOT / f"plan-{stack}" / "results_json.json",):
        if report.is_file():
            raw = json.loads(report.read_text())
            reports = raw if isinstance(raw, list) else [raw]
            failed = sum(len(r.get("results", {}).get("failed_checks", [])) for r in reports)
            return "pass" if failed == 0 else f"**FAIL ({failed})**"
    return "n/a"


def render(plan_files: list[Path]) -> str:
    lines = [MARKER, "## Terraform plan summary", ""]
    if not plan_files:
        return "\n".join([*lines, "No plans were found.", ""])
    lines += ["| stack | add | change | destroy | replace | checkov |", "|---|---:|---:|---:|---:|---|"]
    destructive: list[str] = []
    for path in plan_files:
        stack = path.stem
        summary = changes(json.loads(path.read_text()))
        lines.append(
            f"| {stack} | {len(summary['create'])} | {len(summary['update'])} | {len(summary['delete'])} | "
            f"{len(summary['replace'])} | {_gate(stack)} |"
        )
        destructive += [
            f"- `{stack}`: {kind} `{address}`" for kind in ("delete", "replace") for address in summary[kind]
        ]
    if destructive:
        lines += ["", "### :warning: Destructive changes", "", *destructive]
    else:
        lines += ["", "No resource is destroyed or replaced."]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    envs = [argv[0]] if argv and argv[0] else sorted(p.name for p in PLAN_ROOT.glob("*") if p.is_dir())
    files = sorted(f for env in envs for f in (PLAN_ROOT / env).glob("*.json"))
    text = render(files)
    out = PLAN_ROOT / "summary.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
