"""The checkov gate: scan synthesized JSON or plan JSON, print a summary, fail on any finding.

    python -m scripts.scan synth [ENV]     # cdktf.out/stacks/*/cdk.tf.json (terraform_json)
    python -m scripts.scan plan ENV        # .build/plans/ENV/*.json (terraform_plan)

checkov lives in its own pinned virtualenv (.build/checkov, from tools/checkov.requirements.txt)
because it cannot share a resolver run with cdktf and moto. Reports (cli, json, JUnit XML,
SARIF) go to .build/scan/<name>/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from scripts import manifest, toolchain
from scripts.paths import PLAN_ROOT, REPO_ROOT, SCAN_ROOT

CHECKOV = Path(os.environ.get("CHECKOV_BIN", REPO_ROOT / ".build" / "checkov" / "bin" / "checkov"))
CONFIG = REPO_ROOT / ".checkov.yaml"
REPORT_ROOT = SCAN_ROOT


@dataclass
class StackTally:
    passed: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (check id, resource, name)
    skipped: int = 0


@dataclass
class ScanResult:
    tallies: dict[str, StackTally]
    parsing_errors: list[str]
    report_dir: Path

    @property
    def failed(self) -> int:
        return sum(len(t.failed) for t in self.tallies.values()) + len(self.parsing_errors)


def _stack_of(file_path: str) -> str:
    path = Path(file_path)
    return path.parent.name if path.name == "cdk.tf.json" else path.stem


def run_checkov(files: list[Path], *, framework: str, report_name: str) -> ScanResult:
    if not CHECKOV.is_file():
        raise SystemExit(f"checkov is not installed at {CHECKOV}: run `make setup`")
    if not files:
        raise SystemExit(f"nothing to scan for {report_name}: no files found")
    report_dir = REPORT_ROOT / report_name
    report_dir.mkdir(parents=True, exist_ok=True)
    args = [
        str(CHECKOV),
        "--config-file",
        str(CONFIG),
        "--framework",
        framework,
        "--skip-download",
        "--output",
        "json",
        "--output",
        "junitxml",
        "--output",
        "sarif",
        "--output-file-path",
        str(report_dir),
        "--soft-fail",
    ]
    for f in files:
        args += ["--file", str(f)]
    completed = subprocess.run(toolchain.prioritized(args), capture_output=True, text=True, check=False, cwd=REPO_ROOT)
    (report_dir / "checkov.log").write_text(completed.stdout + completed.stderr)
    results_file = report_dir / "results_json.json"
    if completed.returncode != 0 or not results_file.is_file():
        raise SystemExit(
            f"checkov failed to run (exit {completed.returncode}); see {report_dir}/checkov.log\n"
            + completed.stderr[-2000:]
        )
    raw = json.loads(results_file.read_text())
    reports = raw if isinstance(raw, list) else [raw]
    tallies: dict[str, StackTally] = defaultdict(StackTally)
    for f in files:
        tallies[_stack_of(str(f))]  # every scanned stack shows in the summary, even if clean
    parsing_errors: list[str] = []
    for report in reports:
        if "results" not in report:  # checkov prints a bare summary when a framework finds nothing
            continue
        results = report["results"]
        for check in results.get("passed_checks", []):
            tallies[_stack_of(check["file_path"])].passed += 1
        for check in results.get("skipped_checks", []):
            tallies[_stack_of(check["file_path"])].skipped += 1
        for check in results.get("failed_checks", []):
            tallies[_stack_of(check["file_path"])].failed.append(
                (check["check_id"], check["resource"], check["check_name"])
            )
        parsing_errors += results.get("parsing_errors", [])
    evaluated = sum(t.passed + len(t.failed) + t.skipped for t in tallies.values())
    if evaluated == 0:
        # A gate that checked nothing must not pass: the files were not understood.
        parsing_errors.append(f"checkov evaluated no checks in {len(files)} file(s); see {report_dir}/checkov.log")
    return ScanResult(dict(tallies), parsing_errors, report_dir)


def print_summary(result: ScanResult, title: str) -> None:
    print(f"checkov {title}: {'PASS' if result.failed == 0 else 'FAIL'}")
    width = max((len(s) for s in result.tallies), default=10)
    for stack, tally in sorted(result.tallies.items()):
        print(
            f"  {stack:<{width}}  passed {tally.passed:>4}  failed {len(tally.failed):>3}  skipped {tally.skipped:>3}"
        )
        for check_id, resource, name in tally.failed:
            print(f"      {check_id}  {resource}\n          {name}")
    for error in result.parsing_errors:
        print(f"  parsing error: {error}")
    print(f"  reports (json, JUnit XML, SARIF, summary.md): {result.report_dir}")
    (result.report_dir / "summary.md").write_text(summary_markdown(result, title))


def summary_markdown(result: ScanResult, title: str) -> str:
    """The same summary as a Markdown table, for a CI job summary or a PR comment."""
    lines = [
        f"### checkov {title}: {'PASS' if result.failed == 0 else 'FAIL'}",
        "",
        "| stack | passed | failed | skipped |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {stack} | {t.passed} | {len(t.failed)} | {t.skipped} |" for stack, t in sorted(result.tallies.items())
    ]
    failures = [(stack, f) for stack, t in sorted(result.tallies.items()) for f in t.failed]
    if failures:
        lines += ["", "| stack | check | resource | what |", "|---|---|---|---|"]
        lines += [f"| {stack} | {cid} | `{res}` | {name} |" for stack, (cid, res, name) in failures]
    lines += [f"- parsing error: {error}" for error in result.parsing_errors]
    return "\n".join(lines) + "\n"


def scan_synth(env: str | None = None) -> ScanResult:
    stacks = [s for s in manifest.load() if env is None or s.env == env]
    files = [s.directory / "cdk.tf.json" for s in stacks]
    result = run_checkov(files, framework="terraform_json", report_name=f"synth-{env or 'all'}")
    print_summary(result, f"on synthesized JSON ({env or 'all environments'})")
    return result


def scan_plans(env: str, files: list[Path] | None = None, report_name: str | None = None) -> ScanResult:
    files = files if files is not None else sorted((PLAN_ROOT / env).glob("*.json"))
    result = run_checkov(files, framework="terraform_plan", report_name=report_name or f"plan-{env}")
    print_summary(result, f"on plan JSON ({env})")
    return result


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("synth", "plan") or (argv[0] == "plan" and len(argv) != 2):
        print(__doc__, file=sys.stderr)
        return 2
    env = argv[1] if len(argv) > 1 and argv[1] else None
    result = scan_synth(env) if argv[0] == "synth" else scan_plans(env)
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
