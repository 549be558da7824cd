"""Host boot, checked the way a TableSleuth host runs it: the systemd units and the env file are
rendered from the real user-data scripts (with the dev environment's values and free local ports),
verified by systemd itself, and searched for ${VAR}s an Exec* line uses but its unit never defines
(systemd substitutes those itself, to an empty string, before any shell runs). Then the real web
entry point, serve.py, runs with textual-serve and tablesleuth (.build/host-web, `make host-web`)
in the environment the unit gives it: its page must point the browser at the public HTTPS name,
/health must follow GizmoSQL, and a browser session must start TableSleuth from a PATH without the
venv, exactly as the service's PATH lacks it."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from environments.loader import load_environments
from modules.user_data import placeholders, render
from stacks.tablesleuth.host import CONFIGURE_SCRIPT, INSTALL_SCRIPT, host_values

REPO = Path(__file__).resolve().parents[2]
HOST_WEB_PYTHON = REPO / ".build" / "host-web" / "bin" / "python"
REQUIREMENTS = REPO / "tools" / "host-web.requirements.txt"
SYSTEM_UNITS = Path("/usr/lib/systemd/system")
# systemd's default PATH for services: the venv is not on it.
SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
UNIT_DIR = "/etc/systemd/system/"
HOST_ENV = "/etc/tablesleuth/host.env"
WRAPPER = "/usr/local/libexec/tablesleuth/with-gizmosql-password"
SERVE_PY = "/opt/tablesleuth/serve.py"
VENV_PYTHON = "/opt/tablesleuth/venv/bin/python"
HEREDOC = re.compile(
    r"^cat > (?P<path>\S+) <<(?P<quote>'?)(?P<marker>\w+)(?P=quote)\n(?P<body>.*?)\n(?P=marker)$", re.M | re.S
)
EXEC_LINE = re.compile(r"^(Exec\w+)=(.*)$", re.M)
VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


# --- rendering and parsing ---------------------------------------------------------------------------
def rendered_files(values: dict[str, str | int]) -> dict[str, str]:
    """Every file the boot scripts write with a heredoc, by the path on the host."""
    files: dict[str, str] = {}
    for script in (INSTALL_SCRIPT, CONFIGURE_SCRIPT):
        text = render(script, {k: v for k, v in values.items() if k in placeholders(script.read_text())})
        assignments = dict(re.findall(r"^([A-Z_]+)=([^\s\"]+)$", text, re.M))
        for match in HEREDOC.finditer(text):
            # An unquoted heredoc would be expanded by the shell on the host: what this test reads
            # would not be what the host writes.
            assert match["quote"], f"{script.name}: heredoc {match['marker']} is unquoted"
            path = re.sub(r"\$\{(\w+)\}", lambda v, known=assignments: known[v[1]], match["path"].strip('"'))
            files[path] = match["body"] + "\n"
    return files


def env_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile= reads them (surrounding double quotes removed)."""
    pairs = [line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")]
    return {key: value[1:-1] if value[:1] == value[-1:] == '"' else value for key, value in pairs}


def unit_environment(unit: str, files: dict[str, str]) -> dict[str, str]:
    """What systemd puts in the unit's environment: EnvironmentFile= first, then Environment=."""
    environment: dict[str, str] = {}
    for line in unit.splitlines():
        key, _, value = line.partition("=")
        if key == "EnvironmentFile":
            path = value.removeprefix("-")
            assert path in files, f"the unit reads {path}, which no boot script writes"
            environment.update(env_file(files[path]))
        elif key == "Environment":
            environment.update(assignment.split("=", 1) for assignment in shlex.split(value))
    return environment


def undefined_exec_variables(unit: str, files: dict[str, str]) -> list[str]:
    """${VAR} and $VAR in Exec* lines that the unit does not define ($$ is a literal $)."""
    defined = unit_environment(unit, files)
    return [
        f"{key}: ${match[1] or match[2]}"
        for key, command in EXEC_LINE.findall(unit)
        for match in VARIABLE.finditer(command.replace("$$", ""))
        if (match[1] or match[2]) not in defined
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def values() -> dict[str, str | int]:
    (dev,) = load_environments(["dev"])
    return {**host_values(dev, dev.primary_region), "APP_PORT": free_port(), "FLIGHT_SQL_PORT": free_port()}


@pytest.fixture(scope="module")
def files(values) -> dict[str, str]:
    return rendered_files(values)


def units(files: dict[str, str]) -> dict[str, str]:
    return {path.removeprefix(UNIT_DIR): text for path, text in files.items() if path.startswith(UNIT_DIR)}


# --- units and env file ---------------------------------------------------------------------------
def test_the_scripts_write_the_units_env_file_wrapper_and_web_entry_point(files):
    assert set(units(files)) == {
        "gizmosql.service",
        "tablesleuth.service",
        "tablesleuth-password-rotation.service",
        "tablesleuth-password-rotation.timer",
    }
    assert {HOST_ENV, WRAPPER, SERVE_PY} <= set(files)


def test_exec_lines_use_only_variables_their_unit_defines(files):
    used = 0
    for name, unit in units(files).items():
        assert undefined_exec_variables(unit, files) == [], name
        used += sum(len(VARIABLE.findall(command)) for _key, command in EXEC_LINE.findall(unit))
    assert used >= 2, "GizmoSQL's --hostname and --port come from the env file: the check must see them"


def test_the_variable_check_catches_the_unit_that_blanked_gizmosqls_port(files):
    """The unit as it was: ${GIZMOSQL_PORT} inside bash -c '...', no EnvironmentFile=. systemd
    replaced it with an empty string, and gizmosql_server exited on `--port ""`, forever."""
    old = (
        "[Service]\nEnvironment=SERVICE_NAME=gizmosql\n"
        f"ExecStart={WRAPPER} /bin/bash -c 'exec runuser -u gizmosql --preserve-environment -- "
        '/usr/local/bin/gizmosql_server --backend duckdb --port "${GIZMOSQL_PORT}"\'\n'
    )
    assert undefined_exec_variables(old, files) == ["ExecStart: $GIZMOSQL_PORT"]
    assert undefined_exec_variables(old.replace("${", "$${"), files) == []


def test_gizmosql_listens_on_the_loopback_at_the_configured_port(files, values):
    unit = units(files)["gizmosql.service"]
    environment = unit_environment(unit, files)
    (command,) = [c for key, c in EXEC_LINE.findall(unit) if key == "ExecStart"]
    argv = shlex.split(re.sub(r"\$\{(\w+)\}", lambda m: environment[m[1]], command))
    assert argv[argv.index("--hostname") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == str(values["FLIGHT_SQL_PORT"])


def test_units_pass_systemd_analyze_verify(files, tmp_path):
    """systemd's own parser, with the rendered files in place under --root (executables must
    exist); a warning (an unknown key, say) fails the test as much as an error."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: install systemd (Debian/Ubuntu: apt-get install systemd)")
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / SYSTEM_UNITS.relative_to("/"), symlinks=True)
    for path, text in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        if path.startswith("/usr/local/libexec/"):
            target.chmod(target.stat().st_mode | stat.S_IXUSR)
    result = subprocess.run(
        [analyze, "verify", f"--root={root}", *units(files)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# --- the web entry point, as the service runs it ----------------------------------------------------
def _host_web_python() -> Path:
    if not HOST_WEB_PYTHON.is_file():
        pytest.fail(f"{HOST_WEB_PYTHON} is missing: run `make host-web` (make test does)")
    return HOST_WEB_PYTHON


def test_the_test_environment_runs_what_the_hosts_install(values):
    pins = dict(re.findall(r"^([a-z0-9-]+)==(\S+)", REQUIREMENTS.read_text(), re.M))
    assert (pins["tablesleuth"], pins["textual-serve"]) == (
        values["TABLESLEUTH_VERSION"],
        values["TEXTUAL_SERVE_VERSION"],
    )


@pytest.fixture
def service(files, tmp_path):
    """Runs a unit's ExecStart the way systemd would (its environment, PATH without the venv),
    minus runuser, with host paths mapped into tmp_path and a stand-in `aws` for the secret."""
    python = _host_web_python()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "home").mkdir()
    fake_aws = bin_dir / "aws"
    # `aws secretsmanager get-secret-value --query '[VersionId, SecretString]' --output text`
    fake_aws.write_text("#!/bin/sh\nprintf 'version-1\\tpassword-from-secrets-manager\\n'\n")
    fake_aws.chmod(0o755)
    started: list[subprocess.Popen] = []

    def start(unit_name: str, *, rendered: dict[str, str] | None = None, python_code: str | None = None):
        rendered = rendered or files
        for path in (HOST_ENV, WRAPPER, SERVE_PY):
            target = tmp_path / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rendered[path])
            target.chmod(0o755)
        unit = units(rendered)[unit_name]
        (command,) = [c for key, c in EXEC_LINE.findall(unit) if key == "ExecStart"]
        argv = shlex.split(command)
        if "runuser" in argv:  # the test runs as whoever runs it
            argv = argv[:1] + argv[argv.index("--") + 1 :]
        argv = [
            str(python) if a == VENV_PYTHON else str(tmp_path / a.lstrip("/")) if a in rendered else a for a in argv
        ]
        if python_code is not None:
            argv = [*argv[: argv.index(str(python)) + 1], "-c", python_code]
        environment = {
            **unit_environment(unit, rendered),
            "PATH": f"{bin_dir}:{SERVICE_PATH}",
            "HOME": str(tmp_path / "home"),  # the unit's HOME is the service user's, on the host
            "TABLESLEUTH_HOST_ENV": str(tmp_path / HOST_ENV.lstrip("/")),
            "TABLESLEUTH_RUN_DIR": str(tmp_path / "run"),
        }
        process = subprocess.Popen(
            argv, env=environment, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()


def test_tablesleuth_reaches_gizmosql_with_the_servers_own_credentials(service, values):
    """TableSleuth reads TABLESLEUTH_GIZMO_* (its defaults: TLS to localhost as gizmosql_username);
    GizmoSQL reads GIZMOSQL_*. Both must name the same loopback port, user and password."""
    code = (
        "import json, os; from tablesleuth.config import load_config; c = load_config().gizmosql; "
        "print(json.dumps({'uri': c.uri, 'user': c.username, 'password': c.password, "
        "'server_user': os.environ['GIZMOSQL_USERNAME'], 'server_password': os.environ['GIZMOSQL_PASSWORD']}))"
    )
    process = service("tablesleuth.service", python_code=code)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    seen = json.loads(output.strip().splitlines()[-1])
    assert seen["uri"] == f"grpc://127.0.0.1:{values['FLIGHT_SQL_PORT']}"
    assert seen["user"] == seen["server_user"] == "tablesleuth"
    assert seen["password"] == seen["server_password"] == "password-from-secrets-manager"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (a local test server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve.py exited with {process.returncode}: {process.stdout.read()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"serve.py did not listen on {port} within {seconds}s")


# Runs in the host-web environment (aiohttp): one browser session, reporting what came back.
SESSION_CLIENT = """
import asyncio, json, sys
import aiohttp

async def main(url):
    received = bytearray()
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_json(["resize", {"width": 100, "height": 30}])
        try:
            while len(received) < 20000:
                message = await asyncio.wait_for(ws.receive(), 20)
                if message.type == aiohttp.WSMsgType.BINARY:
                    received += message.data
                elif message.type != aiohttp.WSMsgType.TEXT:
                    break
        except asyncio.TimeoutError:
            pass
    print(json.dumps({"bytes": len(received), "text": received.decode("utf-8", "replace")}))

asyncio.run(main(sys.argv[1]))
"""


def test_web_page_points_at_the_public_https_name_and_health_follows_gizmosql(service, values):
    port, public = values["APP_PORT"], f"https://{values['PUBLIC_HOSTNAME']}"
    process = service("tablesleuth.service")
    _wait_for_port(port, process)
    status, page = _get(f"http://127.0.0.1:{port}/")
    assert status == 200
    assert f'data-session-websocket-url="wss://{values["PUBLIC_HOSTNAME"]}/ws"' in page
    assert f'src="{public}/static/js/textual.js"' in page
    # textual-serve's fallback is http://<bind address>:<port>, which no browser outside can use.
    assert f":{port}/" not in page and '"ws://' not in page

    # /health answers 200 only while GizmoSQL accepts connections on its port.
    assert _get(f"http://127.0.0.1:{port}/health")[0] == 503
    with socket.create_server(("127.0.0.1", values["FLIGHT_SQL_PORT"])):
        assert _get(f"http://127.0.0.1:{port}/health") == (200, "ok")
    assert _get(f"http://127.0.0.1:{port}/health")[0] == 503


def test_a_browser_session_starts_tablesleuth_from_a_path_without_the_venv(service, values, tmp_path):
    """The session's shell has systemd's PATH; only the absolute command finds tablesleuth. The
    session opens a Parquet file (session_args), and the Textual UI draws over the websocket."""
    sample = tmp_path / "sample.parquet"
    subprocess.run(
        [
            str(_host_web_python()),
            "-c",
            "import sys, pyarrow as pa, pyarrow.parquet as pq; "
            "pq.write_table(pa.table({'table_id': [1, 2, 3]}), sys.argv[1])",
            str(sample),
        ],
        check=True,
    )
    port = values["APP_PORT"]
    rendered = rendered_files({**values, "SESSION_ARGS": f"parquet {sample}"})
    process = service("tablesleuth.service", rendered=rendered)
    _wait_for_port(port, process)
    client = subprocess.run(
        [str(_host_web_python()), "-c", SESSION_CLIENT, f"ws://127.0.0.1:{port}/ws"],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert client.returncode == 0, client.stderr
    session = json.loads(client.stdout)
    process.kill()
    log = process.communicate()[0]
    assert "not found" not in log, log
    assert session["bytes"] > 1000, (session, log)
    assert "\x1b[" in session["text"]  # terminal drawing from the Textual web driver
    # TableSleuth's own screen for the file, not a usage text or a shell error.
    assert "Table Sleuth - Parquet Analysis" in session["text"], log
    assert "Schema" in session["text"]
