"""The root of the configuration: one environment, and the rules that span its sections."""

from __future__ import annotations

from itertools import combinations
from typing import Literal

from pydantic import Field, model_validator

from environments.schema.account import (
    AlertsConfig,
    BaselineConfig,
    CiConfig,
    EmulatorWorkarounds,
    StateConfig,
    Tags,
)
from environments.schema.network import NetworkConfig
from environments.schema.refactor import (
    ApiConfig,
    CacheConfig,
    ComputeConfig,
    DatabaseConfig,
    DocumentsConfig,
    EdgeConfig,
)
from environments.schema.tablesleuth import TableSleuthConfig
from environments.schema.types import (
    MANAGED_BY,
    AccountId,
    AwsRegion,
    DnsName,
    EnvironmentName,
    StrictModel,
    Workload,
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

    @property
    def disposable(self) -> bool:
        """May this environment's resources be destroyed with what they hold? The one rule behind every
        force_destroy, deletion protection, final snapshot and recovery window in stacks/.

        True for the emulator and the development tier: dev is torn down and rebuilt, so its buckets
        must empty on destroy and its secret names must be reusable at once. False for staging and
        production, whose YAML already kept the database and load balancers protected. Terraform
        state is the one exception (stacks/shared/bootstrap.py): it is kept on every real account.
        """
        return self.local_aws or self.tier == "development"

    def default_tags(self) -> dict[str, str]:
        return {
            "Environment": self.name,
            "Project": self.tags.project,
            "Owner": self.tags.owner,
            "CostCenter": self.tags.cost_center,
            "ManagedBy": MANAGED_BY,
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
