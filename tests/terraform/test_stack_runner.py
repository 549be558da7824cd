"""`python -m scripts.ops` on stand-in stacks with real Terraform: a failing stack in the middle of
the graph, a state lock held by another run, and Ctrl-C followed by a run that carries on.

The stacks hold only `terraform_data` (built into Terraform, no provider) on the local backend,
so these run in seconds without AWS; ops treats them like any other stack of `local`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts.toolchain import BUILD_DIR, REPO_ROOT, Terraform

pytestmark = pytest.mark.terraform

# local-a <- local-b <- local-c, local-a <- local-d
DEPS = {"local-a": [], "local-b": ["local-a"], "local-c": ["local-b"], "local-d": ["local-a"]}


def _write_stacks(outdir: Path, resources: dict[str, dict]) -> None:
    manifest = {"version": "stand-in", "stacks": {}}
    for name, deps in DEPS.items():
        directory = outdir / "stacks" / name
        directory.mkdir(parents=True, exist_ok=True)
        config = {
            "terraform": {"backend": {"local": {"path": str(outdir / "state" / f"{name}.tfstate")}}},
            "resource": {"terraform_data": {"r": resources.get(name, {"input": name})}},
        }
        (directory / "cdk.tf.json").write_text(json.dumps(config))
        manifest["stacks"][name] = {"synthesizedStackPath": f"stacks/{name}/cdk.tf.json", "dependencies": deps}
    (outdir / "state").mkdir(exist_ok=True)
    (outdir / "manifest.json").write_text(json.dumps(manifest))


def _ops_env(outdir: Path) -> dict[str, str]:
    # SYNTH=0: run on the stand-in stacks written here, not on a fresh synth of the real `local`.
    return {
        **os.environ,
        "CDKTF_OUTDIR": str(outdir),
        "SYNTH": "0",
        "LOCK_TIMEOUT": "1s",
        "JOBS": "4",
        "PYTHONUNBUFFERED": "1",
    }


def _ops(outdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scripts.ops", *args],
        cwd=REPO_ROOT,
        env=_ops_env(outdir),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _row(out: str, stack: str) -> list[str]:
    """The stack's row in the run's closing table (a deploy's checkov summary above lists stacks too)."""
    table = out[out.rindex(" stack(s), JOBS=") :]
    (line,) = [line for line in table.splitlines() if line.startswith(f"  {stack} ")]
    return line.split()


def _tf(outdir: Path, stack: str) -> Terraform:
    # The data dir ops itself uses for the stack, so an init here is one ops reuses.
    return Terraform(outdir / "stacks" / stack, extra_env={"TF_DATA_DIR": str(BUILD_DIR / "tfdata" / "state" / stack)})


def _apply_all(outdir: Path) -> None:
    for stack in DEPS:
        tf = _tf(outdir, stack)
        tf.init("-reconfigure")
        tf.run("apply", "-auto-approve", "-input=false", "-no-color")


def test_a_failing_stack_in_the_middle_skips_its_dependents_and_the_rest_finish(tmp_path):
    # An ordered verb on stand-ins: destroy walks the graph in reverse, so local-a (which local-b
    # depends on) must wait for local-b's destroy. (deploy would first stop at the checkov gate,
    # which refuses stand-ins it has no check for.)
    failing = {
        "input": "b",
        "provisioner": [{"local-exec": {"when": "destroy", "command": "echo planted >&2; exit 1"}}],
    }
    _write_stacks(tmp_path, {"local-b": failing})
    _apply_all(tmp_path)
    result = _ops(tmp_path, "destroy", "local")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert _row(out, "local-b")[1] == "FAILED"
    assert _row(out, "local-a")[1] == "skipped"
    assert "[local-a] skipped because local-b FAILED" in out
    # The others ran to the end.
    assert _row(out, "local-c")[1] == "ok" and _row(out, "local-d")[1] == "ok"
    assert "[local-b] error: terraform destroy failed for local-b" in out and "planted" in out
    assert "exit 1: something failed" in out
    for stack, left in (("local-a", 1), ("local-b", 1), ("local-c", 0), ("local-d", 0)):
        state = json.loads((tmp_path / "state" / f"{stack}.tfstate").read_text())
        assert len(state["resources"]) == left, stack


def test_plan_and_drift_change_nothing_so_no_stack_waits_for_or_skips_on_another(tmp_path):
    """A read-only verb runs every stack at once: local-c plans although local-b, which it
    depends on, fails (a deploy skips it, above)."""
    failing = {
        "input": "b",
        "lifecycle": {"precondition": [{"condition": '${terraform.workspace == "never"}', "error_message": "planted"}]},
    }
    _write_stacks(tmp_path, {"local-b": failing})
    result = _ops(tmp_path, "drift", "local")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert _row(out, "local-b")[1] == "FAILED"
    # Nothing applied yet, so every other stack would create its resource.
    assert [_row(out, s)[1] for s in ("local-a", "local-c", "local-d")] == ["drift"] * 3
    assert "[local-c] started\n" in out  # not "started (after local-b)"


def test_a_lock_held_by_another_run_is_named_with_its_force_unlock_command(tmp_path):
    _write_stacks(tmp_path, {})
    _apply_all(tmp_path)
    tf = _tf(tmp_path, "local-b")
    # Another run holds local-b's lock while it waits at its confirmation prompt.
    holder = subprocess.Popen(
        [tf.binary, "apply", "-no-color", "-replace=terraform_data.r"],
        cwd=tf.workdir,
        env={**tf.env, "TF_INPUT": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lock_info = tmp_path / "state" / ".local-b.tfstate.lock.info"
    try:
        deadline = time.monotonic() + 120
        while not lock_info.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert lock_info.is_file(), "the holder never took the lock"
        lock_id = json.loads(lock_info.read_text())["ID"]
        result = _ops(tmp_path, "destroy", "local")
    finally:
        holder.communicate("no\n", timeout=120)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert _row(out, "local-b")[1] == "LOCKED"
    assert _row(out, "local-a")[1] == "skipped"  # destroy: local-a waits for local-b
    assert _row(out, "local-c")[1] == "ok" and _row(out, "local-d")[1] == "ok"
    assert f"[local-b] error: the state of local-b is locked by another run: ID {lock_id}" in out
    data_dir = BUILD_DIR / "tfdata" / "state" / "local-b"
    assert f"TF_DATA_DIR={data_dir} terraform -chdir={tmp_path / 'stacks' / 'local-b'} force-unlock {lock_id}" in out


def test_ctrl_c_stops_terraform_cleanly_and_the_next_run_carries_on(tmp_path):
    fast = tmp_path / "fast"
    slow = {  # local-c's destroy waits until the marker exists (or a minute)
        "input": str(fast),
        "provisioner": [{"local-exec": {"when": "destroy", "command": "test -f ${self.input} || sleep 60"}}],
    }
    _write_stacks(tmp_path, {"local-c": slow})
    for stack in DEPS:
        tf = _tf(tmp_path, stack)
        tf.init("-reconfigure")
        tf.run("apply", "-auto-approve", "-input=false", "-no-color")

    interrupted = subprocess.Popen(
        [sys.executable, "-m", "scripts.ops", "destroy", "local"],
        cwd=REPO_ROOT,
        env=_ops_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,  # the foreground group of a terminal, with ops as its leader
    )
    lock_info = tmp_path / "state" / ".local-c.tfstate.lock.info"
    deadline = time.monotonic() + 120
    while not lock_info.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert lock_info.is_file(), "local-c's destroy never started"
    time.sleep(2)  # into the provisioner
    started = time.monotonic()
    # As a terminal's Ctrl-C: to the whole foreground group. Terraform, in a group of its own,
    # hears only the one SIGINT ops passes on (a second would make it stop at once, lock held).
    os.killpg(interrupted.pid, signal.SIGINT)
    out, err = interrupted.communicate(timeout=120)
    assert time.monotonic() - started < 45, "Terraform was not told to stop"
    assert interrupted.returncode == 130, out + err
    assert _row(out, "local-c")[1] == "interrupted"
    # destroy runs in reverse: local-b waits for local-c, local-a for everything.
    assert _row(out, "local-b")[1] == "not" and _row(out, "local-a")[1] == "not"
    assert "interrupt: asked 1 Terraform run(s) to stop" in err
    assert not lock_info.exists(), "Terraform left its lock behind"

    fast.touch()
    resumed = _ops(tmp_path, "destroy", "local")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert [_row(resumed.stdout, s)[1] for s in DEPS] == ["ok"] * 4
    for stack in DEPS:
        state = json.loads((tmp_path / "state" / f"{stack}.tfstate").read_text())
        assert state["resources"] == [], stack
