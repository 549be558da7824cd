#!/bin/bash
# Boot-time configuration of a TableSleuth host: where the GizmoSQL password lives, the CloudWatch
# agent, and the systemd services. Runs after install.sh in the instance user data.
# Placeholders (an UPPER_CASE name between double at-signs) are filled in by modules/user_data.py at synth; no secret is among them.
set -euo pipefail

mkdir -p /etc/tablesleuth /usr/local/libexec/tablesleuth
# Read by the scripts below (sourced) and by both services (EnvironmentFile=): one place for every
# setting. Quoted heredoc: the values are filled in at synth, nothing here is for the shell to expand.
# PUBLIC_URL: textual-serve builds the page's websocket and static URLs from it; without it the
# browser is sent to http://0.0.0.0:<port>. TABLESLEUTH_GIZMO_*: what TableSleuth itself reads
# (tablesleuth/config.py); its defaults are TLS to localhost with a demo user and password.
# GizmoSQL listens on the loopback only: the web UI on this host is its one client, so the
# password never crosses the network (no TLS to manage).
cat > /etc/tablesleuth/host.env <<'CONF'
AWS_REGION=@@REGION@@
GIZMOSQL_SECRET_ID=@@SECRET_NAME@@
GIZMOSQL_HOSTNAME=127.0.0.1
GIZMOSQL_PORT=@@FLIGHT_SQL_PORT@@
GIZMOSQL_USERNAME=tablesleuth
TABLESLEUTH_PORT=@@APP_PORT@@
PUBLIC_URL=https://@@PUBLIC_HOSTNAME@@
TABLESLEUTH_GIZMO_URI=grpc://127.0.0.1:@@FLIGHT_SQL_PORT@@
TABLESLEUTH_GIZMO_USERNAME=tablesleuth
TABLESLEUTH_SESSION_ARGS="@@SESSION_ARGS@@"
CONF
chmod 0644 /etc/tablesleuth/host.env
# shellcheck source=/dev/null
. /etc/tablesleuth/host.env
export AWS_REGION

# --- The GizmoSQL password -------------------------------------------------------------------
# Terraform creates the secret empty, so the value never enters code, synthesized JSON or state.
# The first host to boot generates it and stores it; a fixed request token makes concurrent first
# boots safe (one value wins, the others get ResourceExistsException and read that one).
versions="$(aws secretsmanager describe-secret --secret-id "${GIZMOSQL_SECRET_ID}" \
  --query 'VersionIdsToStages' --output json)"
if [[ "$(jq 'length' <<<"${versions:-null}")" == "0" ]]; then
  password="$(openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | head -c 32)"
  aws secretsmanager put-secret-value --secret-id "${GIZMOSQL_SECRET_ID}" \
    --client-request-token "tablesleuth-initial-password-0000000001" \
    --secret-string "${password}" >/dev/null 2>&1 || echo "another host stored the first password; using it"
  unset password
fi

# Every service start reads the current password (the seed's `aws secretsmanager get-secret-value`)
# and passes it in the environment of that one process only: nothing is written to disk.
# TABLESLEUTH_HOST_ENV and TABLESLEUTH_RUN_DIR exist for the host-boot test, which runs this very
# script; on the host they are never set.
cat > /usr/local/libexec/tablesleuth/with-gizmosql-password <<'SH'
#!/bin/bash
set -euo pipefail
# shellcheck source=/dev/null
. "${TABLESLEUTH_HOST_ENV:-/etc/tablesleuth/host.env}"
export AWS_REGION GIZMOSQL_USERNAME GIZMOSQL_PORT TABLESLEUTH_PORT
read -r version GIZMOSQL_PASSWORD < <(aws secretsmanager get-secret-value --secret-id "${GIZMOSQL_SECRET_ID}" \
  --query '[VersionId, SecretString]' --output text)
# GizmoSQL reads GIZMOSQL_PASSWORD; TableSleuth reads the same value as TABLESLEUTH_GIZMO_PASSWORD.
TABLESLEUTH_GIZMO_PASSWORD="${GIZMOSQL_PASSWORD}"
export GIZMOSQL_PASSWORD TABLESLEUTH_GIZMO_PASSWORD
run_dir="${TABLESLEUTH_RUN_DIR:-/run/tablesleuth}"
mkdir -p "${run_dir}"
echo "${version}" > "${run_dir}/${SERVICE_NAME:?}.password-version"
exec "$@"
SH

# Rotation: the rotation function stores a new AWSCURRENT; this check restarts the services that
# still run with the old one.
cat > /usr/local/libexec/tablesleuth/apply-rotated-password <<'SH'
#!/bin/bash
set -euo pipefail
# shellcheck source=/dev/null
. /etc/tablesleuth/host.env
export AWS_REGION
current="$(aws secretsmanager describe-secret --secret-id "${GIZMOSQL_SECRET_ID}" \
  --query 'VersionIdsToStages' --output json | jq -r 'to_entries[] | select(.value | index("AWSCURRENT")) | .key')"
for service in gizmosql tablesleuth; do
  if [[ "$(cat "/run/tablesleuth/${service}.password-version" 2>/dev/null)" != "${current}" ]]; then
    echo "restarting ${service}: the GizmoSQL password was rotated"
    systemctl restart "${service}.service"
  fi
done
SH
chmod 0750 /usr/local/libexec/tablesleuth/with-gizmosql-password /usr/local/libexec/tablesleuth/apply-rotated-password

# --- systemd services ----------------------------------------------------------------------------
# systemd expands ${VAR} in Exec* lines itself, before any shell runs, even inside quotes, from the
# unit's own Environment=/EnvironmentFile= only; so every unit that names a variable reads the
# host env file (tests/unit/test_host_boot.py fails on a variable a unit does not define).
cat > /etc/systemd/system/gizmosql.service <<'UNIT'
[Unit]
Description=GizmoSQL (DuckDB over Arrow Flight SQL), for the TableSleuth UI on this host only
After=network-online.target
Wants=network-online.target

[Service]
EnvironmentFile=/etc/tablesleuth/host.env
Environment=SERVICE_NAME=gizmosql
Environment=HOME=/var/lib/gizmosql
WorkingDirectory=/var/lib/gizmosql
ExecStart=/usr/local/libexec/tablesleuth/with-gizmosql-password runuser -u gizmosql --preserve-environment -- /usr/local/bin/gizmosql_server --backend duckdb --database-filename /var/lib/gizmosql/tablesleuth.duckdb --hostname ${GIZMOSQL_HOSTNAME} --port ${GIZMOSQL_PORT}
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT

# serve.py finds tablesleuth beside its own interpreter, so the shell textual-serve starts each
# session with needs no PATH; /health answers 200 only while GizmoSQL accepts connections.
cat > /etc/systemd/system/tablesleuth.service <<'UNIT'
[Unit]
Description=TableSleuth web UI
After=gizmosql.service
Requires=gizmosql.service

[Service]
EnvironmentFile=/etc/tablesleuth/host.env
Environment=SERVICE_NAME=tablesleuth
Environment=HOME=/var/lib/tablesleuth
WorkingDirectory=/var/lib/tablesleuth
ExecStart=/usr/local/libexec/tablesleuth/with-gizmosql-password runuser -u tablesleuth --preserve-environment -- /opt/tablesleuth/venv/bin/python /opt/tablesleuth/serve.py
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT

cat > /etc/systemd/system/tablesleuth-password-rotation.service <<'UNIT'
[Unit]
Description=Restart GizmoSQL and TableSleuth when the GizmoSQL password was rotated

[Service]
Type=oneshot
ExecStart=/usr/local/libexec/tablesleuth/apply-rotated-password
UNIT

cat > /etc/systemd/system/tablesleuth-password-rotation.timer <<'UNIT'
[Unit]
Description=Check for a rotated GizmoSQL password every 5 minutes

[Timer]
OnBootSec=5min
OnUnitActiveSec=5min

[Install]
WantedBy=timers.target
UNIT

# --- CloudWatch agent: memory and disk_used_percent, rolled up per Auto Scaling group ------------
cat > /opt/aws/amazon-cloudwatch-agent/etc/tablesleuth.json <<'JSON'
{
  "agent": {"metrics_collection_interval": 60},
  "metrics": {
    "namespace": "CWAgent",
    "append_dimensions": {"AutoScalingGroupName": "${aws:AutoScalingGroupName}", "InstanceId": "${aws:InstanceId}"},
    "aggregation_dimensions": [["AutoScalingGroupName"], ["AutoScalingGroupName", "path"]],
    "metrics_collected": {
      "mem": {"measurement": ["mem_used_percent"]},
      "disk": {"measurement": ["used_percent"], "resources": ["/"], "drop_device": true, "ignore_file_system_types": ["sysfs", "devtmpfs", "tmpfs"]}
    }
  }
}
JSON
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \
  -c file:/opt/aws/amazon-cloudwatch-agent/etc/tablesleuth.json

systemctl daemon-reload
systemctl enable --now gizmosql.service tablesleuth.service tablesleuth-password-rotation.timer
echo "TableSleuth host configured"
