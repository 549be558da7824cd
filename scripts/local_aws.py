"""The embedded AWS: a moto server on 127.0.0.1 that the `local` environment deploys to.

    python -m scripts.local_aws start|stop|status|endpoint

State (pid, port, log) lives in .build/local-aws/. `start` is idempotent: it reuses a healthy
server, prefers port 4566 and falls back to any free port, and waits until the server answers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from scripts.paths import BUILD_DIR, REPO_ROOT

STATE_DIR = BUILD_DIR / "local-aws"
STATE_FILE = STATE_DIR / "server.json"
LOG_FILE = STATE_DIR / "moto.log"
HOST = "127.0.0.1"
# 4566 is the emulator's customary port; LOCAL_AWS_PORT=0 takes any free port instead, which the
# test suite does so that servers started at once by parallel workers never contend for one port.
DEFAULT_PORT = 4566
PREFERRED_PORT = int(os.environ.get("LOCAL_AWS_PORT", DEFAULT_PORT))
READY_TIMEOUT_S = 60

# moto accepts any credentials; these are placeholders, not secrets, and never enter synth output.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


def endpoint_url() -> str:
    """Where the local environment's providers and backends point.

    LOCAL_AWS_ENDPOINT wins; then a running server's recorded port; then the preferred port, so
    synth works (and stays stable) when no server is running.
    """
    if override := os.environ.get("LOCAL_AWS_ENDPOINT"):
        return override
    state = _read_state()
    if state and _alive(state["pid"]):
        return state["endpoint"]
    return f"http://{HOST}:{PREFERRED_PORT or DEFAULT_PORT}"


def credentials_env() -> dict[str, str]:
    return dict(LOCAL_CREDENTIALS)


def _read_state() -> dict | None:
    try:
        return json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


# A cheap AWS call that every moto server answers from a constant, whatever it holds: proof that
# the server takes requests. The whole-state dump (/moto-api/data.json) was used before, but it
# answers 500 once the state holds a half-created resource (after a Ctrl-C mid-apply), which made
# a healthy server look dead and left discarding everything as the only way out.
_PROBE_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
_PROBE_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    # moto routes by the credential scope's service; it does not check the signature.
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sts/aws4_request, "
        "SignedHeaders=content-type;host, Signature=0"
    ),
}


def _healthy(endpoint: str) -> bool:
    request = urllib.request.Request(  # noqa: S310 - loopback, http only
        f"{endpoint}/", data=_PROBE_BODY, headers=_PROBE_HEADERS, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return response.status == 200 and b"GetCallerIdentityResult" in response.read()
    except (urllib.error.URLError, OSError):
        return False


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    if PREFERRED_PORT and _port_free(PREFERRED_PORT):
        return PREFERRED_PORT
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _bound(log_start: int, endpoint: str) -> bool:
    """Has the server we started (its log from log_start on) taken the port?"""
    try:
        with LOG_FILE.open("rb") as log:
            log.seek(log_start)
            return f"Running on {endpoint}".encode() in log.read()
    except OSError:
        return False


def _wait_healthy(endpoint: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _healthy(endpoint):
            return True
        time.sleep(0.5)
    return False


def start() -> str:
    state = _read_state()
    if state and _alive(state["pid"]):
        # A live server that is slow to answer is busy, not dead: starting a second, empty one
        # would silently throw away every deployed resource and Terraform's state with it.
        if _wait_healthy(state["endpoint"], READY_TIMEOUT_S):
            print(f"local AWS already running at {state['endpoint']} (pid {state['pid']})")
            return state["endpoint"]
        raise SystemExit(
            f"local AWS (pid {state['pid']}) is running but has not answered on {state['endpoint']} for "
            f"{READY_TIMEOUT_S}s; see {LOG_FILE}, or `make local-aws-stop` to discard it and start afresh"
        )
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    endpoint = f"http://{HOST}:{port}"
    log_start = LOG_FILE.stat().st_size if LOG_FILE.exists() else 0
    with LOG_FILE.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.moto_server", "-H", HOST, "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO_ROOT,
            # AWS managed policies (AWS_ConfigRole, ReadOnlyAccess, ...) exist in every real account;
            # moto has them only when asked, and attaching one it lacks fails with NoSuchEntity.
            env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
            start_new_session=True,  # survives the make recipe that started it
        )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        # Only our own server counts: when another program took the port between the check and
        # the bind, ours exits, and until then the answer would come from that other server. The
        # server logs "Running on <endpoint>" once it holds the port.
        if _bound(log_start, endpoint) and process.poll() is None and _healthy(endpoint):
            STATE_FILE.write_text(json.dumps({"pid": process.pid, "port": port, "endpoint": endpoint}))
            print(f"local AWS ready at {endpoint} (pid {process.pid}, log {LOG_FILE})")
            return endpoint
        time.sleep(0.3)
    process.kill()
    tail = LOG_FILE.read_text(errors="replace")[-2000:]
    raise SystemExit(f"local AWS did not become ready on {endpoint} within {READY_TIMEOUT_S}s. Log tail:\n{tail}")


def stop() -> None:
    state = _read_state()
    if not state or not _alive(state["pid"]):
        print("local AWS is not running")
        STATE_FILE.unlink(missing_ok=True)
        return
    pid = state["pid"]
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    STATE_FILE.unlink(missing_ok=True)
    print(f"local AWS stopped (pid {pid}); everything it held is gone")


def status() -> int:
    state = _read_state()
    if state and _alive(state["pid"]) and _healthy(state["endpoint"]):
        print(f"running at {state['endpoint']} (pid {state['pid']})")
        return 0
    print("not running (start it with: make local-aws-start)")
    return 1


def main(argv: list[str]) -> int:
    commands = {
        "start": lambda: start() and 0,
        "stop": lambda: stop() or 0,
        "status": status,
        "endpoint": lambda: print(endpoint_url()) or 0,
    }
    if len(argv) != 1 or argv[0] not in commands:
        print(f"usage: python -m scripts.local_aws {{{'|'.join(commands)}}}", file=sys.stderr)
        return 2
    return commands[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
