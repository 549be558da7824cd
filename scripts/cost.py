"""Monthly cost estimate of an environment, offline, from the synthesized stacks (and plan JSON).

    python -m scripts.cost ENV                  table per stack and resource, total, budget check
    python -m scripts.cost ENV --json           the same as JSON, for machines
    python -m scripts.cost ENV --base REF       the monthly change from git REF to the working tree
    python -m scripts.cost pr ENV [ENV...]      the pull-request comment's cost section (Markdown)

Prices come from cost/prices.yaml (one dated, reviewed table, a source page per row) and usage
that no plan can know (requests, GB stored, log volume) from cost/usage/<env>.yaml, each figure
with its assumption. Every resource type the stacks create is in exactly one of three places:
priced here (PRICED), free of charge (FREE, with the reason), or charged by AWS but not modelled
(NOT_PRICED, with the reason: the report lists those as "not priced", never as zero). A type in
none of them fails the tests, so a new priced resource can't slip in at $0.

The estimate is list price, on-demand, with no free tier, no Savings Plans and no taxes.
Hours per month: 730. Both sides of a `--base` diff use today's prices and usage, so the diff
is the change the code makes, not a change of price.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from scripts.paths import BUILD_DIR, REPO_ROOT
from scripts.synthesized import Resource, Stack, load_environment

PRICES_FILE = REPO_ROOT / "cost" / "prices.yaml"
USAGE_DIR = REPO_ROOT / "cost" / "usage"
MARKER = "<!-- cost-summary -->"

# Charged by AWS, but this estimate does not model it. Listed as "not priced" in every report.
NOT_PRICED: dict[str, str] = {
    "aws_cloudwatch_log_delivery": "CloudFront standard logging v2: vended-log delivery per GB to S3",
    "aws_imagebuilder_image_pipeline": "build-instance hours and AMI snapshot storage per image build",
    "aws_ecs_cluster": "Container Insights metrics and performance log events",
    "aws_sns_topic": "publishes and e-mail deliveries (alert volume; usually inside the free tier)",
    "aws_sqs_queue": "requests to dead-letter queues (usually inside the free tier)",
}

# No charge for the resource itself; where it causes a charge, the line that carries it is named.
FREE: dict[str, str] = {
    **{
        t: "IAM has no charge"
        for t in (
            "aws_iam_role",
            "aws_iam_role_policy",
            "aws_iam_role_policy_attachment",
            "aws_iam_policy",
            "aws_iam_instance_profile",
            "aws_iam_openid_connect_provider",
            "aws_iam_account_password_policy",
            "aws_iam_service_linked_role",
            "aws_iam_user",
            "aws_iam_policy_attachment",
        )
    },
    **{
        t: "VPC plumbing has no charge (NAT, endpoints and addresses are priced)"
        for t in (
            "aws_vpc",
            "aws_subnet",
            "aws_route",
            "aws_route_table",
            "aws_route_table_association",
            "aws_internet_gateway",
            "aws_default_security_group",
            "aws_security_group",
            "aws_security_group_rule",
            "aws_vpc_security_group_ingress_rule",
            "aws_vpc_security_group_egress_rule",
            "aws_default_network_acl",
            "aws_default_route_table",
            "aws_network_acl",
            "aws_network_acl_rule",
        )
    },
    "aws_flow_log": "priced as ingestion on its destination log group",
    "aws_kms_alias": "aliases are free; the key is priced",
    "aws_acm_certificate": "public ACM certificates are free",
    "aws_acm_certificate_validation": "no resource at AWS",
    **{
        t: "bucket configuration has no charge; the bucket's storage and requests are priced"
        for t in (
            "aws_s3_bucket_lifecycle_configuration",
            "aws_s3_bucket_logging",
            "aws_s3_bucket_notification",
            "aws_s3_bucket_ownership_controls",
            "aws_s3_bucket_policy",
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_versioning",
            "aws_s3_bucket_cors_configuration",
            "aws_s3_bucket_acl",
        )
    },
    **{
        t: "API Gateway configuration; requests and the cache are priced on the API and stage"
        for t in (
            "aws_api_gateway_account",
            "aws_api_gateway_api_key",
            "aws_api_gateway_authorizer",
            "aws_api_gateway_base_path_mapping",
            "aws_api_gateway_deployment",
            "aws_api_gateway_domain_name",
            "aws_api_gateway_integration",
            "aws_api_gateway_integration_response",
            "aws_api_gateway_method",
            "aws_api_gateway_method_response",
            "aws_api_gateway_method_settings",
            "aws_api_gateway_request_validator",
            "aws_api_gateway_resource",
            "aws_api_gateway_usage_plan",
            "aws_api_gateway_usage_plan_key",
            "aws_api_gateway_gateway_response",
        )
    },
    "aws_api_gateway_vpc_link": "a REST VPC link has no charge of its own; its NLB is priced",
    **{
        t: "scaling configuration has no charge"
        for t in (
            "aws_appautoscaling_policy",
            "aws_appautoscaling_target",
            "aws_autoscaling_policy",
            "aws_autoscaling_schedule",
            "aws_launch_template",
        )
    },
    "aws_backup_selection": "priced as storage in the plan's vaults",
    "aws_budgets_budget": "budgets without actions are free",
    "aws_ce_anomaly_monitor": "Cost Anomaly Detection is free",
    "aws_ce_anomaly_subscription": "Cost Anomaly Detection is free",
    "aws_cloudfront_origin_access_control": "no charge",
    "aws_cloudfront_response_headers_policy": "no charge",
    "aws_cloudwatch_log_delivery_destination": "the delivery is listed as not priced",
    "aws_cloudwatch_log_delivery_source": "the delivery is listed as not priced",
    "aws_cloudwatch_query_definition": "saved Logs Insights queries are free; queries run are not",
    "aws_cognito_user_pool_client": "priced per monthly active user on the pool",
    "aws_config_configuration_recorder_status": "the recorder is priced",
    "aws_config_delivery_channel": "the recorder is priced; its bucket is priced",
    "aws_db_subnet_group": "no charge",
    "aws_rds_cluster_parameter_group": "no charge",
    "aws_ebs_default_kms_key": "account setting",
    "aws_ebs_encryption_by_default": "account setting",
    "aws_ecr_lifecycle_policy": "no charge",
    "aws_ecs_cluster_capacity_providers": "no charge; tasks are priced on the service",
    "aws_ecs_task_definition": "priced through the service that runs it",
    "aws_elasticache_subnet_group": "no charge",
    "aws_elasticache_user": "no charge",
    "aws_elasticache_user_group": "no charge",
    **{
        t: "Image Builder configuration is free; builds are listed on the pipeline"
        for t in (
            "aws_imagebuilder_component",
            "aws_imagebuilder_distribution_configuration",
            "aws_imagebuilder_image_recipe",
            "aws_imagebuilder_infrastructure_configuration",
        )
    },
    "aws_lambda_permission": "no charge",
    "aws_lb_listener": "priced in the load balancer's hours and LCUs",
    "aws_lb_target_group": "priced in the load balancer's hours and LCUs",
    "aws_lb_target_group_attachment": "no charge",
    "aws_route53_record": "queries are priced on the zone (alias queries to AWS are free)",
    "aws_secretsmanager_secret_rotation": "the secret and its rotation Lambda are priced",
    "aws_sns_topic_policy": "no charge",
    "aws_sns_topic_subscription": "deliveries are listed with the topic",
    "aws_ssm_document": "Session Manager preferences documents are free",
    "aws_wafv2_ip_set": "IP sets are free; rules that use them are priced on the ACL",
    "aws_wafv2_web_acl_association": "no charge",
    "aws_wafv2_web_acl_logging_configuration": "priced as ingestion on its log group",
    "aws_cloudwatch_log_resource_policy": "no charge",
    "aws_lb_listener_rule": "priced in the load balancer's hours and LCUs",
    "aws_cognito_user_pool_domain": "no charge; users are priced on the pool",
    "aws_cognito_user_group": "no charge",
    "aws_lambda_invocation": "one invocation per apply, far below a cent",
    "aws_cloudwatch_event_rule": "rules on AWS service events are free",
    "aws_cloudwatch_event_target": "no charge; the target (Lambda, SNS) is priced or listed",
    "aws_s3_object": "its bytes are priced as the bucket's storage",
}


@dataclass
class Line:
    stack: str
    address: str
    type: str
    region: str
    parts: list[tuple[str, float]] = field(default_factory=list)  # (description, USD/month)
    note: str = ""

    @property
    def monthly(self) -> float:
        return sum(v for _, v in self.parts)


class Prices:
    def __init__(self, path: Path = PRICES_FILE):
        raw = yaml.safe_load(path.read_text())
        self.reviewed = str(raw["reviewed"])
        self.hours = float(raw["hours_per_month"])
        self.regions = list(raw["regions"])
        self.rows: dict[str, dict] = raw["rows"]

    def has(self, key: str) -> bool:
        return key in self.rows

    def __call__(self, key: str, region: str) -> float:
        row = self.rows.get(key)
        if row is None:
            raise KeyError(f"cost/prices.yaml has no row {key!r}: add it with its source page")
        if "global" in row:
            return float(row["global"])
        if region not in row:
            raise KeyError(f"cost/prices.yaml row {key!r} has no price for {region}: add it with its source page")
        return float(row[region])


class Usage:
    """cost/usage/<env>.yaml: figures no plan can know. `overrides` match a construct path substring."""

    def __init__(self, env: str, directory: Path = USAGE_DIR):
        path = directory / f"{env}.yaml"
        if not path.is_file():
            raise SystemExit(f"{path} not found: copy cost/usage/dev.yaml, adjust each figure and its assumption")
        self.path = path
        self.raw: dict = yaml.safe_load(path.read_text()) or {}

    def get(self, section: str, key: str, resource: Resource | None = None) -> float:
        block = self.raw.get(section)
        if not isinstance(block, dict) or key not in block:
            raise KeyError(f"{self.path}: {section}.{key} is missing: add it with the assumption behind it")
        value = block[key]
        if resource is not None:
            for pattern, override in (block.get("overrides") or {}).items():
                if pattern in resource.path and isinstance(override, dict) and key in override:
                    value = override[key]
        return float(value)


def _num(value, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _one(value):
    """A nested block reads as a dict in cdk.tf.json and as a one-element list in plan JSON."""
    return (value[0] if value else None) if isinstance(value, list) else value


def _by_key(stacks: list[Stack]) -> dict[tuple[str, str, str], Resource]:
    return {r.key: r for s in stacks for r in s.resources}


DAYS = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}


def _cron_days(field_text: str) -> set[int]:
    if field_text in ("*", "?"):
        return set(range(7))
    days: set[int] = set()
    for part in field_text.upper().split(","):
        lo, _, hi = part.partition("-")
        a = DAYS.get(lo) if not lo.isdigit() else int(lo) % 7
        b = (DAYS.get(hi) if not hi.isdigit() else int(hi) % 7) if hi else a
        if a is None or b is None:
            raise ValueError(f"cannot read cron days {field_text!r}")
        d = a
        while True:
            days.add(d)
            if d == b:
                break
            d = (d + 1) % 7
    return days


def running_fraction(group: Resource, schedules: list[Resource]) -> tuple[float, float]:
    """(average running instances, fraction of the week the group is at its desired size).

    Simulates the scheduled actions over a week of hours (minute resolution is not needed: the
    schedules here act on the hour). Without schedules the group runs its desired capacity always.
    """
    desired = _num(group.values.get("desired_capacity"), _num(group.values.get("min_size"), 1))
    if not schedules:
        return desired, 1.0
    events = []  # (hour of week, capacity)
    for s in schedules:
        parts = str(s.values.get("recurrence", "")).split()
        if len(parts) != 5:
            raise ValueError(f"{s.path}: cannot read recurrence {s.values.get('recurrence')!r}")
        _minute, hour, _, _, dow = parts
        for d in _cron_days(dow):
            events.append((d * 24 + int(hour), _num(s.values.get("desired_capacity"), desired)))
    events.sort()
    state = events[-1][1]  # the week wraps: the last action of the week is in force at its start
    total = 0.0
    for h in range(168):
        for when, cap in events:
            if when == h:
                state = cap
        total += state
    average = total / 168
    return average, (average / desired if desired else 0.0)


def price_environment(env: str, stacks: list[Stack], prices: Prices, usage: Usage) -> tuple[list[Line], list[Line]]:
    """(priced lines, not-priced lines). Raises KeyError for a type in no list."""
    H = prices.hours
    index = _by_key(stacks)
    referrers: dict[tuple[str, str, str], list[Resource]] = {}
    for s in stacks:
        for r in s.resources:
            for ref in r.refs:
                referrers.setdefault(ref, []).append(r)
    lines: list[Line] = []
    not_priced: list[Line] = []
    unknown: list[str] = []

    for stack in stacks:
        for r in stack.resources:
            v, reg, t = r.values, r.region, r.type
            line = Line(stack.name, r.address, t, reg)
            add = line.parts.append
            if t in NOT_PRICED:
                line.note = NOT_PRICED[t]
                not_priced.append(line)
                continue
            if t in FREE:
                continue
            if t == "aws_nat_gateway":
                add(("hours", prices("vpc.nat_gateway_hour", reg) * H))
                gb = usage.get("nat_gateway", "gb_processed", r)
                add((f"{gb:g} GB processed", prices("vpc.nat_gateway_gb", reg) * gb))
            elif t == "aws_eip":
                add(("public IPv4 hours", prices("vpc.public_ipv4_hour", reg) * H))
            elif t == "aws_vpc_endpoint":
                if v.get("vpc_endpoint_type", "Gateway") != "Interface":
                    continue  # gateway endpoints (S3, DynamoDB) are free
                azs = len(v.get("subnet_ids") or []) or 1
                add((f"{azs} AZ x hours", prices("vpc.interface_endpoint_hour", reg) * H * azs))
                gb = usage.get("interface_endpoint", "gb_processed", r)
                add((f"{gb:g} GB processed", prices("vpc.interface_endpoint_gb", reg) * gb))
            elif t == "aws_lb":
                kind = "nlb" if v.get("load_balancer_type") == "network" else "alb"
                lcu = usage.get("load_balancer", f"{kind}_lcu", r)
                add(("hours", prices(f"elb.{kind}_hour", reg) * H))
                add((f"{lcu:g} LCU average", prices(f"elb.{kind}_lcu_hour", reg) * H * lcu))
            elif t == "aws_ecs_service":
                task = next((index[x] for x in r.refs if x[1] == "aws_ecs_task_definition"), None)
                if task is None:
                    raise KeyError(f"{r.path}: ECS service without a task definition in this environment")
                vcpu = _num(task.values.get("cpu")) / 1024
                mem = _num(task.values.get("memory")) / 1024
                override = usage.raw.get("fargate", {}).get("average_tasks")
                tasks = _num(override) if override is not None else _num(v.get("desired_count"), 1)
                strategy = v.get("capacity_provider_strategy") or []
                base = sum(_num(s.get("base")) for s in strategy if s.get("capacity_provider") == "FARGATE")
                w_od = sum(_num(s.get("weight")) for s in strategy if s.get("capacity_provider") == "FARGATE")
                w_spot = sum(_num(s.get("weight")) for s in strategy if s.get("capacity_provider") == "FARGATE_SPOT")
                if strategy and w_od + w_spot > 0:
                    on_demand = min(base, tasks) + max(tasks - base, 0) * w_od / (w_od + w_spot)
                else:
                    on_demand = tasks
                spot = tasks - on_demand
                per_task = f"{vcpu:g} vCPU/{mem:g} GB"
                add(
                    (
                        f"{on_demand:g} on-demand task(s) of {per_task}",
                        on_demand
                        * H
                        * (vcpu * prices("fargate.vcpu_hour", reg) + mem * prices("fargate.gb_hour", reg)),
                    )
                )
                if spot > 0:
                    add(
                        (
                            f"{spot:g} spot task(s)",
                            spot
                            * H
                            * (
                                vcpu * prices("fargate_spot.vcpu_hour", reg) + mem * prices("fargate_spot.gb_hour", reg)
                            ),
                        )
                    )
            elif t == "aws_rds_cluster":
                gb = usage.get("aurora", "storage_gb", r)
                io = usage.get("aurora", "io_million", r)
                add((f"{gb:g} GB storage", prices("aurora.storage_gb_month", reg) * gb))
                add((f"{io:g} M I/O", prices("aurora.io_million", reg) * io))
            elif t == "aws_rds_cluster_instance":
                if v.get("instance_class") != "db.serverless":
                    raise KeyError(f"{r.path}: provisioned instance class {v.get('instance_class')} has no row")
                cluster = next((index[x] for x in r.refs if x[1] == "aws_rds_cluster"), None)
                scaling = (cluster.values.get("serverlessv2_scaling_configuration") or {}) if cluster else {}
                if isinstance(scaling, list):
                    scaling = scaling[0] if scaling else {}
                acu = _num(scaling.get("min_capacity"), 0.5) + usage.get("aurora", "average_acu_above_min", r)
                add((f"{acu:g} ACU average", prices("aurora.acu_hour", reg) * H * acu))
            elif t == "aws_elasticache_replication_group":
                nodes = _num(v.get("num_cache_clusters")) or (
                    _num(v.get("num_node_groups"), 1) * (1 + _num(v.get("replicas_per_node_group")))
                )
                node = v.get("node_type")
                add((f"{nodes:g} x {node}", prices(f"elasticache.{node}", reg) * H * nodes))
            elif t == "aws_autoscaling_group":
                mip = v.get("mixed_instances_policy") or {}
                if isinstance(mip, list):
                    mip = mip[0] if mip else {}
                template = next((index[x] for x in r.refs if x[1] == "aws_launch_template"), None)
                itype = (template.values.get("instance_type") if template else None) or "unknown"
                schedules = [x for x in referrers.get(r.key, []) if x.type == "aws_autoscaling_schedule"]
                average, _ = running_fraction(r, schedules)
                dist = mip.get("instances_distribution") or {}
                if isinstance(dist, list):
                    dist = dist[0] if dist else {}
                if mip:
                    od_base = _num(dist.get("on_demand_base_capacity"))
                    od_pct = _num(dist.get("on_demand_percentage_above_base_capacity"), 100) / 100
                    on_demand = min(od_base, average) + max(average - od_base, 0) * od_pct
                else:
                    on_demand = average
                spot = average - on_demand
                hourly = prices(f"ec2.{itype}", reg)
                sched = " (scheduled)" if schedules else ""
                if on_demand:
                    add((f"{on_demand:.2f} x {itype} on-demand{sched}", hourly * H * on_demand))
                if spot:
                    add((f"{spot:.2f} x {itype} spot{sched}", hourly * prices("ec2.spot_fraction", reg) * H * spot))
                gb = 0.0
                for bdm in (template.values.get("block_device_mappings") or []) if template else []:
                    ebs = bdm.get("ebs") or {}
                    if isinstance(ebs, list):
                        ebs = ebs[0] if ebs else {}
                    if ebs.get("volume_type", "gp3") != "gp3":
                        raise KeyError(f"{template.path}: volume type {ebs.get('volume_type')} has no row")
                    gb += _num(ebs.get("volume_size"), 8)
                if gb:
                    add((f"{gb:g} GB gp3 x {average:.2f} hosts", prices("ebs.gp3_gb_month", reg) * gb * average))
            elif t == "aws_kms_key":
                req = usage.get("kms", "requests_10k", r)
                add(("key", prices("kms.key_month", reg)))
                add((f"{req:g}x10k requests", prices("kms.requests_10k", reg) * req))
            elif t == "aws_wafv2_web_acl":
                rules = len(v.get("rule") or [])
                req = usage.get("waf", "requests_million", r)
                add(("web ACL", prices("waf.web_acl_month", reg)))
                add((f"{rules} rules", prices("waf.rule_month", reg) * rules))
                add((f"{req:g} M requests", prices("waf.requests_million", reg) * req))
            elif t == "aws_api_gateway_rest_api":
                req = usage.get("api", "requests_million", r)
                add((f"{req:g} M requests", prices("apigateway.rest_requests_million", reg) * req))
            elif t == "aws_api_gateway_stage":
                if str(v.get("cache_cluster_enabled")).lower() == "true":
                    size = str(v.get("cache_cluster_size"))
                    add((f"cache {size} GB", prices(f"apigateway.cache_{size}_hour", reg) * H))
            elif t == "aws_cloudfront_distribution":
                gb = usage.get("cloudfront", "gb_out", r)
                req = usage.get("cloudfront", "requests_million", r)
                add((f"{gb:g} GB out", prices("cloudfront.gb_out", reg) * gb))
                add((f"{req:g} M HTTPS requests", prices("cloudfront.https_requests_10k", reg) * req * 100))
            elif t == "aws_cloudwatch_metric_alarm":
                metrics = 1 if v.get("metric_name") else sum(1 for q in v.get("metric_query") or [] if q.get("metric"))
                add((f"{max(metrics, 1)} metric(s)", prices("cloudwatch.alarm_metric_month", reg) * max(metrics, 1)))
            elif t == "aws_cloudwatch_dashboard":
                add(("dashboard", prices("cloudwatch.dashboard_month", reg)))
            elif t == "aws_cloudwatch_log_group":
                gb = usage.get("logs", "ingest_gb", r)
                days = _num(v.get("retention_in_days"))
                months = min(days / 30, 12) if days else 12  # never-expiring: a year's volume
                add((f"{gb:g} GB ingested", prices("cloudwatch.logs_ingest_gb", reg) * gb))
                add(
                    (
                        f"{gb * months:.1f} GB stored ({int(days) or 'no'} day retention)",
                        prices("cloudwatch.logs_storage_gb_month", reg) * gb * months,
                    )
                )
            elif t == "aws_secretsmanager_secret":
                calls = usage.get("secrets", "api_10k", r)
                add(("secret", prices("secretsmanager.secret_month", reg)))
                add((f"{calls:g}x10k API calls", prices("secretsmanager.api_10k", reg) * calls))
            elif t == "aws_config_configuration_recorder":
                items = usage.get("config", "items", r)
                mode = _one(v.get("recording_mode")) or {}
                daily = str(mode.get("recording_frequency", "CONTINUOUS")).upper() == "DAILY"
                add(
                    (
                        f"{items:g} configuration items{' (daily)' if daily else ''}",
                        prices("config.item_daily" if daily else "config.item", reg) * items,
                    )
                )
            elif t == "aws_config_config_rule":
                ev = usage.get("config", "evaluations_per_rule", r)
                add((f"{ev:g} evaluations", prices("config.rule_evaluation", reg) * ev))
            elif t == "aws_backup_vault":
                gb = usage.get("backup", "storage_gb", r)
                add((f"{gb:g} GB backups", prices("backup.warm_gb_month", reg) * gb))
            elif t == "aws_backup_plan":
                copies = [c for rule in v.get("rule") or [] for c in rule.get("copy_action") or []]
                if copies:
                    gb = usage.get("backup", "copy_gb", r)
                    add((f"{gb:g} GB copied to the DR region", prices("backup.cross_region_gb", reg) * gb))
            elif t == "aws_s3_bucket":
                gb = usage.get("s3", "storage_gb", r)
                puts = usage.get("s3", "put_thousands", r)
                add((f"{gb:g} GB stored", prices("s3.standard_gb_month", reg) * gb))
                add((f"{puts:g}k PUT/LIST", prices("s3.put_1k", reg) * puts))
            elif t == "aws_s3_bucket_replication_configuration":
                gb = usage.get("replication", "gb", r)
                rtc = "replication_time" in json.dumps(v.get("rule"))
                add((f"{gb:g} GB replicated", prices("s3.replication_gb", reg) * gb))
                if rtc:
                    add(("Replication Time Control", prices("s3.rtc_gb", reg) * gb))
            elif t == "aws_dynamodb_table":
                gb = usage.get("dynamodb", "storage_gb", r)
                writes = usage.get("dynamodb", "write_million", r)
                add((f"{gb:g} GB", prices("dynamodb.storage_gb_month", reg) * gb))
                add((f"{writes:g} M writes", prices("dynamodb.write_million", reg) * writes))
            elif t == "aws_lambda_function":
                inv = usage.get("lambda", "invocations_million", r)
                ms = usage.get("lambda", "average_duration_ms", r)
                mem = _num(v.get("memory_size"), 128) / 1024
                gbs = inv * 1e6 * ms / 1000 * mem
                add((f"{inv:g} M invocations", prices("lambda.requests_million", reg) * inv))
                add((f"{gbs:,.0f} GB-s", prices("lambda.gb_second", reg) * gbs))
            elif t == "aws_ecr_repository":
                gb = usage.get("ecr", "storage_gb", r)
                add((f"{gb:g} GB images", prices("ecr.storage_gb_month", reg) * gb))
            elif t == "aws_route53_zone":
                q = usage.get("route53", "queries_million", r)
                add(("hosted zone", prices("route53.zone_month", reg)))
                add((f"{q:g} M queries", prices("route53.queries_million", reg) * q))
            elif t == "aws_cognito_user_pool":
                mau = usage.get("cognito", "mau", r)
                add_ons = v.get("user_pool_add_ons") or {}
                if isinstance(add_ons, list):
                    add_ons = add_ons[0] if add_ons else {}
                tier = str(v.get("user_pool_tier") or "").upper()
                if not tier:  # threat protection exists only on PLUS (the provider's default is ESSENTIALS)
                    tier = "PLUS" if add_ons.get("advanced_security_mode") in ("ENFORCED", "AUDIT") else "ESSENTIALS"
                if tier == "PLUS":
                    add((f"{mau:g} MAU (Plus)", prices("cognito.plus_mau", reg) * mau))
                else:
                    add(
                        (
                            f"{mau:g} MAU (Essentials, 10,000 free)",
                            prices("cognito.essentials_mau", reg) * max(mau - 10000, 0),
                        )
                    )
            elif t == "aws_ssm_parameter":
                if str(v.get("tier", "Standard")) == "Advanced":
                    add(("Advanced parameter", prices("ssm.advanced_parameter_month", reg)))
            else:
                unknown.append(t)
                continue
            if line.parts:
                lines.append(line)
    if unknown:
        raise KeyError(
            "resource types in no list of scripts/cost.py: "
            + ", ".join(sorted(set(unknown)))
            + ". Price them (a row in cost/prices.yaml and a branch in price_environment), or add them to"
            " FREE or NOT_PRICED with the reason"
        )
    return lines, not_priced


def budgets(stacks: list[Stack]) -> list[dict]:
    """Each aws_budgets_budget: its monthly limit and the lowest ACTUAL alert threshold."""
    found = []
    for s in stacks:
        for r in s.resources:
            if r.type != "aws_budgets_budget":
                continue
            actual = [
                n
                for n in r.values.get("notification") or []
                if n.get("notification_type") == "ACTUAL" and n.get("threshold_type", "PERCENTAGE") == "PERCENTAGE"
            ]
            found.append(
                {
                    "stack": s.name,
                    "address": r.address,
                    "limit": _num(r.values.get("limit_amount")),
                    "lowest_actual_alert_percent": min((_num(n.get("threshold")) for n in actual), default=100.0),
                }
            )
    return found


def estimate(env: str, outdir: Path | None = None, plan_dir: Path | None = None) -> dict:
    stacks = load_environment(env, outdir, plan_dir)
    prices = Prices()
    lines, not_priced = price_environment(env, stacks, prices, Usage(env))
    per_stack: dict[str, float] = {}
    for line in lines:
        per_stack[line.stack] = per_stack.get(line.stack, 0.0) + line.monthly
    total = sum(per_stack.values())
    checks = []
    for b in budgets(stacks):
        alert_at = b["limit"] * b["lowest_actual_alert_percent"] / 100
        checks.append({**b, "alert_at": round(alert_at, 2), "estimate": round(total, 2), "ok": alert_at >= total})
    return {
        "environment": env,
        "currency": "USD",
        "prices_reviewed": prices.reviewed,
        "usage_file": str(Usage(env).path.relative_to(REPO_ROOT)),
        "planned_stacks": sorted(s.name for s in stacks if s.planned),
        "total_monthly": round(total, 2),
        "stacks": {k: round(v, 2) for k, v in sorted(per_stack.items())},
        "resources": [
            {
                "stack": ln.stack,
                "address": ln.address,
                "type": ln.type,
                "region": ln.region,
                "monthly": round(ln.monthly, 2),
                "parts": [{"what": w, "monthly": round(c, 2)} for w, c in ln.parts],
            }
            for ln in sorted(lines, key=lambda x: (x.stack, -x.monthly, x.address))
        ],
        "not_priced": [
            {"stack": ln.stack, "address": ln.address, "type": ln.type, "why": ln.note} for ln in not_priced
        ],
        "budgets": checks,
    }


def render_text(report: dict) -> str:
    out = [
        f"Monthly cost estimate: {report['environment']} (USD, list prices reviewed {report['prices_reviewed']}, "
        f"usage from {report['usage_file']})"
    ]
    if report["planned_stacks"]:
        out.append("from plan JSON: " + ", ".join(report["planned_stacks"]))
    by_stack: dict[str, list[dict]] = {}
    for r in report["resources"]:
        by_stack.setdefault(r["stack"], []).append(r)
    for stack, total in report["stacks"].items():
        out.append("")
        out.append(f"{stack:<60} {total:>10,.2f}")
        for r in by_stack.get(stack, []):
            parts = "; ".join(f"{p['what']} {p['monthly']:.2f}" for p in r["parts"])
            out.append(f"  {r['address'][:56]:<58} {r['monthly']:>10,.2f}  {parts}")
    out.append("")
    out.append(f"{'TOTAL ' + report['environment']:<60} {report['total_monthly']:>10,.2f}")
    if report["not_priced"]:
        out.append("")
        out.append("not priced (charged by AWS, not modelled here):")
        for n in report["not_priced"]:
            out.append(f"  {n['stack']}: {n['address']} ({n['why']})")
    for b in report["budgets"]:
        verdict = "ok" if b["ok"] else "TOO LOW: the alert would fire every month"
        out.append(
            f"budget {b['address']}: ${b['limit']:,.2f}, first alert at ${b['alert_at']:,.2f} "
            f"vs estimate ${b['estimate']:,.2f}: {verdict}"
        )
    return "\n".join(out)


# ---- change between two versions of the code -----------------------------------------------------


def base_outdir(env: str, ref: str) -> Path:
    """Synthesize environment `env` at git `ref` (once per commit) and return its cdktf.out.

    The base's files come from `git archive` (no worktree, nothing in .git changes) and are
    synthesized with this checkout's Python and node_modules, so nothing is installed twice.
    Results are kept under .build/base/<commit>/<env>/.
    """
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"],
        cwd=REPO_ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    if sha.returncode != 0:
        raise SystemExit(f"error: git ref {ref!r} not found (in CI, fetch it first: git fetch origin main)")
    commit = sha.stdout.strip()
    outdir = BUILD_DIR / "base" / commit / env / "cdktf.out"
    if (outdir / "manifest.json").is_file():
        return outdir
    outdir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="base-") as tmp:
        tree = Path(tmp)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit], cwd=REPO_ROOT, check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        if (REPO_ROOT / "node_modules").exists():  # jsii runs on node; share this checkout's install
            (tree / "node_modules").symlink_to(REPO_ROOT / "node_modules")
        run_env = {**os.environ, "CDKTF_ENV": env, "CDKTF_OUTDIR": str(outdir)}
        done = subprocess.run([sys.executable, "main.py"], cwd=tree, env=run_env, check=False)
        if done.returncode != 0:
            shutil.rmtree(outdir, ignore_errors=True)
            raise SystemExit(f"error: synth of {ref} ({commit[:12]}) failed with exit {done.returncode}; see above")
    return outdir


def diff(base: dict, head: dict) -> dict:
    def by_addr(rep):
        return {(r["stack"], r["address"]): r["monthly"] for r in rep["resources"]}

    b, h = by_addr(base), by_addr(head)
    changes = []
    for key in sorted(set(b) | set(h)):
        delta = h.get(key, 0.0) - b.get(key, 0.0)
        if abs(delta) >= 0.005:
            changes.append(
                {"stack": key[0], "address": key[1], "base": b.get(key), "head": h.get(key), "delta": round(delta, 2)}
            )
    changes.sort(key=lambda c: -abs(c["delta"]))
    return {
        "environment": head["environment"],
        "base_total": base["total_monthly"],
        "head_total": head["total_monthly"],
        "delta": round(head["total_monthly"] - base["total_monthly"], 2),
        "changes": changes,
    }


def render_diff(d: dict, limit: int = 15) -> str:
    out = [f"{d['environment']}: ${d['base_total']:,.2f} -> ${d['head_total']:,.2f} per month ({d['delta']:+,.2f})"]
    for c in d["changes"][:limit]:
        was = "new" if c["base"] is None else f"{c['base']:,.2f}"
        now = "removed" if c["head"] is None else f"{c['head']:,.2f}"
        out.append(f"  {c['delta']:+10,.2f}  {c['stack']}: {c['address']} ({was} -> {now})")
    if len(d["changes"]) > limit:
        out.append(f"  ... and {len(d['changes']) - limit} more")
    return "\n".join(out)


def base_estimate(env: str, ref: str) -> dict:
    # Plan JSON belongs to the working tree's code, never to the base.
    return estimate(env, base_outdir(env, ref), plan_dir=BUILD_DIR / "no-plans")


def render_pr(reports: list[dict], diffs: dict[str, dict]) -> str:
    out = [
        MARKER,
        "## Monthly cost estimate",
        "",
        f"List prices reviewed {reports[0]['prices_reviewed'] if reports else '?'} "
        "(`cost/prices.yaml`), usage from `cost/usage/<env>.yaml`; see `docs/cost.md`.",
        "",
        "| environment | monthly | change vs base | budget first alert |",
        "|---|---:|---:|---:|",
    ]
    for rep in reports:
        d = diffs.get(rep["environment"])
        change = f"{d['delta']:+,.2f}" if d else "n/a"
        alert = ", ".join(f"${b['alert_at']:,.0f}{'' if b['ok'] else ' **too low**'}" for b in rep["budgets"]) or "-"
        out.append(f"| {rep['environment']} | ${rep['total_monthly']:,.2f} | {change} | {alert} |")
    for env, d in diffs.items():
        if d["changes"]:
            out += [
                "",
                f"<details><summary>{env}: largest changes</summary>",
                "",
                "| change | stack | resource | before | after |",
                "|---:|---|---|---:|---:|",
            ]
            for c in d["changes"][:10]:
                out.append(
                    f"| {c['delta']:+,.2f} | {c['stack']} | `{c['address']}` | "
                    f"{'new' if c['base'] is None else format(c['base'], ',.2f')} | "
                    f"{'removed' if c['head'] is None else format(c['head'], ',.2f')} |"
                )
            out += ["", "</details>"]
    unpriced = sorted({n["type"] for rep in reports for n in rep["not_priced"]})
    if unpriced:
        out += ["", "Not priced (charged by AWS, not modelled): " + ", ".join(f"`{t}`" for t in unpriced)]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("env", nargs="+", help="environment name(s), or `pr ENV...` for the PR comment")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--base", help="git ref to compare with (synthesized into a temporary worktree)")
    parser.add_argument("--out", help="also write the output to this file")
    args = parser.parse_args(argv)
    envs = args.env
    try:
        if envs[0] == "pr":
            reports = [estimate(e) for e in envs[1:]]
            diffs = (
                {rep["environment"]: diff(base_estimate(rep["environment"], args.base), rep) for rep in reports}
                if args.base
                else {}
            )
            text = render_pr(reports, diffs)
        else:
            chunks = []
            for e in envs:
                rep = estimate(e)
                if args.base:
                    d = diff(base_estimate(e, args.base), rep)
                    chunks.append(json.dumps(d, indent=2) if args.json else render_diff(d))
                else:
                    chunks.append(json.dumps(rep, indent=2) if args.json else render_text(rep))
            text = "\n\n".join(chunks) + "\n"
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
