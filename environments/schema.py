"""Typed, validated configuration for one deployment environment.

Every model forbids unknown keys, so a typo in a YAML file is an error rather than a silently
ignored setting. Cross-field rules (CIDR overlap, min <= max, what prod requires) live here too,
so nothing downstream has to re-check them.
"""

from __future__ import annotations

import ipaddress
import zoneinfo
from itertools import combinations
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

ManagedBy = "cdktf"
Workload = Literal["refactor", "tablesleuth"]

# The commercial partition's regions (botocore's endpoints data; tests/unit/test_schema.py keeps the
# two in step). Every ARN here is written as arn:aws:..., so GovCloud and China are out of scope, and a
# typo such as us-east-5 is reported as an unknown region rather than as a missing network later.
AWS_REGIONS = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)


def _known_region(region: str) -> str:
    if region not in AWS_REGIONS:
        raise ValueError(f"unknown AWS region {region!r}; use one of {', '.join(AWS_REGIONS)}")
    return region


AwsRegion = Annotated[str, AfterValidator(_known_region), Field(examples=["us-east-2"])]
AccountId = Annotated[str, Field(pattern=r"^\d{12}$")]
Arn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$")]
BucketName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
DnsName = Annotated[str, Field(pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")]
EnvironmentName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{1,11}$")]

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

TIME_WINDOW = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"
WEEKLY_WINDOW = (
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)

# Fargate's valid task sizes: CPU units -> allowed memory (MiB).
FARGATE_MEMORY = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}

# Three tiers of subnets (public, private app, isolated database) share a VPC. Each subnet is
# the VPC's prefix + 4 bits, and each tier owns a fixed run of MAX_AZS blocks, so adding an AZ
# later appends a subnet and never renumbers the existing ones.
SUBNET_TIERS = ("public", "private", "isolated")
SUBNET_PREFIX_BITS = 4
MAX_AZS = 4


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tags(StrictModel):
    """The tags every resource carries; Environment and ManagedBy are added from the env itself."""

    project: str = Field(min_length=1, max_length=64)
    owner: str = Field(min_length=1, max_length=128)
    cost_center: str = Field(min_length=1, max_length=64)


class StateConfig(StrictModel):
    """Where Terraform state lives: one bucket and one lock table per environment."""

    bucket: BucketName
    lock_table: str = Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")
    region: AwsRegion
    kms_key_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$",
        description="the state key's ARN, the `state_key_arn` output of <env>-bootstrap; Terraform's S3 "
        "backend takes a key ARN or ID, not an alias. Unset only before the first bootstrap",
    )


class NetworkConfig(StrictModel):
    """One VPC of one workload in one region."""

    cidr: ipaddress.IPv4Network
    # Aurora DB subnet groups and both ALBs refuse subnets in fewer than two AZs, so one AZ could
    # never deploy (the network synthesizes; the data and app stacks fail on AWS).
    az_count: int = Field(le=MAX_AZS)
    availability_zones: list[str] | None = Field(
        default=None, description="Explicit AZ names; by default <region>a, <region>b, ..."
    )
    nat_gateways: Literal["none", "single", "per_az"]
    interface_endpoints: bool = Field(
        description="ssm, ssmmessages, ec2messages, logs, secretsmanager, ecr.api, ecr.dkr"
    )
    flow_log_retention_days: int = 90

    @field_validator("cidr")
    @classmethod
    def _cidr_size(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not 16 <= cidr.prefixlen <= 24:
            raise ValueError(f"VPC CIDR {cidr} must be between /16 and /24 (AWS allows no larger)")
        if not cidr.is_private:
            raise ValueError(f"VPC CIDR {cidr} must be a private (RFC 1918) range")
        return cidr

    @field_validator("flow_log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"{days} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}")
        return days

    @field_validator("az_count")
    @classmethod
    def _two_zones_at_least(cls, count: int) -> int:
        if count < 2:
            raise ValueError(
                f"az_count {count} is too few: Aurora subnet groups and load balancers need subnets in at "
                "least 2 availability zones; set az_count: 2"
            )
        return count

    @model_validator(mode="after")
    def _zones_match_count(self) -> NetworkConfig:
        if self.availability_zones is not None and len(self.availability_zones) != self.az_count:
            raise ValueError(
                f"availability_zones lists {len(self.availability_zones)} zones but az_count is "
                f"{self.az_count}; make them agree or drop availability_zones"
            )
        return self

    def zones(self, region: str) -> list[str]:
        if self.availability_zones is not None:
            return list(self.availability_zones)
        return [f"{region}{letter}" for letter in "abcd"[: self.az_count]]

    def subnet_cidrs(self) -> dict[str, list[str]]:
        """Tier -> one CIDR per AZ, carved in order from the VPC range."""
        blocks = list(self.cidr.subnets(prefixlen_diff=SUBNET_PREFIX_BITS))
        return {
            tier: [str(block) for block in blocks[i * MAX_AZS : i * MAX_AZS + self.az_count]]
            for i, tier in enumerate(SUBNET_TIERS)
        }


class DatabaseConfig(StrictModel):
    """Aurora Serverless v2 sizing and protection (the seed's DatabaseEnvironmentConfig)."""

    min_capacity: float = Field(ge=0.5, le=256, multiple_of=0.5)
    max_capacity: float = Field(ge=1, le=256, multiple_of=0.5)
    backup_retention: int = Field(ge=1, le=35, description="days")
    deletion_protection: bool
    reader_count: int = Field(default=0, ge=0, le=15)
    engine_version: str = Field(
        default="16.6",
        pattern=r"^1[3-9]\.\d+$",
        description="Aurora PostgreSQL version a new cluster starts on; automatic minor upgrades move it on "
        "without a diff (the major, which names the parameter group family, changes only on purpose)",
    )
    app_username: str = Field(
        default="refactor_app",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="the app's own PostgreSQL role (IAM authentication, no password); never the master user",
    )
    backup_window: str = Field(default="03:00-04:00", pattern=TIME_WINDOW, description="UTC, hh:mm-hh:mm")
    maintenance_window: str = Field(
        default="sun:04:00-sun:05:00", pattern=WEEKLY_WINDOW, description="UTC, ddd:hh:mm-ddd:hh:mm"
    )
    performance_insights_retention_days: Literal[7, 31, 62, 93, 186, 372, 731] = Field(
        default=7, description="7 is free; longer is billed"
    )

    @model_validator(mode="after")
    def _min_le_max(self) -> DatabaseConfig:
        if self.min_capacity > self.max_capacity:
            raise ValueError(f"min_capacity ({self.min_capacity}) must be <= max_capacity ({self.max_capacity})")
        return self


class AutoscalingConfig(StrictModel):
    """Target tracking on the service's average CPU (seed: 70%, scale in after 5 min, out after 2)."""

    enabled: bool = Field(default=True, description="CPU target tracking between min_tasks and max_tasks")
    target_cpu_percent: float = Field(default=70, gt=0, le=100)
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, le=3600)
    scale_out_cooldown_seconds: int = Field(default=120, ge=0, le=3600)


class SpotConfig(StrictModel):
    """How FARGATE_SPOT mixes with on-demand FARGATE when compute.use_spot is on."""

    on_demand_base: int = Field(
        default=1,
        ge=0,
        le=100,
        description="tasks that always run on-demand FARGATE, so spot reclaim never empties the service",
    )
    on_demand_weight: int = Field(default=1, ge=0, le=1000)
    spot_weight: int = Field(default=3, ge=0, le=1000)

    @model_validator(mode="after")
    def _some_weight(self) -> SpotConfig:
        if self.on_demand_weight + self.spot_weight == 0:
            raise ValueError("on_demand_weight and spot_weight cannot both be 0; ECS needs a weight to place tasks")
        return self


class CacheConfig(StrictModel):
    """ElastiCache Redis: one replication group. node_count >= 2 gives a replica, failover and multi-AZ."""

    node_type: str = Field(pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$", examples=["cache.t4g.micro"])
    node_count: int = Field(ge=1, le=6, description="primary plus replicas")
    engine_version: str = Field(default="7.1", pattern=r"^[7-9]\.\d+$", description="7+ for IAM authentication")
    snapshot_retention_days: int = Field(ge=0, le=35)
    snapshot_window: str = Field(default="05:00-06:00", pattern=TIME_WINDOW)
    maintenance_window: str = Field(default="sun:06:00-sun:07:00", pattern=WEEKLY_WINDOW)
    slow_log_retention_days: int = 30

    @property
    def multi_az(self) -> bool:
        return self.node_count >= 2

    @field_validator("slow_log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"{days} is not a CloudWatch Logs retention period; use one of {LOG_RETENTION_DAYS}")
        return days


class DocumentsConfig(StrictModel):
    """The S3 document store and its copy in the DR region."""

    replication: bool = Field(description="replicate every object (and delete marker) to the DR region")
    replication_time_control: bool = Field(default=False, description="S3 RTC: 15-minute replication SLA")
    noncurrent_version_days: int = Field(default=90, ge=1, le=3650)

    @model_validator(mode="after")
    def _rtc_needs_replication(self) -> DocumentsConfig:
        if self.replication_time_control and not self.replication:
            raise ValueError("replication_time_control needs replication: true")
        return self


class ComputeConfig(StrictModel):
    """ECS Fargate sizing (the seed's ComputeEnvironmentConfig)."""

    cpu: Literal[256, 512, 1024, 2048, 4096]
    memory: int
    min_tasks: int = Field(ge=0, le=100)
    max_tasks: int = Field(ge=1, le=100)
    use_spot: bool
    autoscaling: AutoscalingConfig = Field(default_factory=AutoscalingConfig)
    spot: SpotConfig = Field(default_factory=SpotConfig)
    log_retention_days: int = 30
    image_tag: str = Field(
        default="initial", pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", description="the app image the service runs"
    )
    processor_reserved_concurrency: int | None = Field(
        default=5,
        ge=1,
        le=1000,
        description="cap on concurrent document processor runs (protects the database). null: no "
        "reservation, for accounts whose Lambda concurrency quota is still 10, where AWS refuses any "
        "reservation (make preflight reports it)",
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"{days} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}")
        return days

    @model_validator(mode="after")
    def _sizes(self) -> ComputeConfig:
        if self.memory not in FARGATE_MEMORY[self.cpu]:
            raise ValueError(
                f"memory {self.memory} is not valid with cpu {self.cpu}; Fargate allows "
                f"{list(FARGATE_MEMORY[self.cpu])}"
            )
        if self.min_tasks > self.max_tasks:
            raise ValueError(f"min_tasks ({self.min_tasks}) must be <= max_tasks ({self.max_tasks})")
        return self


Cidr = ipaddress.IPv4Network
PlanName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,31}$")]


class ThrottleConfig(StrictModel):
    """API Gateway throttling: steady requests per second and the burst bucket."""

    rate_limit: float = Field(gt=0, le=10000)
    burst_limit: int = Field(ge=1, le=5000)


class QuotaConfig(StrictModel):
    limit: int = Field(ge=1)
    period: Literal["DAY", "WEEK", "MONTH"]


class UsagePlanConfig(StrictModel):
    """One usage tier: its throttle, its quota, and the consumers that get an API key on it.
    Key values are generated by API Gateway; only the key names live here."""

    name: PlanName
    throttle: ThrottleConfig
    quota: QuotaConfig
    api_keys: list[PlanName] = Field(default_factory=list)


class ApiCacheConfig(StrictModel):
    """Stage response cache; GET methods cache for ttl_seconds keyed on the `id` query string."""

    enabled: bool
    size_gb: Literal["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"] = "0.5"
    ttl_seconds: int = Field(default=300, ge=0, le=3600)


class ApiWafConfig(StrictModel):
    rate_limit: int = Field(ge=10, le=2_000_000_000, description="requests per IP per 5 minutes")
    max_body_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1024,
        le=10 * 1024 * 1024,
        description="the backend's request body limit; WAF blocks larger declared bodies (API Gateway's own "
        "hard limit is 10 MB). The managed common rule set's 8 KB body rule counts instead",
    )
    allow_cidrs: list[Cidr] = Field(default_factory=list, description="always allowed, evaluated before other rules")
    block_cidrs: list[Cidr] = Field(default_factory=list)
    log_retention_days: int = 90

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"{days} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}")
        return days

    @field_validator("allow_cidrs")
    @classmethod
    def _not_everyone(cls, cidrs: list[Cidr]) -> list[Cidr]:
        # The allow rule runs before the rate limit and the managed rules: /0 would switch them all off.
        # (IPv6 ranges such as ::/0 are already refused: the list holds IPv4 networks only.)
        for cidr in cidrs:
            if cidr.prefixlen == 0:
                raise ValueError(
                    f"{cidr} allows every address before any other WAF rule runs, so the WAF would block "
                    "nothing; list only the ranges that must bypass the rules"
                )
        return cidrs

    @model_validator(mode="after")
    def _lists_disjoint(self) -> ApiWafConfig:
        for allowed in self.allow_cidrs:
            for blocked in self.block_cidrs:
                if allowed.overlaps(blocked):
                    raise ValueError(
                        f"allow_cidrs {allowed} overlaps block_cidrs {blocked}; a range is one or the other"
                    )
        return self


class CognitoEmailConfig(StrictModel):
    """Cognito mail through your own verified SES identity (EmailSendingAccount DEVELOPER). The
    default sender's small daily cap silently stops invitations and resets at production volume."""

    source_arn: Arn = Field(
        description="a verified SES identity (domain or address), e.g. arn:aws:ses:<region>:<account>:identity/<domain>"
    )
    from_address: str = Field(
        pattern=r"^([^<>]+ <)?[^@\s<>]+@[^@\s<>]+\.[a-z]{2,}>?$",
        description="From: header, an address of that identity, optionally 'Name <address>'",
    )

    @field_validator("source_arn")
    @classmethod
    def _ses_identity(cls, arn: str) -> str:
        if not arn.startswith("arn:aws:ses:") or ":identity/" not in arn:
            raise ValueError(f"{arn} is not an SES identity ARN (arn:aws:ses:<region>:<account>:identity/<name>)")
        return arn


class CognitoConfig(StrictModel):
    mfa: Literal["OFF", "OPTIONAL", "ON"]
    advanced_security: bool = Field(description="Cognito threat protection (ENFORCED); billed per MAU; needs PLUS")
    feature_plan: Literal["LITE", "ESSENTIALS", "PLUS"] = Field(
        default="ESSENTIALS",
        description="the user pool tier (user_pool_tier); AWS gives new pools ESSENTIALS, threat protection needs PLUS",
    )
    password_min_length: int = Field(default=14, ge=12, le=99)
    email: CognitoEmailConfig | None = Field(
        default=None, description="send through a verified SES identity; required in prod"
    )

    @model_validator(mode="after")
    def _threat_protection_needs_plus(self) -> CognitoConfig:
        if self.advanced_security and self.feature_plan != "PLUS":
            raise ValueError(
                f"advanced_security: true (threat protection, ENFORCED) needs feature_plan: PLUS, not "
                f"{self.feature_plan}; AWS refuses it on other tiers (FeatureUnavailableInTierException). "
                "Set api.cognito.feature_plan: PLUS or advanced_security: false"
            )
        return self


class ApiConfig(StrictModel):
    """The refactoring service's public edge: REST API stage, usage tiers, cache, WAF and Cognito."""

    stage_name: str = Field(pattern=r"^[a-zA-Z0-9_]{1,64}$")
    subdomain: str = Field(default="api", pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    certificate_arn: Arn | None = Field(
        default=None, description="an existing ACM certificate for the API and ALB names; else one is issued"
    )
    hosted_zone: Literal["existing", "create"] = Field(
        default="existing",
        description="existing: look up the public zone named after `domain`; create: this stack makes it",
    )
    throttle: ThrottleConfig
    usage_plans: list[UsagePlanConfig] = Field(min_length=1)
    cache: ApiCacheConfig
    waf: ApiWafConfig
    cognito: CognitoConfig
    log_retention_days: int = 90
    saved_log_queries: bool = Field(
        default=True, description="Logs Insights queries saved for the API, service and processor JSON logs"
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"{days} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}")
        return days

    @model_validator(mode="after")
    def _unique_names(self) -> ApiConfig:
        plans = [p.name for p in self.usage_plans]
        if len(plans) != len(set(plans)):
            raise ValueError(f"usage_plans names must be unique; got {plans}")
        keys = [k for p in self.usage_plans for k in p.api_keys]
        if len(keys) != len(set(keys)):
            raise ValueError(f"an API key name may belong to one usage plan only; got {keys}")
        for plan in self.usage_plans:
            if plan.throttle.rate_limit > self.throttle.rate_limit:
                raise ValueError(
                    f"usage plan {plan.name} allows {plan.throttle.rate_limit} req/s, above the stage's "
                    f"{self.throttle.rate_limit}; the stage limit would cap it silently"
                )
        return self


class EdgeConfig(StrictModel):
    """The CloudFront distribution in front of static assets (us-east-1)."""

    distribution: bool = Field(default=True, description="create the CloudFront distribution")
    subdomain: str = Field(default="static", pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]
    certificate_arn: Arn | None = Field(default=None, description="an existing us-east-1 ACM certificate")
    waf_rate_limit: int = Field(ge=10, le=2_000_000_000, description="requests per IP per 5 minutes")
    log_retention_days: int = 90

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"{days} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}")
        return days

    @field_validator("certificate_arn")
    @classmethod
    def _us_east_1(cls, arn: str | None) -> str | None:
        if arn is not None and ":us-east-1:" not in arn:
            raise ValueError("CloudFront accepts only certificates in us-east-1")
        return arn


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
    alb_deletion_protection: bool = True
    certificate_arn: Arn | None = Field(default=None, description="An existing ACM certificate for the ALB")
    dns_zone_name: DnsName | None = Field(
        default=None,
        description="Route 53 zone of the host name tablesleuth-<region>.<zone> (record, certificate, page URLs)",
    )
    create_dns_zone: bool = Field(
        default=False, description="Create dns_zone_name in each region (the embedded AWS has no delegated zone)"
    )
    password_rotation_days: int | None = Field(default=30, ge=1, le=365)
    log_retention_days: int = 90
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

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"{days} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}")
        return days

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


class AlertsConfig(StrictModel):
    """Who hears about alarms. Every workload's alarm topic subscribes these addresses."""

    emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]] = Field(default_factory=list)


Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]


class PasswordPolicyConfig(StrictModel):
    """The IAM account password policy (the account's console users; CI uses roles, not users)."""

    minimum_length: int = Field(default=14, ge=14, le=128)
    max_age_days: int = Field(default=90, ge=1, le=1095)
    reuse_prevention: int = Field(default=24, ge=1, le=24)


# Service-linked roles that a policy in these stacks names before AWS would create them itself.
# KMS refuses a key policy whose principal does not exist yet, so the primary-region baseline
# creates them (stacks/baseline.py), unless the account already has them (adopt_service_linked_roles).
# AWS service name -> role name (fixed by AWS).
SERVICE_LINKED_ROLES = {
    # Named in the TableSleuth host key policy: Auto Scaling creates the hosts' encrypted volumes.
    "autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling",
}
LinkedRoleService = Literal["autoscaling.amazonaws.com"]


class BaselineConfig(StrictModel):
    """Per account-and-region singletons (stacks/baseline.py): Config, EBS default encryption,
    Session Manager preferences; and, in the primary region, password policy, budget, cost anomalies."""

    monthly_budget_usd: float | None = Field(
        default=None, gt=0, description="AWS Budgets monthly cost budget; only the emulator may leave it unset"
    )
    alert_emails: list[Email] = Field(default_factory=list, description="budget and cost-anomaly recipients")
    cost_anomaly_detection: bool = Field(
        default=True, description="a daily Cost Anomaly Detection digest (a subscription) to alert_emails"
    )
    anomaly_monitor_arn: Arn | None = Field(
        default=None,
        description="subscribe to this existing monitor (usually AWS's own Default-Services-Monitor; `make "
        "preflight` prints its ARN). Unset: the baseline creates a SERVICE monitor, which AWS refuses when "
        "the account already has one (one per account)",
    )
    anomaly_threshold_usd: float = Field(default=100, gt=0, description="digest only anomalies with this impact")
    password_policy: PasswordPolicyConfig = Field(default_factory=PasswordPolicyConfig)
    session_log_retention_days: int = 365
    adopt_session_preferences: list[AwsRegion] = Field(
        default_factory=list,
        description="regions whose SSM-SessionManagerRunShell document already exists (saved in the console, "
        "Quick Setup, a landing zone): the baseline imports it there instead of creating it",
    )
    adopt_service_linked_roles: list[LinkedRoleService] = Field(
        default_factory=list,
        description="service-linked roles the account already has: the baseline does not create them "
        "(AWS allows one each), and make preflight checks that they exist",
    )
    log_bucket_expiration_days: int = Field(
        default=365,
        ge=1,
        le=3653,
        description="S3 log buckets (access logs, ALB and CloudFront logs) delete objects this old; "
        "match the environment's log retention",
    )

    @field_validator("session_log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"{days} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}")
        return days

    @field_validator("anomaly_monitor_arn")
    @classmethod
    def _monitor_arn(cls, arn: str | None) -> str | None:
        if arn is not None and not (arn.startswith("arn:aws:ce::") and ":anomalymonitor/" in arn):
            raise ValueError(
                f"{arn} is not a Cost Anomaly Detection monitor ARN (arn:aws:ce::<account>:anomalymonitor/<id>); "
                "list them with: aws ce get-anomaly-monitors --query 'AnomalyMonitors[].MonitorArn'"
            )
        return arn


class DeployRoleConfig(StrictModel):
    """One IAM role GitHub Actions assumes through OIDC."""

    name: str = Field(pattern=r"^[\w+=,.@-]{1,64}$")
    max_session_hours: int = Field(default=1, ge=1, le=12)

    def arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role/{self.name}"


class CiConfig(StrictModel):
    """GitHub Actions delivery: which repository may assume this environment's roles (OIDC, no keys)."""

    github_repository: str = Field(
        pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", examples=["example-org/aws-workloads"]
    )
    deploy_role: DeployRoleConfig = Field(description="applies plans; trusted only for the GitHub environment")
    plan_role: DeployRoleConfig = Field(description="read-only plans: pull requests and drift checks on main")
    create_oidc_provider: bool = Field(
        default=True, description="false when the account already has the GitHub OIDC provider (one per account)"
    )


class EmulatorWorkarounds(StrictModel):
    """Controls the embedded AWS (moto) cannot honour. Only an environment with local_aws may set
    them, and each one names the gap it works around. Real environments never have this section."""

    skip_tls_only_bucket_policies: bool = Field(
        default=False,
        description="moto evaluates bucket-policy conditions as always true, so the Deny on "
        "aws:SecureTransport=false would refuse every object request, Terraform's state reads included",
    )
    skip_redis: bool = Field(
        default=False,
        description="moto has no ElastiCache user groups (needed for IAM auth) and answers HTTP 500 when a "
        "cache subnet group is deleted, so Redis could be neither built as designed nor destroyed",
    )

    skip_database_app_role: bool = Field(
        default=False,
        description="moto has no RDS EnableHttpEndpoint (the Data API) and runs no SQL, so the app's "
        "database role cannot be created there; the Data API and the bootstrap run stay off",
    )


class Environment(StrictModel):
    """One deployment environment: an account, its regions and every workload's settings."""

    name: EnvironmentName
    tier: Literal["production", "staging", "development"] = Field(
        description="production switches on every production rule (schema and synth guardrails), whatever "
        "the environment is called"
    )
    account_id: AccountId
    primary_region: AwsRegion
    dr_region: AwsRegion
    domain: DnsName
    certificate_arn: Arn | None = None
    tags: Tags
    state: StateConfig
    local_aws: bool = Field(
        default=False,
        description="Point providers and backends at the embedded AWS (moto) instead of AWS",
    )
    emulator_workarounds: EmulatorWorkarounds | None = None
    networks: dict[Workload, dict[AwsRegion, NetworkConfig]]
    database: DatabaseConfig
    cache: CacheConfig
    documents: DocumentsConfig
    compute: ComputeConfig
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    api: ApiConfig
    edge: EdgeConfig
    tablesleuth: TableSleuthConfig | None = Field(
        default=None, description="The TableSleuth host; it runs in every region of networks.tablesleuth"
    )
    baseline: BaselineConfig
    ci: CiConfig

    @property
    def is_production(self) -> bool:
        return self.tier == "production"

    def default_tags(self) -> dict[str, str]:
        return {
            "Environment": self.name,
            "Project": self.tags.project,
            "Owner": self.tags.owner,
            "CostCenter": self.tags.cost_center,
            "ManagedBy": ManagedBy,
        }

    @property
    def workarounds(self) -> EmulatorWorkarounds:
        """The emulator switches in force: all off on real AWS."""
        return self.emulator_workarounds or EmulatorWorkarounds()

    @property
    def tls_only_bucket_policies(self) -> bool:
        return not (self.emulator_workarounds and self.emulator_workarounds.skip_tls_only_bucket_policies)

    @model_validator(mode="after")
    def _workarounds_only_for_the_emulator(self) -> Environment:
        if self.emulator_workarounds is not None and not self.local_aws:
            raise ValueError("emulator_workarounds is only allowed with local_aws: true; real AWS needs every control")
        return self

    @property
    def workload_regions(self) -> list[str]:
        """Every region a workload of this environment runs in, primary first."""
        regions = {region for by_region in self.networks.values() for region in by_region}
        return [self.primary_region, *sorted(regions - {self.primary_region})]

    @model_validator(mode="after")
    def _cost_controls_on_real_accounts(self) -> Environment:
        if self.local_aws:
            return self
        baseline = self.baseline
        if baseline.monthly_budget_usd is None:
            raise ValueError(
                "baseline.monthly_budget_usd is required on a real account (only the emulator may omit it)"
            )
        if not baseline.alert_emails:
            raise ValueError("baseline.alert_emails needs at least one address on a real account")
        if not baseline.cost_anomaly_detection:
            raise ValueError(
                "baseline.cost_anomaly_detection may be off only on the emulator (local_aws: true): a real account "
                "needs a cost anomaly subscription; to use the account's existing monitor, set "
                "baseline.anomaly_monitor_arn"
            )
        return self

    @model_validator(mode="after")
    def _adoptions_name_workload_regions(self) -> Environment:
        unknown = sorted(set(self.baseline.adopt_session_preferences) - set(self.workload_regions))
        if unknown:
            raise ValueError(
                f"baseline.adopt_session_preferences lists {unknown}, where no baseline runs; "
                f"use regions of {self.workload_regions}"
            )
        return self

    @model_validator(mode="after")
    def _production_names_need_the_tier(self) -> Environment:
        if self.name in ("prod", "production", "prd") and self.tier != "production":
            raise ValueError(f"an environment named {self.name} must set tier: production")
        return self

    @model_validator(mode="after")
    def _regions(self) -> Environment:
        if self.primary_region == self.dr_region:
            raise ValueError("dr_region must differ from primary_region, or DR gives no protection")
        refactor = self.networks.get("refactor", {})
        if self.primary_region not in refactor:
            raise ValueError(
                f"networks.refactor must include the primary region {self.primary_region}; "
                f"it lists {sorted(refactor) or 'none'}"
            )
        return self

    @model_validator(mode="after")
    def _cidrs_do_not_overlap(self) -> Environment:
        # Across regions as well as within one: VPCs of one environment may be peered later.
        vpcs = [
            (f"networks.{workload}.{region}.cidr", net.cidr)
            for workload, regions in self.networks.items()
            for region, net in regions.items()
        ]
        for (path_a, cidr_a), (path_b, cidr_b) in combinations(vpcs, 2):
            if cidr_a.overlaps(cidr_b):
                raise ValueError(f"{path_a} ({cidr_a}) overlaps {path_b} ({cidr_b}); give each VPC its own range")
        return self

    @model_validator(mode="after")
    def _production_rules(self) -> Environment:
        # Keyed on tier, not on the name: an environment called "production" gets every rule too.
        # ("prod" in the messages below means tier: production.)
        if not self.is_production:
            return self
        for workload, regions in self.networks.items():
            for region, net in regions.items():
                if net.az_count < 2:
                    raise ValueError(f"prod requires multi-AZ: networks.{workload}.{region}.az_count must be >= 2")
                if net.nat_gateways != "per_az":
                    raise ValueError(
                        f"prod requires a NAT gateway per AZ: set networks.{workload}.{region}.nat_gateways: per_az"
                    )
        if not self.alerts.emails:
            raise ValueError("tier production requires alerts.emails: someone must hear the alarms")
        if self.compute.min_tasks < 1:
            raise ValueError("tier production requires compute.min_tasks >= 1: zero tasks serve nothing")
        if self.tablesleuth is not None and self.tablesleuth.min_size < 1:
            raise ValueError("tier production requires tablesleuth.min_size >= 1: zero hosts serve nothing")
        if not self.database.deletion_protection:
            raise ValueError("prod requires database.deletion_protection: true")
        if self.api.cognito.mfa != "ON" or not self.api.cognito.advanced_security:
            raise ValueError("prod requires api.cognito.mfa: ON and api.cognito.advanced_security: true")
        if self.api.cognito.email is None:
            raise ValueError(
                "prod requires api.cognito.email (source_arn of a verified SES identity, from_address): "
                "Cognito's default sender caps daily mail below production volume"
            )
        if self.compute.use_spot:
            raise ValueError("prod runs on-demand only: set compute.use_spot: false")
        if self.database.reader_count < 1:
            raise ValueError("prod requires a reader for failover: set database.reader_count >= 1")
        if not self.cache.multi_az:
            raise ValueError("prod requires Redis failover across AZs: set cache.node_count >= 2")
        if not (self.documents.replication and self.documents.replication_time_control):
            raise ValueError(
                "prod requires documents.replication: true and documents.replication_time_control: true (DR copy)"
            )
        return self

    @model_validator(mode="after")
    def _tablesleuth_has_networks(self) -> Environment:
        regions = self.networks.get("tablesleuth", {})
        if self.tablesleuth is not None and not regions:
            raise ValueError("tablesleuth is configured but networks.tablesleuth lists no region to run it in")
        if self.tablesleuth is None and regions:
            raise ValueError("networks.tablesleuth is set but there is no tablesleuth section to configure the host")
        if self.tablesleuth is not None and self.tablesleuth.create_dns_zone and not self.local_aws:
            raise ValueError(
                "tablesleuth.create_dns_zone is only for local_aws: real environments validate against "
                "their delegated zone (one zone per region would never be delegated)"
            )
        if self.tablesleuth is not None and self.tablesleuth.login is None and not self.local_aws:
            raise ValueError(
                "tablesleuth.login is required outside local_aws: a TableSleuth session holds the GizmoSQL "
                "credentials, so the load balancer must sign users in (user_pool_arn, user_pool_client_id, "
                "user_pool_domain of a Cognito app client with a secret)"
            )
        for region, net in regions.items():
            if (
                self.tablesleuth is not None
                and self.tablesleuth.login is not None
                and not self.tablesleuth.public_alb
                and net.nat_gateways == "none"
            ):
                raise ValueError(
                    f"networks.tablesleuth.{region}.nat_gateways: none leaves the internal load balancer no "
                    "route to Cognito's sign-in endpoints (every login would fail with HTTP 500); use single "
                    "or per_az"
                )
            if self.tablesleuth is not None and not net.interface_endpoints:
                raise ValueError(
                    f"networks.tablesleuth.{region}.interface_endpoints must be true: Session Manager and "
                    "Secrets Manager must work without a NAT gateway"
                )
        return self
