"""The TableSleuth analysis hosts: size, load balancer, sign-in, schedule and image pipeline."""

from __future__ import annotations

import ipaddress
import zoneinfo
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from environments.schema.types import Arn, DnsName, LogRetentionDays, StrictModel

# cron day-of-week field as EC2 Auto Scaling schedules take it: MON-FRI, SAT,SUN, *, 1-5.
_DAY = r"([0-6]|MON|TUE|WED|THU|FRI|SAT|SUN)"
_DAY_RANGE = rf"{_DAY}(-{_DAY})?"
CRON_DAYS = rf"^(\*|{_DAY_RANGE}(,{_DAY_RANGE})*)$"
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["18:00"])]
InstanceType = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$", examples=["t3.small"])]


class TableSleuthScheduleConfig(StrictModel):
    """Scale the TableSleuth hosts to zero in the evening and back in the morning (local time)."""

    enabled: bool
    timezone: str = Field(description="IANA time zone the times are in, e.g. Europe/Berlin")
    stop_at: ClockTime = "18:00"
    start_at: ClockTime = "08:00"
    days: str = Field(default="MON-FRI", pattern=CRON_DAYS, description="cron day-of-week field")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        if zone not in zoneinfo.available_timezones():
            raise ValueError(f"{zone!r} is not an IANA time zone (e.g. UTC, America/Chicago, Europe/Berlin)")
        return zone

    @model_validator(mode="after")
    def _distinct_times(self) -> TableSleuthScheduleConfig:
        if self.stop_at == self.start_at:
            raise ValueError(f"stop_at and start_at are both {self.stop_at}; the schedule would do nothing")
        return self

    @staticmethod
    def _cron(clock: str, days: str) -> str:
        hour, minute = clock.split(":")
        return f"{int(minute)} {int(hour)} * * {days}"

    @property
    def stop_recurrence(self) -> str:
        return self._cron(self.stop_at, self.days)

    @property
    def start_recurrence(self) -> str:
        return self._cron(self.start_at, self.days)


class TableSleuthImagePipelineConfig(StrictModel):
    """The Image Builder pipeline that bakes Python, GizmoSQL and TableSleuth into an AMI."""

    enabled: bool
    schedule: str = Field(
        default="cron(0 4 ? * SUN *)",
        pattern=r"^cron\(.+\)$",
        description="Image Builder schedule expression (UTC)",
    )


class TableSleuthLoginConfig(StrictModel):
    """Sign-in in front of TableSleuth: the ALB's HTTPS listener sends every request through an
    Amazon Cognito user pool first (authenticate-cognito, which ALBs allow on HTTPS listeners only).
    The pool and its app client are referenced, not created here: the client needs a secret, and a
    client created by Terraform would keep that secret in state. The app client needs: a client
    secret, the authorization-code grant with the openid scope, and
    https://tablesleuth-<region>.<dns_zone_name>/oauth2/idpresponse among its callback URLs."""

    user_pool_arn: Arn = Field(description="Cognito user pool in this environment's account")
    user_pool_client_id: str = Field(pattern=r"^[a-z0-9]{1,128}$", description="App client ID (with a secret)")
    user_pool_domain: str = Field(
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
        description="The pool's Cognito domain prefix (the part before .auth.<region>.amazoncognito.com)",
    )
    session_timeout_seconds: int = Field(default=28800, ge=60, le=604800, description="ALB session cookie lifetime")

    @field_validator("user_pool_arn")
    @classmethod
    def _is_a_user_pool(cls, arn: str) -> str:
        if not arn.startswith("arn:aws:cognito-idp:") or ":userpool/" not in arn:
            raise ValueError(
                f"{arn!r} is not a Cognito user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<id>)"
            )
        return arn


class TableSleuthConfig(StrictModel):
    """The TableSleuth analysis host (GizmoSQL + TableSleuth on EC2). Regions are the keys of
    networks.tablesleuth; every region gets the same settings."""

    instance_type: InstanceType
    use_spot: bool
    spot_instance_types: list[InstanceType] = Field(
        default_factory=list,
        description="Instance types the spot pool may use (with use_spot); more types, fewer interruptions",
    )
    min_size: int = Field(ge=0, le=10)
    max_size: int = Field(ge=1, le=10)
    desired_capacity: int = Field(ge=0, le=10)
    cpu_target_percent: float = Field(default=70, gt=0, lt=100)
    root_volume_gb: int = Field(default=30, ge=8, le=16384)
    app_port: int = Field(default=8080, ge=1024, le=65535)
    # GizmoSQL listens on 127.0.0.1 only: the web UI on the same host is its one client, so its
    # password never crosses the network and no security group opens this port.
    flight_sql_port: int = Field(default=31337, ge=1024, le=65535)
    public_alb: bool = Field(default=False, description="Internet-facing ALB (then with a WAF); internal otherwise")
    alb_allowed_cidrs: list[ipaddress.IPv4Network] | None = Field(
        default=None, description="Who may reach the ALB; default: the VPC. A public ALB must list them."
    )
    certificate_arn: Arn | None = Field(default=None, description="An existing ACM certificate for the ALB")
    dns_zone_name: DnsName | None = Field(
        default=None,
        description="Route 53 zone of the host name tablesleuth-<region>.<zone> (record, certificate, page URLs)",
    )
    create_dns_zone: bool = Field(
        default=False, description="Create dns_zone_name in each region (the embedded AWS has no delegated zone)"
    )
    password_rotation_days: int | None = Field(default=30, ge=1, le=365)
    log_retention_days: LogRetentionDays = 90
    gizmosql_version: str = Field(default="v1.12.11", pattern=r"^v\d+\.\d+\.\d+$")
    tablesleuth_version: str = Field(default="0.6.1", pattern=r"^\d+\.\d+\.\d+$")
    textual_serve_version: str = Field(default="1.1.3", pattern=r"^\d+\.\d+\.\d+$")
    session_args: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_./:=@+-]+$")]] = Field(
        default_factory=list,
        description=(
            "What each browser session opens: the tablesleuth command's arguments, e.g. "
            "[parquet, s3://bucket/warehouse/] or [iceberg, --catalog, glue, --table, db.table]. "
            "tablesleuth 0.6.1 needs a target: with none, a session shows its usage and ends"
        ),
    )
    login: TableSleuthLoginConfig | None = Field(
        default=None, description="Cognito sign-in on the HTTPS listener; required outside the emulator"
    )
    schedule: TableSleuthScheduleConfig
    image_pipeline: TableSleuthImagePipelineConfig

    @model_validator(mode="before")
    @classmethod
    def _no_own_deletion_protection(cls, data: object) -> object:
        # A removed key gets its reason, not just "unknown key": files written before still carry it.
        if isinstance(data, dict) and "alb_deletion_protection" in data:
            raise ValueError(
                "alb_deletion_protection was removed: delete the line. Deletion protection follows the "
                "environment's tier (Environment.disposable): off for development and the emulator, on for "
                "staging and production"
            )
        return data

    @model_validator(mode="after")
    def _consistent(self) -> TableSleuthConfig:
        if not self.min_size <= self.desired_capacity <= self.max_size:
            raise ValueError(
                f"need min_size <= desired_capacity <= max_size; got {self.min_size}, "
                f"{self.desired_capacity}, {self.max_size}"
            )
        if self.use_spot and len(set(self.spot_instance_types)) < 2:
            raise ValueError(
                "use_spot needs at least two distinct spot_instance_types, so one spot pool running dry "
                "does not stop the host"
            )
        if self.app_port == self.flight_sql_port:
            raise ValueError(f"app_port and flight_sql_port are both {self.app_port}")
        if self.public_alb and not self.alb_allowed_cidrs:
            raise ValueError("public_alb: true needs alb_allowed_cidrs: say who on the internet may connect")
        if self.dns_zone_name is None:
            raise ValueError(
                "dns_zone_name is required: the host is reached as tablesleuth-<region>.<dns_zone_name>, and "
                "the web UI builds its page's websocket and static URLs from that name"
            )
        if self.create_dns_zone and self.dns_zone_name is None:
            raise ValueError("create_dns_zone needs dns_zone_name")
        return self

    @property
    def instance_types(self) -> list[str]:
        """The launch template's type first, then the other spot pools (without repeats)."""
        return list(dict.fromkeys([self.instance_type, *self.spot_instance_types]))
