"""The verbs behind the Makefile: synth, validate, plan, deploy, drift, destroy.

    python -m scripts.ops synth [ENV]
    python -m scripts.ops validate [ENV]
    python -m scripts.ops plan ENV              (STACK=<name> plans one stack)
    python -m scripts.ops apply-plan ENV        applies the saved plans under .build/plans/ENV (CI)
    python -m scripts.ops deploy ENV
    python -m scripts.ops drift ENV
    python -m scripts.ops destroy ENV
    python -m scripts.ops force-unlock ENV STACK LOCK_ID

plan, apply-plan, deploy, drift and destroy synthesize ENV first (the one place they do: the
Makefile does not), so they never act on stale JSON; for the embedded AWS, against the endpoint of
the server they talk to (deploy starts it). SYNTH=0 uses cdktf.out as it is (stand-in stacks in
tests). synth and validate work on their own; validate reads what synth wrote.

Terraform runs in each synthesized stack's directory with its data dir under .build/tfdata, so
a re-synth never loses an initialised backend. Deploys apply exactly the saved plan that passed
the checkov gate.

plan, apply-plan, deploy, drift and destroy walk the stacks' dependency graph (graph.py): a stack
starts as soon as the stacks it depends on are done (destroy: the stacks that depend on it), up to
JOBS at once. Each stack's lines are prefixed with its name; a failed stack skips only its
dependents; the run ends with a table of every stack's result and time, and exits non-zero if
anything failed. Ctrl-C is passed to Terraform once per press, so it stops at a safe point and
releases its state lock; run the same verb again to carry on.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from environments.loader import ConfigError, load_environments
from environments.schema import Environment
from scripts import graph, local_aws, manifest, scan
from scripts.paths import BUILD_DIR, PLAN_ROOT, REPO_ROOT, outdir
from scripts.plans import changes
from scripts.toolchain import Terraform, TerraformError, ToolchainError

LOCAL_STATE_ROOT = BUILD_DIR / "bootstrap-state"
BOOTSTRAP_OVERRIDE = "bootstrap_local_backend_override.tf.json"
# How long Terraform waits for a lock another run holds before it gives up and says who holds it.
LOCK_TIMEOUT = f"-lock-timeout={os.environ.get('LOCK_TIMEOUT') or '120s'}"


class GateFailed(Exception):
    pass


def _env(name: str) -> Environment:
    return load_environments([name])[0]


def _terraform(stack: manifest.SynthesizedStack, env: Environment, purpose: str = "state") -> Terraform:
    extra = {"TF_DATA_DIR": str(BUILD_DIR / "tfdata" / purpose / stack.name)}
    if env.local_aws:
        extra.update(local_aws.credentials_env())
    return Terraform(stack.directory, extra_env=extra, log_dir=BUILD_DIR / "logs" / env.name)


# What the synthesized JSON is made from: a change to any of these makes cdktf.out stale.
SYNTH_INPUTS = ("main.py", "cdktf.json", "Pipfile.lock", "scripts/lazy_bindings.py")
SYNTH_INPUT_DIRS = ("environments", "stacks", "modules", "policies", "functions", "userdata")


def synth_fingerprint(env_name: str | None, local_endpoint: str | None) -> str:
    """A digest of every synth input, the selection and the local endpoint (tens of milliseconds)."""
    digest = hashlib.sha256(f"{env_name or '*'}\0{local_endpoint or ''}\0".encode())
    files = [REPO_ROOT / name for name in SYNTH_INPUTS]
    for folder in SYNTH_INPUT_DIRS:
        files += [p for p in (REPO_ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in sorted(files):
        digest.update(os.path.relpath(path, REPO_ROOT).encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def synth(env_name: str | None = None, *, local_endpoint: str | None = None, reuse: bool = False) -> None:
    """Run the cdktf app (main.py) for one environment or all.

    local_endpoint: where the local environment's providers point (stacks/base.py reads it from
    LOCAL_AWS_ENDPOINT); unset, the environment variable or base.py's fixed default applies.
    reuse: keep cdktf.out when the last synth had the same inputs, selection and endpoint (the
    verbs that act on an account synthesize first; a second `make plan` should not pay it again).
    """
    started = time.monotonic()
    stamp = outdir() / ".synth-inputs.sha256"
    fingerprint = synth_fingerprint(env_name, local_endpoint)
    current = stamp.is_file() and stamp.read_text().strip() == fingerprint and (outdir() / "manifest.json").is_file()
    if reuse and current:
        print(f"cdktf.out is current for {env_name or 'all environments'} (no synth input changed); not synthesizing")
        return
    stamp.unlink(missing_ok=True)
    run_env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    if local_endpoint:
        run_env["LOCAL_AWS_ENDPOINT"] = local_endpoint
    if env_name:
        run_env["CDKTF_ENV"] = env_name
    else:
        run_env.pop("CDKTF_ENV", None)
    completed = subprocess.run([sys.executable, str(REPO_ROOT / "main.py")], cwd=REPO_ROOT, env=run_env, check=False)
    if completed.returncode != 0:
        raise SystemExit(completed.returncode)
    stacks = manifest.load()
    stamp.write_text(fingerprint + "\n")
    print(f"synthesized {len(stacks)} stacks ({env_name or 'all environments'}) in {time.monotonic() - started:.1f}s")


def validate(env_name: str | None = None) -> int:
    stacks = [s for s in manifest.load() if env_name is None or s.env == env_name]
    envs = {e.name: e for e in load_environments(sorted({s.env for s in stacks}))}

    def one(stack: manifest.SynthesizedStack) -> tuple[str, str | None]:
        tf = _terraform(stack, envs[stack.env], purpose="validate")
        try:
            tf.init("-backend=false")
            tf.run("validate", "-no-color")
        except TerraformError as exc:
            return stack.name, str(exc)
        return stack.name, None

    # Terraform.init lets only one init fill a cold plugin cache; the rest run two at a time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, stacks))
    failures = [(name, err) for name, err in results if err]
    for name, err in results:
        print(f"  {'ok  ' if err is None else 'FAIL'} {name}")
    for _name, err in failures:
        print(err, file=sys.stderr)
    print(f"terraform validate: {len(results) - len(failures)}/{len(results)} stacks valid")
    return 1 if failures else 0


def _plan_stack(stack: manifest.SynthesizedStack, env: Environment, tf: Terraform) -> tuple[Path, dict[str, list[str]]]:
    out_dir = PLAN_ROOT / env.name
    out_dir.mkdir(parents=True, exist_ok=True)
    plan_file = out_dir / f"{stack.name}.tfplan"
    tf.run("plan", "-input=false", "-no-color", LOCK_TIMEOUT, f"-out={plan_file}")
    shown = tf.run("show", "-json", str(plan_file))
    plan_json_path = out_dir / f"{stack.name}.json"
    plan_json_path.write_text(shown.stdout)
    summary = changes(json.loads(plan_json_path.read_text()))
    return plan_file, summary


def _print_summary_line(stack: str, summary: dict[str, list[str]]) -> str:
    line = (
        f"{stack}: {len(summary['create'])} to add, {len(summary['update'])} to change, "
        f"{len(summary['delete'])} to destroy, {len(summary['replace'])} to replace"
    )
    destructive = summary["delete"] + summary["replace"]
    if destructive:
        line += "\n    DESTRUCTIVE: " + ", ".join(destructive)
    return line


def _gate(stack: manifest.SynthesizedStack, env: Environment, plan_file: Path) -> None:
    result = scan.scan_plans(env.name, files=[plan_file.with_suffix(".json")], report_name=f"plan-{stack.name}")
    if result.failed:
        raise GateFailed(f"checkov gate failed on the plan of {stack.name}; nothing was applied to it")


def _state_exists(env: Environment, stack: manifest.SynthesizedStack) -> bool:
    """Is the bootstrap stack's state already in its bucket? (boto3, so no Terraform init fails)."""
    import boto3  # deferred: only deploy needs it
    from botocore.exceptions import ClientError, EndpointConnectionError

    kwargs: dict = {"region_name": env.state.region}
    if env.local_aws:
        credentials = local_aws.credentials_env()
        kwargs.update(
            endpoint_url=local_aws.endpoint_url(),
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        )
    s3 = boto3.client("s3", **kwargs)
    try:
        s3.head_object(Bucket=env.state.bucket, Key=stack.state_key)
    except ClientError:
        return False
    except EndpointConnectionError as exc:
        raise SystemExit(f"cannot reach S3 for the state bucket: {exc}") from None
    return True


def _use_local_backend(stack: manifest.SynthesizedStack, enabled: bool) -> Path:
    override = stack.directory / BOOTSTRAP_OVERRIDE
    state_file = LOCAL_STATE_ROOT / f"{stack.name}.tfstate"
    if enabled:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        override.write_text(json.dumps({"terraform": {"backend": {"local": {"path": str(state_file)}}}}))
    else:
        override.unlink(missing_ok=True)
    return state_file


def _apply_stack(stack: manifest.SynthesizedStack, env: Environment, tf: Terraform) -> None:
    """CI's contract: plan this stack after its upstreams applied, gate that plan, apply exactly it."""
    plan_file, summary = _plan_stack(stack, env, tf)
    print("plan " + _print_summary_line(stack.name, summary))
    _gate(stack, env, plan_file)
    tf.run("apply", "-input=false", "-no-color", LOCK_TIMEOUT, str(plan_file))
    print(f"applied {stack.name}")


def bootstrap(stack: manifest.SynthesizedStack, env: Environment) -> None:
    """Apply the bootstrap stack, starting on local state if its bucket does not hold it yet.

    Interrupted before the migration, its state stays in .build/bootstrap-state and the next run
    finds no remote state again, so it carries on from that local state.
    """
    tf = _terraform(stack, env)
    if _state_exists(env, stack):
        tf.init("-reconfigure")
        _apply_stack(stack, env, tf)
        return
    print("no remote state yet; applying on local state, then migrating it into the bucket")
    state_file = _use_local_backend(stack, True)
    try:
        tf.init("-reconfigure")
        _apply_stack(stack, env, tf)
    finally:
        _use_local_backend(stack, False)
    tf.init("-migrate-state", "-force-copy")
    state_file.rename(state_file.with_suffix(".tfstate.migrated"))
    print(f"state migrated to s3://{env.state.bucket}/{stack.state_key}")


def _walk(
    verb: str,
    env_name: str,
    stacks: list[manifest.SynthesizedStack],
    action: Callable,
    *,
    reverse: bool = False,
    read_only: bool = False,
    before_table: Callable[[], None] | None = None,
) -> graph.Run:
    """Run `action(stack)` over the dependency graph and record the timings for `make bench`.

    read_only: the action changes no state (plan, drift), so no stack waits for another. A plan
    reads its dependencies' state as it is either way; ordering only made it wait (a plan of
    `local` took 172 s along the graph, 104-112 s all at once, in fresh-clone CI runs).

    The table comes last, so the verdict (and each failed stack's error) is what a reader of a
    long log, or of its last lines, sees first.
    """
    run = graph.run(
        [s.name for s in stacks],
        {} if read_only else manifest.dependency_graph(stacks),
        lambda name: action(next(s for s in stacks if s.name == name)),
        jobs=graph.jobs(),
        reverse=reverse,
    )
    if before_table is not None:
        before_table()
    print(run.table(f"{verb} {env_name}"))
    record = BUILD_DIR / "runs" / f"{verb}-{env_name}.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(run.as_json(), indent=2) + "\n")
    return run


def deploy(env_name: str) -> int:
    env = _env(env_name)
    if scan.scan_synth(env_name).failed:
        print("checkov gate failed on the synthesized JSON; nothing was deployed", file=sys.stderr)
        return 1
    stacks = _selected(env_name)
    outputs: dict[str, dict] = {}

    def one(stack: manifest.SynthesizedStack) -> str:
        if stack.is_bootstrap:
            bootstrap(stack, env)
        else:
            tf = _terraform(stack, env)
            tf.init("-reconfigure")
            _apply_stack(stack, env, tf)
        outputs[stack.name] = json.loads(_terraform(stack, env).run("output", "-json").stdout or "{}")
        return graph.OK

    def print_outputs() -> None:
        if outputs:
            print("\nstack outputs:")
        for name in (s.name for s in stacks if s.name in outputs):
            print(f"  {name}")
            for key, value in outputs[name].items():
                print(f"    {key} = {json.dumps(value['value']) if not value.get('sensitive') else '(sensitive)'}")

    return _walk("deploy", env_name, stacks, one, before_table=print_outputs).exit_code()


def _selected(env_name: str) -> list[manifest.SynthesizedStack]:
    """The environment's stacks in deploy order, or only the one named by $STACK."""
    stacks = manifest.deploy_order(manifest.load(), env_name)
    only = os.environ.get("STACK")
    if only:
        stacks = [s for s in stacks if s.name == only]
        if not stacks:
            raise SystemExit(f"error: no stack {only} in {env_name}")
    return stacks


def plan(env_name: str) -> int:
    """Saved plans, a readable summary and the checkov gate for every stack of one environment."""
    env = _env(env_name)
    stacks = _selected(env_name)
    lines: dict[str, str] = {}

    def one(stack: manifest.SynthesizedStack) -> str:
        tf = _terraform(stack, env)
        tf.init("-reconfigure")
        try:
            plan_file, summary = _plan_stack(stack, env, tf)
        except TerraformError as exc:
            lines[stack.name] = f"{stack.name}: PLAN FAILED ({exc.log})"
            raise
        lines[stack.name] = _print_summary_line(stack.name, summary)
        print(lines[stack.name])
        # One report per stack, so CI can upload each plan's SARIF.
        _gate(stack, env, plan_file)
        return graph.OK

    run = _walk("plan", env_name, stacks, one, read_only=True)
    summary_file = PLAN_ROOT / env_name / "summary.md"
    summary_file.parent.mkdir(parents=True, exist_ok=True)
    ordered = [lines[s.name] for s in stacks if s.name in lines]
    summary_file.write_text(f"# Plan summary: {env_name}\n\n" + "\n".join(f"- {line}" for line in ordered) + "\n")
    print(f"summary: {summary_file}")
    return run.exit_code()


def apply_plan(env_name: str) -> int:
    """Apply exactly the saved plans of a reviewed `plan` run, along the graph (CI's deploy job).

    Each plan passes the checkov gate again first. Terraform refuses a plan whose state changed
    since it was made, so nothing is applied that was not reviewed. The bootstrap stack must
    already keep its state in its bucket (the first `make deploy ENV=x` does that).
    """
    env = _env(env_name)
    stacks = [s for s in _selected(env_name) if (PLAN_ROOT / env_name / f"{s.name}.tfplan").is_file()]
    if not stacks:
        print(
            f"error: no saved plans under {PLAN_ROOT / env_name}; run `make plan ENV={env_name}` first", file=sys.stderr
        )
        return 1

    def one(stack: manifest.SynthesizedStack) -> str:
        plan_file = PLAN_ROOT / env_name / f"{stack.name}.tfplan"
        tf = _terraform(stack, env)
        tf.init("-reconfigure")
        _gate(stack, env, plan_file)
        tf.run("apply", "-input=false", "-no-color", LOCK_TIMEOUT, str(plan_file))
        print(f"applied the saved plan of {stack.name}")
        return graph.OK

    return _walk("apply-plan", env_name, stacks, one).exit_code()


def drift(env_name: str) -> int:
    """0 when no stack would change, 2 when some would (named), 1 on error."""
    env = _env(env_name)
    stacks = _selected(env_name)

    def one(stack: manifest.SynthesizedStack) -> str:
        tf = _terraform(stack, env)
        tf.init("-reconfigure")
        result = tf.run("plan", "-input=false", "-no-color", "-detailed-exitcode", LOCK_TIMEOUT, check=False)
        if result.returncode == 2:
            changed = [line.strip() for line in result.output.splitlines() if line.strip().startswith("# ")]
            print(f"DRIFT {stack.name}\n    " + "\n    ".join(changed))
            return graph.DRIFT
        if result.returncode != 0:
            tf.run("plan", "-input=false", "-no-color", LOCK_TIMEOUT)  # raises, naming the log (or the lock)
        print(f"clean {stack.name}")
        return graph.OK

    run = _walk("drift", env_name, stacks, one, read_only=True)
    drifted = run.named(graph.DRIFT)
    errors = [name for name in run.order if name not in drifted and run.outcomes[name].status != graph.OK]
    status = "error" if errors else "drift" if drifted else "clean"
    report = BUILD_DIR / "drift" / f"{env_name}.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        f"status: {status}\n\n"
        + "".join(f"- drifted: `{name}`\n" for name in drifted)
        + "".join(f"- {run.outcomes[name].status}: `{name}`\n" for name in errors)
    )
    if drifted:
        print(f"drift in {len(drifted)} stack(s): {', '.join(drifted)} (report: {report})")
    elif not errors:
        print("no drift")
    return run.exit_code()


def destroy(env_name: str) -> int:
    env = _env(env_name)

    def one(stack: manifest.SynthesizedStack) -> str:
        tf = _terraform(stack, env)
        if stack.is_bootstrap:
            if not env.local_aws:
                print(f"kept {stack.name}: it holds every stack's state; delete it by hand if you mean it")
                return graph.KEPT
            # The state cannot live in the bucket being deleted: bring it home first. Interrupted
            # after the migration, the next run finds the state at home already (init sees no
            # remote state to copy) and carries on from there.
            state_file = _use_local_backend(stack, False)
            if not state_file.is_file():
                tf.init("-reconfigure")
                _use_local_backend(stack, True)
                tf.init("-migrate-state", "-force-copy")
            else:
                _use_local_backend(stack, True)
                tf.init("-reconfigure")
            try:
                tf.run("destroy", "-auto-approve", "-input=false", "-no-color")
            finally:
                _use_local_backend(stack, False)
            state_file.unlink(missing_ok=True)
        else:
            tf.init("-reconfigure")
            tf.run("destroy", "-auto-approve", "-input=false", "-no-color", LOCK_TIMEOUT)
        print(f"destroyed {stack.name}")
        return graph.OK

    return _walk("destroy", env_name, _selected(env_name), one, reverse=True).exit_code()


def force_unlock(env_name: str, stack_name: str | None = None, lock_id: str | None = None) -> int:
    """Release a lock that a killed run left behind, with the stack's own data dir and credentials."""
    if not stack_name or not lock_id:
        print("usage: python -m scripts.ops force-unlock ENV STACK LOCK_ID", file=sys.stderr)
        return 2
    env = _env(env_name)
    stack = next((s for s in manifest.load() if s.name == stack_name and s.env == env_name), None)
    if stack is None:
        raise SystemExit(f"error: no stack {stack_name} in {env_name}")
    tf = _terraform(stack, env)
    tf.init("-reconfigure")
    tf.run("force-unlock", "-force", lock_id)
    print(f"released lock {lock_id} of {stack_name}")
    return 0


COMMANDS = {
    "synth": synth,
    "validate": validate,
    "plan": plan,
    "apply-plan": apply_plan,
    "deploy": deploy,
    "drift": drift,
    "destroy": destroy,
    "force-unlock": force_unlock,
}
NEEDS_ENV = {"plan", "apply-plan", "deploy", "drift", "destroy", "force-unlock"}
# The verbs that act on an account synthesize first (see the module docstring).
SYNTHESIZES = {"plan", "apply-plan", "deploy", "drift", "destroy"}


def _synth_for(command: str, env_name: str) -> None:
    endpoint = None
    if _env(env_name).local_aws:
        if command == "deploy":
            local_aws.start()  # idempotent: reuses a healthy server
        # LOCAL_AWS_ENDPOINT, else the running server's, else the default port: the server this run uses.
        endpoint = local_aws.endpoint_url()
    synth(env_name, local_endpoint=endpoint, reuse=True)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS or (argv[0] in NEEDS_ENV and len(argv) < 2):
        print(__doc__, file=sys.stderr)
        return 2
    command, env_name = argv[0], (argv[1] if len(argv) > 1 and argv[1] else None)
    graph.handle_interrupts()
    try:
        if command in SYNTHESIZES and os.environ.get("SYNTH", "1") != "0":
            _synth_for(command, env_name)
        result = COMMANDS[command](env_name, *(argv[2:] if command == "force-unlock" else ()))
    except (ConfigError, ToolchainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TerraformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return result or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
