#!/bin/bash
# Installs Python, GizmoSQL and TableSleuth on Amazon Linux 2023.
# Shared by the Image Builder component (which bakes it into the AMI) and the instance user data
# (which runs it again on every boot): each step checks for its own result first, so on a baked
# AMI it finishes in seconds and on the plain Amazon Linux fallback it does the full install.
# Placeholders (an UPPER_CASE name between double at-signs) are filled in by modules/user_data.py at synth.
set -euo pipefail

GIZMOSQL_VERSION="@@GIZMOSQL_VERSION@@"
TABLESLEUTH_VERSION="@@TABLESLEUTH_VERSION@@"
TEXTUAL_SERVE_VERSION="@@TEXTUAL_SERVE_VERSION@@"
INSTALL_ROOT=/opt/tablesleuth
MARKER="${INSTALL_ROOT}/.installed-gizmosql-${GIZMOSQL_VERSION}-tablesleuth-${TABLESLEUTH_VERSION}-textual-serve-${TEXTUAL_SERVE_VERSION}"

if [[ -f "${MARKER}" ]]; then
  echo "GizmoSQL ${GIZMOSQL_VERSION} and TableSleuth ${TABLESLEUTH_VERSION} already installed"
  exit 0
fi

# TableSleuth 0.6.1 requires Python >= 3.13 (its Requires-Python); AL2023 packages 3.13 beside
# its system 3.9.
dnf install -y python3.13 python3.13-pip unzip jq amazon-cloudwatch-agent

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

workdir="$(mktemp -d)"
trap 'rm -rf "${workdir}"' EXIT
curl --fail --silent --show-error --location --retry 5 \
  --output "${workdir}/gizmosql.zip" \
  "https://github.com/gizmodata/gizmosql/releases/download/${GIZMOSQL_VERSION}/gizmosql_cli_linux_${arch}.zip"
unzip -o -q "${workdir}/gizmosql.zip" -d "${workdir}/gizmosql"
install -m 0755 "${workdir}"/gizmosql/gizmosql_* /usr/local/bin/

id gizmosql >/dev/null 2>&1 || useradd --system --home-dir /var/lib/gizmosql --create-home --shell /sbin/nologin gizmosql
id tablesleuth >/dev/null 2>&1 || useradd --system --home-dir /var/lib/tablesleuth --create-home --shell /sbin/nologin tablesleuth

mkdir -p "${INSTALL_ROOT}"
python3.13 -m venv "${INSTALL_ROOT}/venv"
"${INSTALL_ROOT}/venv/bin/pip" install --quiet --upgrade pip
"${INSTALL_ROOT}/venv/bin/pip" install --quiet "tablesleuth==${TABLESLEUTH_VERSION}" "textual-serve==${TEXTUAL_SERVE_VERSION}"

# TableSleuth is a Textual app; textual-serve puts it on HTTP for the ALB, plus the /health
# route the target group checks. Every setting comes from /etc/tablesleuth/host.env through the
# unit, and a missing one stops the service rather than falling back to a default that breaks in
# the browser (textual-serve's default public URL is http://<bind address>:<port>).
cat > "${INSTALL_ROOT}/serve.py" <<'PY'
import asyncio
import os
import shlex
import sys
from pathlib import Path

from aiohttp import web
from textual_serve.server import Server

# textual-serve starts every session through a shell whose PATH is systemd's default, without this
# venv: name tablesleuth by the absolute path beside the interpreter running this file. Its
# arguments (what each session opens) come from the configuration; without them tablesleuth
# prints its usage and the session ends.
COMMAND = shlex.join(
    [str(Path(sys.executable).parent / "tablesleuth"), *shlex.split(os.environ["TABLESLEUTH_SESSION_ARGS"])]
)
GIZMOSQL = ("127.0.0.1", int(os.environ["GIZMOSQL_PORT"]))


async def health(_request: web.Request) -> web.Response:
    """200 only while GizmoSQL accepts a TCP connection: the UI is useless without it, and the
    target group, its alarm and the dashboard should say so."""
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(*GIZMOSQL), timeout=2)
    except (OSError, asyncio.TimeoutError) as error:
        return web.Response(status=503, text=f"GizmoSQL on {GIZMOSQL[0]}:{GIZMOSQL[1]} does not answer: {error!r}")
    writer.close()
    await writer.wait_closed()
    return web.Response(text="ok")


class HealthCheckedServer(Server):
    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/health", health)
        return app


HealthCheckedServer(
    COMMAND, host="0.0.0.0", port=int(os.environ["TABLESLEUTH_PORT"]), public_url=os.environ["PUBLIC_URL"]
).serve()
PY

touch "${MARKER}"
echo "installed GizmoSQL ${GIZMOSQL_VERSION} and TableSleuth ${TABLESLEUTH_VERSION}"
