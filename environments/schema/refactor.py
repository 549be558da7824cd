"""The refactor service's settings: Aurora, Redis, documents, ECS compute, the REST API and the
CloudFront edge."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from environments.schema.types import (
    TIME_WINDOW,
    WEEKLY_WINDOW,
    Arn,
    Cidr,
    LogRetentionDays,
    StrictModel,
)

# Fargate's valid task sizes: CPU units -> allowed memory (MiB).
FARGATE_MEMORY = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
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
    slow_log_retention_days: LogRetentionDays = 30

    @property
    def multi_az(self) -> bool:
        return self.node_count >= 2


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
    log_retention_days: LogRetentionDays = 30
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


class WafIpLists(StrictModel):
    """Ranges a web ACL always allows (before every other rule) or always blocks. Each web ACL has
    its own lists: the API and the CloudFront edge serve different clients."""

    # An IP set holds up to 10,000 ranges; AWS WAF takes every IPv4 CIDR except /0
    # (docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-ipset-match.html).
    allow_cidrs: list[Cidr] = Field(
        default_factory=list, max_length=10_000, description="always allowed, evaluated before other rules"
    )
    block_cidrs: list[Cidr] = Field(default_factory=list, max_length=10_000, description="always blocked")

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

    @field_validator("block_cidrs")
    @classmethod
    def _not_all_blocked(cls, cidrs: list[Cidr]) -> list[Cidr]:
        for cidr in cidrs:
            if cidr.prefixlen == 0:
                raise ValueError(
                    f"{cidr} would block every client, and AWS WAF refuses /0 in an IP set; list only the "
                    "ranges to block"
                )
        return cidrs

    @model_validator(mode="after")
    def _lists_disjoint(self) -> WafIpLists:
        for allowed in self.allow_cidrs:
            for blocked in self.block_cidrs:
                if allowed.overlaps(blocked):
                    raise ValueError(
                        f"allow_cidrs {allowed} overlaps block_cidrs {blocked}; a range is one or the other"
                    )
        return self


class ApiWafConfig(WafIpLists):
    """The regional web ACL in front of the REST API."""

    rate_limit: int = Field(ge=10, le=2_000_000_000, description="requests per IP per 5 minutes")
    max_body_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1024,
        le=10 * 1024 * 1024,
        description="the backend's request body limit; WAF blocks larger declared bodies (API Gateway's own "
        "hard limit is 10 MB). The managed common rule set's 8 KB body rule counts instead",
    )
    log_retention_days: LogRetentionDays = 90


class EdgeWafConfig(WafIpLists):
    """The CLOUDFRONT-scope web ACL in front of the static-assets distribution (us-east-1)."""

    rate_limit: int = Field(ge=10, le=2_000_000_000, description="requests per IP per 5 minutes")


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
    """The refactor service's public edge: REST API stage, usage tiers, cache, WAF and Cognito."""

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
    log_retention_days: LogRetentionDays = 90
    saved_log_queries: bool = Field(
        default=True, description="Logs Insights queries saved for the API, service and processor JSON logs"
    )

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
    waf: EdgeWafConfig = Field(description="the distribution's own web ACL: rate limit, allow and block lists")
    log_retention_days: LogRetentionDays = Field(default=90, description="the edge web ACL's logs")

    @field_validator("certificate_arn")
    @classmethod
    def _us_east_1(cls, arn: str | None) -> str | None:
        if arn is not None and ":us-east-1:" not in arn:
            raise ValueError("CloudFront accepts only certificates in us-east-1")
        return arn
