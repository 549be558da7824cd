#!/bin/bash
# Installs Python, GizmoSQL and TableSleuth on Amazon Linux 2023.
# Shared by the Image Builder component (which bakes it into the AMI) and the instance user data
# (which runs it again on every boot): each step checks for its own result first, so on a baked
# AMI it finishes in seconds and on the plain Amazon Linux fallback it does the full install.
# Placeholders (an UPPER_CASE name between double at-signs) are filled in by modules/user_data.py at synth.
set -euo pipefail

GIZMOSQL_VERSION="@@GIZMOSQL_VERSION@@"
TABLESLEUTH_VERSION="@@TABLESLEUTH_VERSION@@"
INSTALL_ROOT=/opt/tablesleuth
MARKER="${INSTALL_ROOT}/.installed-gizmosql-${GIZMOSQL_VERSION}-tablesleuth-${TABLESLEUTH_VERSION}"

if [[ -f "${MARKER}" ]]; then
  echo "GizmoSQL ${GIZMOSQL_VERSION} and TableSleuth ${TABLESLEUTH_VERSION} already installed"
  exit 0
fi

dnf install -y python3.11 python3.11-pip unzip jq amazon-cloudwatch-agent

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
python3.11 -m venv "${INSTALL_ROOT}/venv"
"${INSTALL_ROOT}/venv/bin/pip" install --quiet --upgrade pip
"${INSTALL_ROOT}/venv/bin/pip" install --quiet "tablesleuth==${TABLESLEUTH_VERSION}" textual-serve aiohttp

# TableSleuth is a Textual app; textual-serve puts it on HTTP for the ALB, plus the /health
# route the target group checks.
cat > "${INSTALL_ROOT}/serve.py" <<'PY'
import os

from aiohttp import web
from textual_serve.server import Server


class HealthCheckedServer(Server):
    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/health", lambda _request: web.Response(text="ok"))
        return app


port = int(os.environ.get("TABLESLEUTH_PORT", "8080"))
HealthCheckedServer("tablesleuth", host="0.0.0.0", port=port, public_url=os.environ.get("PUBLIC_URL")).serve()
PY

touch "${MARKER}"
echo "installed GizmoSQL ${GIZMOSQL_VERSION} and TableSleuth ${TABLESLEUTH_VERSION}"
