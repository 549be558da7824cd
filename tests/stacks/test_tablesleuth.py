"""TableSleuth stacks of every environment, from the session's single synthesis: the seed's own
test ideas (VPC range, encrypted EBS, no wildcard IAM actions, no SSH), spot on and off, the
user data, the schedules, the front door and its sign-in, alarms, no backup, the AMI and the secret."""

from __future__ import annotations

import base64
import json
import subprocess

import pytest

from environments.loader import available_environments
from modules.compute_fleet import (
    EMULATOR_LAUNCH_TEMPLATE_DRIFT,
    EMULATOR_TARGET_TRACKING_DRIFT,
    SPOT_ALLOCATION_STRATEGY,
)
from modules.image_pipeline import AL2023_PARAMETER
from scripts.toolchain import project_tool
from stacks.tablesleuth.host import ami_parameter_name, public_hostname, secret_name
from tests.conftest import resources

ENVS = available_environments()


def _regions(env) -> list[str]:
    return list(env.networks["tablesleuth"])


def _host(stack_json, env, region=None):
    return stack_json(f"{env.name}-tablesleuth-{region or env.primary_region}")


def _network(stack_json, env, region=None):
    return stack_json(f"{env.name}-tablesleuth-network-{region or env.primary_region}")


def _one(stack, kind):
    (found,) = resources(stack, kind)
    return found


def _stack_names(env):
    for region in _regions(env):
        yield f"{env.name}-tablesleuth-network-{region}"
        yield f"{env.name}-tablesleuth-{region}"


def test_prod_runs_in_three_regions_each_with_network_and_host(manifest, environments):
    prod = environments["prod"]
    assert _regions(prod) == ["us-east-2", "us-west-2", "eu-west-1"]
    for region in _regions(prod):
        assert f"prod-tablesleuth-network-{region}" in manifest
        host = f"prod-tablesleuth-{region}"
        assert host in manifest
        # The host reads its VPC from its own region's network stack, and its Session Manager
        # key and log group from its own region's baseline; nothing from another region.
        assert sorted(manifest[host]["dependencies"]) == [
            f"prod-baseline-{region}",
            f"prod-tablesleuth-network-{region}",
        ]


def test_every_environment_has_its_tablesleuth_stacks(manifest, environments):
    for env in environments.values():
        for name in _stack_names(env):
            assert name in manifest


@pytest.mark.parametrize("env_name", ENVS)
def test_vpc_is_the_seeds_range_in_the_primary_region(env_name, environments, stack_json):
    env = environments[env_name]
    vpc = _one(_network(stack_json, env), "aws_vpc")
    assert vpc["cidr_block"] == "10.10.0.0/16"
    # Other regions take their own, non-overlapping ranges.
    for region in _regions(env):
        cidr = _one(_network(stack_json, env, region), "aws_vpc")["cidr_block"]
        assert cidr == str(env.networks["tablesleuth"][region].cidr)


@pytest.mark.parametrize("env_name", ENVS)
def test_ebs_is_encrypted_with_the_hosts_key(env_name, environments, stack_json):
    env = environments[env_name]
    for region in _regions(env):
        template = _one(_host(stack_json, env, region), "aws_launch_template")
        (device,) = template["block_device_mappings"]
        ebs = device["ebs"]
        assert ebs["encrypted"] == "true"
        assert ebs["kms_key_id"].startswith("${aws_kms_key.host-key_")
        assert ebs["volume_type"] == "gp3"
        assert ebs["volume_size"] == env.tablesleuth.root_volume_gb == 30
        # IMDSv2 with one hop, detailed monitoring, no key pair.
        assert template["metadata_options"] == {
            "http_endpoint": "enabled",
            "http_put_response_hop_limit": 1,
            "http_tokens": "required",
        }
        assert template["monitoring"] == {"enabled": True}
        assert "key_name" not in template
        assert {spec["resource_type"] for spec in template["tag_specifications"]} == {"instance", "volume"}


def _attached_policy_documents(stack) -> list[dict]:
    """The policy documents attached to IAM roles (inline), not KMS key or resource policies."""
    documents = stack.get("data", {}).get("aws_iam_policy_document", {})
    attached = []
    for policy in resources(stack, "aws_iam_role_policy"):
        name = policy["policy"].removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
        attached.append(documents[name])
    return attached


@pytest.mark.parametrize("env_name", ENVS)
def test_no_iam_statement_allows_wildcard_actions(env_name, environments, stack_json):
    env = environments[env_name]
    for name in _stack_names(env):
        stack = stack_json(name)
        documents = _attached_policy_documents(stack)
        if name.endswith(tuple(f"tablesleuth-{r}" for r in _regions(env))):
            # The host role, and the rotation function where rotation is on.
            assert len(documents) >= 1 + (env.tablesleuth.password_rotation_days is not None)
        for document in documents:
            for statement in document["statement"]:
                assert not any("*" in action for action in statement["actions"]), (name, statement)


def _ingress_rules(stack) -> list[dict]:
    rules = list(resources(stack, "aws_vpc_security_group_ingress_rule"))
    rules.extend(r for r in resources(stack, "aws_security_group_rule") if r["type"] == "ingress")
    for group in resources(stack, "aws_security_group"):
        rules.extend(group.get("ingress") or [])
    return rules


def _covers(rule: dict, port: int) -> bool:
    if rule.get("ip_protocol", rule.get("protocol")) in ("-1", "all"):
        return True
    return int(rule["from_port"]) <= port <= int(rule["to_port"])


@pytest.mark.parametrize("env_name", ENVS)
def test_no_security_group_allows_ssh_at_all(env_name, environments, stack_json):
    env = environments[env_name]
    for name in _stack_names(env):
        rules = _ingress_rules(stack_json(name))
        assert rules, name
        # Session Manager replaces SSH: port 22 is open to nobody, 0.0.0.0/0 least of all.
        assert not [r for r in rules if _covers(r, 22)], name
        assert not [r for r in rules if "0.0.0.0/0" in [r.get("cidr_ipv4"), *r.get("cidr_blocks", [])]], name


@pytest.mark.parametrize("env_name", ENVS)
def test_flight_sql_is_reachable_from_no_network(env_name, environments, stack_json):
    """GizmoSQL listens on 127.0.0.1 (the unit's --hostname), so its password never crosses the
    network in clear text; no security group rule may open its port either."""
    env = environments[env_name]
    for region in _regions(env):
        stack = _host(stack_json, env, region)
        assert not [r for r in _ingress_rules(stack) if _covers(r, env.tablesleuth.flight_sql_port)]
        # The only way in to a host is the app port from the load balancer.
        assert [(r["from_port"], r["to_port"]) for r in _ingress_rules(stack) if "source_security_group_id" in r] == [
            (env.tablesleuth.app_port, env.tablesleuth.app_port)
        ]
        assert "--hostname ${GIZMOSQL_HOSTNAME}" in _user_data(stack)
        assert "GIZMOSQL_HOSTNAME=127.0.0.1" in _user_data(stack)


def test_spot_on_is_a_capacity_optimized_mixed_instances_policy(environments, stack_json):
    env = environments["dev"]
    assert env.tablesleuth.use_spot
    group = _one(_host(stack_json, env), "aws_autoscaling_group")
    assert "launch_template" not in group
    policy = group["mixed_instances_policy"]
    assert policy["instances_distribution"] == {
        "on_demand_base_capacity": 0,
        "on_demand_percentage_above_base_capacity": 0,
        "spot_allocation_strategy": SPOT_ALLOCATION_STRATEGY,
    }
    overrides = [o["instance_type"] for o in policy["launch_template"]["override"]]
    assert overrides == env.tablesleuth.instance_types
    assert len(overrides) >= 2


def test_spot_off_is_a_plain_launch_template_group(environments, stack_json):
    env = environments["prod"]
    assert not env.tablesleuth.use_spot
    for region in _regions(env):
        group = _one(_host(stack_json, env, region), "aws_autoscaling_group")
        assert "mixed_instances_policy" not in group
        assert group["launch_template"]["id"].startswith("${aws_launch_template.")
        assert _one(_host(stack_json, env, region), "aws_launch_template")["instance_type"] == "m5.large"


@pytest.mark.parametrize("env_name", ENVS)
def test_group_sizes_health_checks_refresh_and_cpu_target(env_name, environments, stack_json):
    env = environments[env_name]
    cfg = env.tablesleuth
    stack = _host(stack_json, env)
    group = _one(stack, "aws_autoscaling_group")
    assert (group["min_size"], group["max_size"], group["desired_capacity"]) == (
        cfg.min_size,
        cfg.max_size,
        cfg.desired_capacity,
    )
    assert group["health_check_type"] == "ELB"
    assert group["instance_refresh"]["strategy"] == "Rolling"
    assert len(group["vpc_zone_identifier"]) == env.networks["tablesleuth"][env.primary_region].az_count
    assert all("private-subnet" in subnet for subnet in group["vpc_zone_identifier"])
    policy = _one(stack, "aws_autoscaling_policy")
    tracking = policy["target_tracking_configuration"]
    assert tracking["target_value"] == 70
    assert tracking["predefined_metric_specification"]["predefined_metric_type"] == "ASGAverageCPUUtilization"
    # The emulator hook exists only where the emulator does.
    ignored = policy.get("lifecycle", {}).get("ignore_changes")
    assert ignored == (list(EMULATOR_TARGET_TRACKING_DRIFT) if env.local_aws else None)
    template = _one(stack, "aws_launch_template")
    assert template.get("lifecycle", {}).get("ignore_changes") == (
        list(EMULATOR_LAUNCH_TEMPLATE_DRIFT) if env.local_aws else None
    )


def _user_data(stack) -> str:
    return base64.b64decode(_one(stack, "aws_launch_template")["user_data"]).decode()


@pytest.mark.parametrize("env_name", ENVS)
def test_user_data_renders_and_passes_bash_n(env_name, environments, stack_json, tmp_path):
    env = environments[env_name]
    for region in _regions(env):
        script = _user_data(_host(stack_json, env, region))
        assert "@@" not in script
        assert "${TfToken" not in script  # fixed text, nothing left for Terraform to resolve
        assert f"GIZMOSQL_SECRET_ID={secret_name(env, region)}" in script
        assert f'GIZMOSQL_VERSION="{env.tablesleuth.gizmosql_version}"' in script
        assert "aws secretsmanager get-secret-value" in script
        assert "amazon-cloudwatch-agent-ctl" in script and '"used_percent"' in script
        assert "systemctl enable --now gizmosql.service tablesleuth.service" in script
        path = tmp_path / f"{env_name}-{region}.sh"
        path.write_text(script)
        result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert len(script.encode()) < 16 * 1024  # EC2's user-data limit


def test_user_data_passes_shellcheck(environments, stack_json, tmp_path):
    path = tmp_path / "user-data.sh"
    path.write_text(_user_data(_host(stack_json, environments["dev"])))
    result = subprocess.run(
        [project_tool("shellcheck"), "-S", "warning", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("env_name", ENVS)
def test_schedules_carry_their_time_zone(env_name, environments, stack_json):
    env = environments[env_name]
    schedule = env.tablesleuth.schedule
    stack = _host(stack_json, env)
    actions = {a["scheduled_action_name"].rsplit("-", 1)[1]: a for a in resources(stack, "aws_autoscaling_schedule")}
    group = _one(stack, "aws_autoscaling_group")
    if not schedule.enabled:
        assert actions == {}
        assert group["lifecycle"]["ignore_changes"] == ["desired_capacity"]
        return
    assert set(actions) == {"stop", "start"}
    assert all(a["time_zone"] == schedule.timezone for a in actions.values())
    hour, minute = schedule.stop_at.split(":")
    assert actions["stop"]["recurrence"] == f"{int(minute)} {int(hour)} * * {schedule.days}"
    assert (actions["stop"]["min_size"], actions["stop"]["max_size"], actions["stop"]["desired_capacity"]) == (0, 0, 0)
    assert actions["start"]["desired_capacity"] == env.tablesleuth.desired_capacity
    # The schedule owns the sizes between stop and start; Terraform must not put them back.
    assert group["lifecycle"]["ignore_changes"] == ["desired_capacity", "min_size", "max_size"]


def test_dev_stops_at_six_and_prod_never(environments, stack_json):
    dev = {
        a["scheduled_action_name"]: a
        for a in resources(_host(stack_json, environments["dev"]), "aws_autoscaling_schedule")
    }
    assert dev["dev-tablesleuth-us-east-2-stop"]["recurrence"] == "0 18 * * MON-FRI"
    assert dev["dev-tablesleuth-us-east-2-stop"]["time_zone"] == "America/Chicago"
    assert resources(_host(stack_json, environments["prod"]), "aws_autoscaling_schedule") == []


@pytest.mark.parametrize("env_name", ENVS)
def test_front_door_is_https_tls13_with_redirect_and_health_check(env_name, environments, stack_json):
    env = environments[env_name]
    cfg = env.tablesleuth
    stack = _host(stack_json, env)
    alb = _one(stack, "aws_lb")
    assert alb["internal"] is (not cfg.public_alb)
    assert alb["drop_invalid_header_fields"] is True
    assert alb["access_logs"]["enabled"] is True
    assert alb["enable_deletion_protection"] is (not env.disposable)
    listeners = {listener["port"]: listener for listener in resources(stack, "aws_lb_listener")}
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["ssl_policy"].startswith("ELBSecurityPolicy-TLS13")
    assert listeners[80]["default_action"][0]["redirect"]["protocol"] == "HTTPS"
    group = _one(stack, "aws_lb_target_group")
    assert group["port"] == 8080
    assert (group["health_check"]["path"], group["health_check"]["interval"]) == ("/health", 30)
    web_acls = resources(stack, "aws_wafv2_web_acl")
    assert len(web_acls) == (1 if cfg.public_alb else 0)
    assert len(resources(stack, "aws_wafv2_web_acl_association")) == len(web_acls)


def test_a_public_alb_sits_in_public_subnets_behind_a_waf(environments, stack_json):
    env = environments["staging"]
    assert env.tablesleuth.public_alb
    stack = _host(stack_json, env)
    assert all("public-subnet" in s for s in _one(stack, "aws_lb")["subnets"])
    rules = {r["name"] for r in _one(stack, "aws_wafv2_web_acl")["rule"]}
    assert "AWSManagedRulesKnownBadInputsRuleSet" in rules
    assert [g["name"] for g in resources(stack, "aws_cloudwatch_log_group") if g["name"].startswith("aws-waf-logs-")]
    assert resources(stack, "aws_wafv2_web_acl_logging_configuration")


@pytest.mark.parametrize("env_name", ENVS)
def test_the_seeds_alarms_and_unhealthy_hosts_go_to_the_encrypted_topic(env_name, environments, stack_json):
    env = environments[env_name]
    stack = _host(stack_json, env)
    alarms = {
        a["alarm_name"].removeprefix(f"{env.name}-tablesleuth-{env.primary_region}-"): a
        for a in resources(stack, "aws_cloudwatch_metric_alarm")
    }
    assert set(alarms) == {"cpu-high", "disk-high", "status-check-failed", "unhealthy-hosts"}
    assert (alarms["cpu-high"]["threshold"], alarms["cpu-high"]["evaluation_periods"]) == (80, 2)
    assert (alarms["disk-high"]["namespace"], alarms["disk-high"]["metric_name"]) == ("CWAgent", "disk_used_percent")
    assert (alarms["disk-high"]["threshold"], alarms["disk-high"]["evaluation_periods"]) == (85, 2)
    assert alarms["status-check-failed"]["metric_name"] == "StatusCheckFailed"
    assert alarms["unhealthy-hosts"]["metric_name"] == "UnHealthyHostCount"
    topic = _one(stack, "aws_sns_topic")
    assert topic["kms_master_key_id"].startswith("${aws_kms_key.alerts-key_")
    assert all(
        a["alarm_actions"] == ["${aws_sns_topic.monitoring_topic_E9EA2C12.arn}"] for a in alarms.values()
    ) or all(a["alarm_actions"][0].startswith("${aws_sns_topic.monitoring_topic") for a in alarms.values())
    body = _one(stack, "aws_cloudwatch_dashboard")["dashboard_body"]
    for metric in (
        "CPUUtilization",
        "NetworkIn",
        "NetworkOut",
        "StatusCheckFailed",
        "disk_used_percent",
        "RequestCount",
        "HTTPCode_ELB_5XX_Count",
    ):
        assert metric in body


@pytest.mark.parametrize("env_name", ENVS)
def test_stateless_hosts_are_not_backed_up(env_name, environments, stack_json):
    """Nothing on a host is data (tables in S3/Glue, password in Secrets Manager, software in the
    AMI; the DuckDB file is scratch), and volumes die with every replacement and evening stop: a
    plan would snapshot the same root volume twice a day (as AMI and as volume, by one tag) and,
    in dev, run at 02:00 UTC when the schedule has scaled the group to zero."""
    env = environments[env_name]
    for region in _regions(env):
        stack = _host(stack_json, env, region)
        assert not [kind for kind in stack.get("resource", {}) if kind.startswith("aws_backup_")]
        for spec in _one(stack, "aws_launch_template")["tag_specifications"]:
            assert not [key for key in spec["tags"] if "backup" in key]
        volume = _one(stack, "aws_launch_template")["block_device_mappings"][0]["ebs"]
        assert volume["delete_on_termination"] == "true"


@pytest.mark.parametrize("env_name", ENVS)
def test_secret_has_no_value_in_config_and_only_the_host_role_reaches_it(env_name, environments, stack_json, synth_dir):
    env = environments[env_name]
    stack = _host(stack_json, env)
    secret = _one(stack, "aws_secretsmanager_secret")
    assert secret["name"] == secret_name(env, env.primary_region)
    assert secret["kms_key_id"].startswith("${aws_kms_key.secret-key_")
    # The value is written by the first host, so Terraform never has one.
    assert resources(stack, "aws_secretsmanager_secret_version") == []
    text = (synth_dir / "stacks" / f"{env.name}-tablesleuth-{env.primary_region}" / "cdk.tf.json").read_text()
    assert "secret_string" not in text
    documents = stack["data"]["aws_iam_policy_document"]
    host = documents["host-permissions"]["statement"]
    secret_statements = [s for s in host if any(a.startswith("secretsmanager:") for a in s["actions"])]
    assert [s["resources"] for s in secret_statements] == [["${aws_secretsmanager_secret.gizmosql-password.arn}"]]
    rotation = resources(stack, "aws_secretsmanager_secret_rotation")
    if env.tablesleuth.password_rotation_days is None:
        assert rotation == []
    else:
        (schedule,) = rotation
        assert schedule["rotation_rules"]["automatically_after_days"] == env.tablesleuth.password_rotation_days
        assert schedule["rotate_immediately"] is False


@pytest.mark.parametrize("env_name", ENVS)
def test_session_manager_role_and_endpoints(env_name, environments, stack_json):
    env = environments[env_name]
    attachments = {a["policy_arn"] for a in resources(_host(stack_json, env), "aws_iam_role_policy_attachment")}
    assert "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" in attachments
    endpoints = {
        e["service_name"].rsplit(".", 1)[1]
        for e in resources(_network(stack_json, env), "aws_vpc_endpoint")
        if e["vpc_endpoint_type"] == "Interface"
    }
    assert {"ssm", "ssmmessages", "ec2messages", "secretsmanager", "logs"} <= endpoints


@pytest.mark.parametrize("env_name", ENVS)
def test_ami_comes_from_the_pipeline_parameter_or_the_amazon_linux_fallback(env_name, environments, stack_json):
    env = environments[env_name]
    stack = _host(stack_json, env)
    template = _one(stack, "aws_launch_template")
    # Resolved by EC2 at each launch, not by a data source at plan time: a new AMI is picked up by
    # the next host, and is neither drift nor a reason to replace the running ones.
    assert "ami" not in stack.get("data", {}).get("aws_ssm_parameter", {})
    if env.tablesleuth.image_pipeline.enabled:
        assert template["image_id"] == "resolve:ssm:${aws_ssm_parameter.ami-parameter.name}"
        parameter = _one(stack, "aws_ssm_parameter")
        # Image Builder writes it as AWSServiceRoleForImageBuilder, which may put parameters only
        # under /imagebuilder/.
        assert parameter["name"] == ami_parameter_name(env, env.primary_region)
        assert parameter["name"].startswith("/imagebuilder/")
        assert parameter["data_type"] == "aws:ec2:image"
        assert parameter["lifecycle"]["ignore_changes"] == ["value"]
        (distribution,) = _one(stack, "aws_imagebuilder_distribution_configuration")["distribution"]
        assert distribution["ssm_parameter_configuration"][0]["parameter_name"] == parameter["name"]
        assert "execution_role" not in _one(stack, "aws_imagebuilder_image_pipeline")
        recipe = _one(stack, "aws_imagebuilder_image_recipe")
        assert "amazon-linux-2023" in recipe["parent_image"]
        infrastructure = _one(stack, "aws_imagebuilder_infrastructure_configuration")
        assert "private-subnet" in infrastructure["subnet_id"]
        assert _one(stack, "aws_imagebuilder_image_pipeline")["schedule"]["schedule_expression"].startswith("cron(")
        component = json.loads(_one(stack, "aws_imagebuilder_component")["data"].replace("$${", "${"))
        assert "tablesleuth==" in component["phases"][0]["steps"][0]["inputs"]["commands"][0]
    else:
        assert template["image_id"] == f"resolve:ssm:{AL2023_PARAMETER}"
        assert resources(stack, "aws_imagebuilder_image_pipeline") == []


def test_every_real_environment_rotates_the_password(environments, stack_json):
    """checkov's rotation check is skipped for the emulator's sake; this keeps it for real AWS."""
    for env in environments.values():
        if env.local_aws:
            continue
        for region in _regions(env):
            assert len(resources(_host(stack_json, env, region), "aws_secretsmanager_secret_rotation")) == 1


@pytest.mark.parametrize("env_name", ENVS)
def test_host_can_use_its_regions_session_manager_key_and_log_group(env_name, environments, stack_json):
    env = environments[env_name]
    for region in _regions(env):
        stack = stack_json(f"{env_name}-tablesleuth-{region}")
        statements = {s["sid"]: s for d in _attached_policy_documents(stack) for s in d["statement"] if "sid" in s}
        baseline_ref = f"cross-stack-reference-input-{env_name}-baseline-{region}"
        for sid in ("SessionEncryption", "SessionLogs"):
            (resource,) = statements[sid]["resources"]
            assert baseline_ref in resource, (region, sid, resource)


@pytest.mark.parametrize("env_name", ENVS)
def test_https_listener_signs_users_in_before_forwarding(env_name, environments, stack_json):
    env = environments[env_name]
    login = env.tablesleuth.login
    assert (login is None) is env.local_aws  # the schema requires it outside the emulator
    for region in _regions(env):
        stack = _host(stack_json, env, region)
        listeners = {listener["port"]: listener for listener in resources(stack, "aws_lb_listener")}
        https = listeners[443]["default_action"]
        # authenticate-* actions are valid on HTTPS listeners only; port 80 just redirects.
        assert [a["type"] for a in listeners[80]["default_action"]] == ["redirect"]
        alb_egress_443 = [
            r
            for r in resources(stack, "aws_vpc_security_group_egress_rule")
            if r["security_group_id"].startswith("${aws_security_group.load-balancer_security-group")
            and r["from_port"] == 443
        ]
        if login is None:
            assert [a["type"] for a in https] == ["forward"]
            assert alb_egress_443 == []
            continue
        assert [(a["type"], a["order"]) for a in https] == [("authenticate-cognito", 1), ("forward", 2)]
        assert https[0]["authenticate_cognito"] == {
            "user_pool_arn": login.user_pool_arn,
            "user_pool_client_id": login.user_pool_client_id,
            "user_pool_domain": login.user_pool_domain,
            "session_timeout": login.session_timeout_seconds,
            "on_unauthenticated_request": "authenticate",
        }
        # The load balancer calls Cognito's token endpoint itself: without HTTPS out, every sign-in
        # answers HTTP 500.
        (egress,) = alb_egress_443
        assert egress["cidr_ipv4"] == "0.0.0.0/0"
        assert "secret" not in json.dumps(https).lower()


@pytest.mark.parametrize("env_name", ENVS)
def test_web_ui_knows_its_public_https_name(env_name, environments, stack_json):
    """textual-serve builds the page's websocket and static URLs from PUBLIC_URL; it must be the
    name the certificate and the DNS record carry, over HTTPS."""
    env = environments[env_name]
    for region in _regions(env):
        stack = _host(stack_json, env, region)
        name = public_hostname(env, region)
        assert f"PUBLIC_URL=https://{name}\n" in _user_data(stack)
        (record,) = [r for r in resources(stack, "aws_route53_record") if r["type"] == "A"]
        assert record["name"] == name
        certificates = resources(stack, "aws_acm_certificate")
        if env.tablesleuth.certificate_arn is None:
            assert [c["domain_name"] for c in certificates] == [name]


def _data(stack, kind):
    return stack.get("data", {}).get(kind, {})


def test_the_public_alb_gets_the_apis_waf_with_rate_limit_sqli_and_redacted_credentials(environments, stack_json):
    """Issue 13: the internet-facing ALB had its own weaker WAF (four managed groups, no rate limit,
    no SQL-injection group, credentials in the logs). It now uses modules/waf.py like the API."""
    env = environments["staging"]
    assert env.tablesleuth.public_alb
    stack = _host(stack_json, env)
    name = f"{env.name}-tablesleuth-{env.primary_region}"
    (acl_id,) = stack["resource"]["aws_wafv2_web_acl"]
    acl = stack["resource"]["aws_wafv2_web_acl"][acl_id]
    assert (acl["name"], acl["scope"]) == (f"{name}-alb", "REGIONAL")  # same name: updated in place
    rules = {r["name"]: r for r in acl["rule"]}
    rate = rules["rate-limit-per-ip"]["statement"]["rate_based_statement"]
    assert rate == {"limit": 2000, "aggregate_key_type": "IP"}
    assert rules["rate-limit-per-ip"]["action"] == {"block": {}}
    assert "AWSManagedRulesSQLiRuleSet" in rules and "AWSManagedRulesCommonRuleSet" in rules
    # A regional web ACL protects an ALB of its own region through an association (one ACL per ALB).
    (association,) = resources(stack, "aws_wafv2_web_acl_association")
    assert association["resource_arn"] == "${aws_lb.load-balancer_alb_15AADC07.arn}"
    assert association["web_acl_arn"] == f"${{aws_wafv2_web_acl.{acl_id}.arn}}"
    (logging,) = resources(stack, "aws_wafv2_web_acl_logging_configuration")
    redacted = {f["single_header"]["name"] for f in logging["redacted_fields"]}
    assert redacted == {"authorization", "x-api-key"}
    # WAF logs only to destinations named aws-waf-logs-*, and the logs key must admit that group.
    (group,) = [g for g in resources(stack, "aws_cloudwatch_log_group") if g["name"].startswith("aws-waf-logs-")]
    assert group["name"] == f"aws-waf-logs-{name}-alb"
    assert logging["log_destination_configs"] == ["${aws_cloudwatch_log_group.waf_log-group_B08BEF30.arn}"]
    key_policy = json.dumps(_data(stack, "aws_iam_policy_document")["logs-key_policy_AD7C104E"])
    assert f"log-group:{group['name']}" in key_policy


@pytest.mark.parametrize("env_name", ENVS)
def test_the_certificate_is_validated_by_the_record_for_its_own_name(env_name, environments, stack_json):
    """The validation options are a set: taking element 0 picks any name's record. Looked up by name."""
    env = environments[env_name]
    for region in _regions(env):
        stack = _host(stack_json, env, region)
        if env.tablesleuth.certificate_arn is not None:  # brought from config: nothing to validate
            assert not resources(stack, "aws_acm_certificate")
            continue
        (record,) = [r for r in resources(stack, "aws_route53_record") if r["type"] != "A"]
        wanted = f'o.domain_name == "{public_hostname(env, region)}"'
        assert all(wanted in value for value in (record["name"], record["type"], record["records"][0]))
        assert "tolist(" not in record["name"]


@pytest.mark.parametrize("env_name", ENVS)
def test_alb_logs_are_delivered_by_the_regions_elb_account_from_the_data_source(env_name, environments, stack_json):
    """No hard-coded table of ELB accounts (it lacked most regions): the provider's data source."""
    env = environments[env_name]
    for region in _regions(env):
        stack = _host(stack_json, env, region)
        assert _data(stack, "aws_elb_service_account")
        (document,) = [d for n, d in _data(stack, "aws_iam_policy_document").items() if n.startswith("alb-logs_policy")]
        principals = json.dumps([s.get("principals") for s in document["statement"]])
        assert "${data.aws_elb_service_account." in principals
        assert "logdelivery.elasticloadbalancing.amazonaws.com" in principals
        assert "127311923021" not in principals and "033677994240" not in principals


@pytest.mark.parametrize("env_name", ENVS)
def test_hosts_launch_only_after_their_ami_parameter_exists(env_name, environments, stack_json):
    env = environments[env_name]
    stack = _host(stack_json, env)
    (template,) = resources(stack, "aws_launch_template")
    if env.tablesleuth.image_pipeline.enabled:
        assert template["image_id"] == "resolve:ssm:${aws_ssm_parameter.ami-parameter.name}"
    else:
        assert template["image_id"] == f"resolve:ssm:{AL2023_PARAMETER}"
