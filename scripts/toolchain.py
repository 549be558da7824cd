"""Find Terraform and the AWS provider, and run Terraform with a CLI config that works here.

On a machine without registry access but with a filesystem mirror of hashicorp/aws, Terraform
is pointed at the mirror through a generated CLI config (.build/terraform.tfrc). Nothing is
hard-coded: the mirror is searched for in the usual plugin locations, or TF_PROVIDER_MIRROR.
Users with internet and no mirror get the registry, as usual.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from scripts.paths import BUILD_DIR, REPO_ROOT

CLI_CONFIG = BUILD_DIR / "terraform.tfrc"
# One provider cache per checkout, shared by every run and test process (tests move BUILD_DIR to a
# temporary directory, which used to give each test process a cold cache of its own).
PLUGIN_CACHE = Path(os.environ.get("TF_PLUGIN_CACHE_DIR") or REPO_ROOT / ".build" / "terraform-plugin-cache")
MIN_TERRAFORM = (1, 10)
PROVIDER = "hashicorp/aws"


class ToolchainError(Exception):
    """A missing or unusable tool, phrased as what to install."""


# Terraform processes now running. Each starts in its own process group, so a Ctrl-C at the
# terminal (sent to the foreground group) reaches only Python, which forwards exactly one SIGINT
# per press (forward_interrupt). Terraform then stops at a safe point, writes its state and
# releases its lock. Without this, subprocess.run answers KeyboardInterrupt with SIGKILL, which
# leaves the state lock behind.
_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()


# The CPU priority of the processes a thread starts (Terraform, checkov): the stack runner lowers
# it for stacks off the graph's longest chain, so on a busy machine the chain that sets the run's
# length gets the CPU first (scripts/graph.py). 0 means as the caller runs.
_priority = threading.local()


@contextlib.contextmanager
def lower_priority(niceness: int):
    """Start this thread's tools `niceness` steps below the caller's priority (0: unchanged)."""
    before = getattr(_priority, "niceness", 0)
    _priority.niceness = niceness
    try:
        yield
    finally:
        _priority.niceness = before


def prioritized(command: list[str]) -> list[str]:
    """command, run through `nice` when this thread's tools run at a lower priority. (`nice` execs
    the tool, so its pid, and the SIGINT forward_interrupt sends it, stay the tool's own.)"""
    niceness = getattr(_priority, "niceness", 0)
    nice = shutil.which("nice") if niceness else None
    return [nice, "-n", str(niceness), *command] if nice else command


def forward_interrupt() -> int:
    """Send SIGINT to every running Terraform; returns how many were signalled."""
    with _RUNNING_LOCK:
        running = [p for p in _RUNNING if p.poll() is None]
    for process in running:
        process.send_signal(signal.SIGINT)  # a no-op for a process that has just exited
    return len(running)


def _platform() -> str:
    machine = os.uname().machine
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{sys.platform}_{arch}"


def mirror_candidates() -> list[Path]:
    """Where filesystem mirrors usually live (Terraform's own implied locations first)."""
    home = Path.home()
    roots = [
        os.environ.get("TF_PROVIDER_MIRROR"),
        home / ".terraform.d" / "plugins",
        home / ".local" / "share" / "terraform" / "plugins",
        Path("/usr/local/share/terraform/plugins"),
        Path("/usr/share/terraform/plugins"),
    ]
    # Images often ship a mirror one level under /opt (e.g. /opt/<something>/<host>/hashicorp/aws).
    opt = Path("/opt")
    if opt.is_dir():
        roots.extend(sorted(p for p in opt.iterdir() if p.is_dir()))
    return [Path(r) for r in roots if r]


@functools.cache
def find_provider_mirror() -> Path | None:
    """A directory laid out as <host>/hashicorp/aws/<version>/<os_arch>/ holding the provider."""
    pattern = f"*/{PROVIDER}/*/{_platform()}/terraform-provider-aws_*"
    for root in mirror_candidates():
        if root.is_dir() and next(root.glob(pattern), None) is not None:
            return root
    return None


# Tools the project installs itself (Makefile), by name: where they live and the target that makes them.
PROJECT_TOOLS = {
    "checkov": (REPO_ROOT / ".build" / "checkov" / "bin" / "checkov", "make setup"),
    "actionlint": (REPO_ROOT / ".build" / "actionlint" / "bin" / "actionlint", "make actionlint"),
    "shellcheck": (REPO_ROOT / ".build" / "actionlint" / "bin" / "shellcheck", "make actionlint"),
}


def project_tool(name: str) -> str:
    """The path of a tool the project installs. Missing means set-up did not run: an error that
    says how to fix it, never a reason to skip (a skipped check is a check nobody runs)."""
    path, target = PROJECT_TOOLS[name]
    if not os.access(path, os.X_OK):
        raise ToolchainError(f"{name} is not installed at {path}: run `{target}` (the project installs it)")
    return str(path)


@functools.cache  # one `terraform version` per process, not one per stack
def terraform_binary() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        raise ToolchainError(
            "terraform was not found on PATH. Install Terraform 1.10 or newer "
            "(https://developer.hashicorp.com/terraform/install) and run the command again."
        )
    out = subprocess.run([binary, "version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"Terraform v(\d+)\.(\d+)\.(\d+)", out)
    if not match or tuple(map(int, match.groups()[:2])) < MIN_TERRAFORM:
        found = match.group(0) if match else out.strip() or "an unknown version"
        raise ToolchainError(f"{found} is too old: this project needs Terraform 1.10 or newer.")
    return binary


def uses_plugin_cache() -> bool:
    """A shared plugin cache only when the provider is downloaded. From an unpacked mirror Terraform
    links the provider into each stack's data directory anyway, so a cache saves nothing there and
    only adds a shared directory that concurrent inits race on (see Terraform.init)."""
    return find_provider_mirror() is None


def write_cli_config() -> Path | None:
    """Write .build/terraform.tfrc. Returns the config path, or None to use the user's own."""
    user_config = os.environ.get("TF_CLI_CONFIG_FILE")
    if user_config and Path(user_config).is_file() and Path(user_config) != CLI_CONFIG:
        return None
    mirror = find_provider_mirror()
    lines = []
    if uses_plugin_cache():
        PLUGIN_CACHE.mkdir(parents=True, exist_ok=True)
        lines.append(f'plugin_cache_dir = "{PLUGIN_CACHE}"')
    if mirror is not None:
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            f'    include = ["{PROVIDER}"]',
            "  }",
            "  direct {",
            f'    exclude = ["{PROVIDER}"]',
            "  }",
            "}",
        ]
    CLI_CONFIG.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    if not CLI_CONFIG.exists() or CLI_CONFIG.read_text() != text:
        CLI_CONFIG.write_text(text)
    return CLI_CONFIG


@dataclass
class Result:
    returncode: int
    output: str  # stdout and stderr, as a person would read them
    stdout: str  # for machine-readable output (-json), which warnings on stderr must not corrupt


class Terraform:
    """Terraform in one synthesized stack's directory."""

    def __init__(self, workdir: Path, *, extra_env: dict[str, str] | None = None, log_dir: Path | None = None) -> None:
        self.workdir = workdir
        self.binary = terraform_binary()
        self.env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
        config = write_cli_config()
        if config is not None:
            self.env["TF_CLI_CONFIG_FILE"] = str(config)
        self.env.update(extra_env or {})
        self.log_dir = log_dir or BUILD_DIR / "logs"

    def run(self, *args: str, check: bool = True, input_text: str | None = None) -> Result:
        process = subprocess.Popen(
            prioritized([self.binary, *args]),
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Its own process group, not its own session: a new session is a new scheduler
            # autogroup on Linux, where `nice` then ranks it only against itself (lower_priority).
            process_group=0,  # see forward_interrupt
        )
        with _RUNNING_LOCK:
            _RUNNING.add(process)
        try:
            while True:
                try:
                    stdout, stderr = process.communicate(input_text)
                    break
                except KeyboardInterrupt:
                    # Ctrl-C in a caller without ops' handler: pass it on and keep waiting, so
                    # Terraform releases its lock instead of being killed while holding it.
                    process.send_signal(signal.SIGINT)
                    input_text = None
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(process)
        output = stdout + stderr
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path(args[0])
        log.write_text(output)
        if check and process.returncode != 0:
            if "Error acquiring the state lock" in output:
                raise StateLocked(self, args, process.returncode, output, log)
            raise TerraformError(self.workdir.name, args, process.returncode, output, log)
        return Result(process.returncode, output, stdout)

    def log_path(self, command: str) -> Path:
        return self.log_dir / f"{self.workdir.name}.{command}.log"

    def init(self, *extra: str) -> Result:
        try:
            # With a shared plugin cache, one init at a time. The cache is not safe for concurrent
            # inits even when warm: a stack without a dependency lock file re-installs the
            # provider, re-creating the cache's entry, and a second init in that instant fails
            # with "failed to create directory ...: file exists" (a JOBS=4 deploy lost a stack to
            # it). Without a cache (an unpacked mirror) there is nothing shared to race on.
            if not uses_plugin_cache():
                return self.run("init", "-input=false", "-no-color", *extra)
            import fcntl

            PLUGIN_CACHE.mkdir(parents=True, exist_ok=True)
            with init_lock_path().open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                return self.run("init", "-input=false", "-no-color", *extra)
        except TerraformError as exc:
            if "Failed to query available provider packages" in exc.output or "could not connect" in exc.output:
                raise ToolchainError(
                    f"terraform could not install {PROVIDER} for {self.workdir.name}: no filesystem mirror "
                    f"was found (looked in {', '.join(map(str, mirror_candidates()))}) and the registry "
                    "could not be reached. Set TF_PROVIDER_MIRROR to a mirror directory, or run where "
                    "the Terraform registry is reachable."
                ) from None
            raise


def init_lock_path() -> Path:
    """Beside the cache it guards, found through any symlink, so checkouts sharing a cache share it."""
    return PLUGIN_CACHE.resolve().parent / "terraform-plugin-cache.lock"


class TerraformError(Exception):
    def __init__(self, stack: str, args: tuple[str, ...], code: int, output: str, log: Path) -> None:
        self.stack, self.args_, self.code, self.output, self.log = stack, args, code, output, log
        tail = "\n".join(output.strip().splitlines()[-25:])
        super().__init__(f"terraform {args[0]} failed for {stack} (exit {code}); full log: {log}\n{tail}")


class StateLocked(TerraformError):
    """Another run (or a killed one) holds the stack's state lock: say who, and how to release it."""

    def __init__(self, tf: Terraform, args: tuple[str, ...], code: int, output: str, log: Path) -> None:
        info = dict(re.findall(r"^\s*(ID|Path|Operation|Who|Created):\s*(.+?)\s*$", output, re.MULTILINE))
        self.lock_id = info.get("ID", "<ID from the log>")
        data_dir = tf.env.get("TF_DATA_DIR")
        self.unlock_command = (f"TF_DATA_DIR={data_dir} " if data_dir else "") + (
            f"terraform -chdir={tf.workdir} force-unlock {self.lock_id}"
        )
        super().__init__(tf.workdir.name, args, code, output, log)
        self.message = (
            f"the state of {tf.workdir.name} is locked by another run: ID {self.lock_id}, "
            f"{info.get('Operation', 'unknown operation')} by {info.get('Who', 'unknown')} "
            f"since {info.get('Created', 'unknown')} (full log: {log}).\n"
            "If that run is still going, wait for it. If it is gone (killed, or its machine lost), "
            f"release the lock with:\n    {self.unlock_command}"
        )

    def __str__(self) -> str:
        return self.message
