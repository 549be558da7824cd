"""<env>-refactor-data for every environment: keys, database, cache, documents, backups, parameters."""

from __future__ import annotations

import json

import pytest
from cdktf_cdktf_provider_aws.backup_plan import BackupPlan
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.elasticache_replication_group import ElasticacheReplicationGroup
from cdktf_cdktf_provider_aws.elasticache_user import ElasticacheUser
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.lambda_invocation import LambdaInvocation
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktf_cdktf_provider_aws.rds_cluster_parameter_group import RdsClusterParameterGroup
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import S3BucketReplicationConfigurationA
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from environments.loader import available_environments
from tests.helpers import resources

ENVS = available_environments()


def _stack(stack_json, env_name: str) -> dict:
    return stack_json(f"{env_name}-refactor-data")


def _by_name(stack: dict, resource_type: str) -> dict[str, dict]:
    return stack.get("resource", {}).get(resource_type, {})


def _ref(resource_type: str, logical_id: str, attr: str = "arn") -> str:
    return "${" + f"{resource_type}.{logical_id}.{attr}" + "}"


def _key_id(stack: dict, domain: str) -> str:
    """The logical id of the KMS key behind alias/<env>/refactor/<domain>."""
    for alias in _by_name(stack, KmsAlias.TF_RESOURCE_TYPE).values():
        if alias["name"].endswith(f"/refactor/{domain}"):
            return alias["target_key_id"].split(".")[1]
    raise AssertionError(f"no key for {domain}")


def test_every_environment_has_a_data_stack(manifest):
    for env_name in ENVS:
        assert f"{env_name}-refactor-data" in manifest
        assert f"{env_name}-refactor-network-us-east-2" in manifest[f"{env_name}-refactor-data"]["dependencies"]


@pytest.mark.parametrize("env_name", ENVS)
def test_one_rotating_key_per_domain_with_environment_aliases(env_name, stack_json):
    stack = _stack(stack_json, env_name)
    aliases = sorted(a["name"] for a in _by_name(stack, KmsAlias.TF_RESOURCE_TYPE).values())
    domains = ["database", "documents", "dr-backup", "dr-documents", "logs", "secrets"]
    assert aliases == [f"alias/{env_name}/refactor/{d}" for d in domains]
    assert all(k["enable_key_rotation"] for k in resources(stack, KmsKey.TF_RESOURCE_TYPE))
    # The DR keys live in the DR region (the aliased provider).
    dr_keys = [k for k in resources(stack, KmsKey.TF_RESOURCE_TYPE) if k.get("provider") == "aws.dr"]
    assert len(dr_keys) == 2


@pytest.mark.parametrize("env_name", ENVS)
def test_database_is_encrypted_managed_and_sized_from_config(env_name, stack_json, environments):
    env, stack = environments[env_name], _stack(stack_json, env_name)
    (cluster,) = resources(stack, RdsCluster.TF_RESOURCE_TYPE)
    db_key, secrets_key = _key_id(stack, "database"), _key_id(stack, "secrets")
    assert cluster["storage_encrypted"] is True
    assert cluster["kms_key_id"] == _ref("aws_kms_key", db_key)
    assert cluster["manage_master_user_password"] is True
    assert cluster["master_user_secret_kms_key_id"] == _ref("aws_kms_key", secrets_key)
    assert "master_password" not in cluster
    assert cluster["iam_database_authentication_enabled"] is True
    assert cluster["enabled_cloudwatch_logs_exports"] == ["postgresql"]
    assert cluster["copy_tags_to_snapshot"] is True
    assert cluster["serverlessv2_scaling_configuration"] == {
        "min_capacity": env.database.min_capacity,
        "max_capacity": env.database.max_capacity,
    }
    assert cluster["backup_retention_period"] == env.database.backup_retention
    assert cluster["deletion_protection"] is env.database.deletion_protection
    instances = resources(stack, RdsClusterInstance.TF_RESOURCE_TYPE)
    assert len(instances) == 1 + env.database.reader_count
    for instance in instances:
        assert instance["instance_class"] == "db.serverless"
        assert instance["performance_insights_enabled"] is True
        assert instance["performance_insights_kms_key_id"] == _ref("aws_kms_key", db_key)
        assert instance["publicly_accessible"] is False
    (params,) = resources(stack, RdsClusterParameterGroup.TF_RESOURCE_TYPE)
    assert {"name": "rds.force_ssl", "value": "1"} in params["parameter"]


def test_prod_database_windows_retention_and_final_snapshot(stack_json):
    (cluster,) = resources(_stack(stack_json, "prod"), RdsCluster.TF_RESOURCE_TYPE)
    assert cluster["backup_retention_period"] == 30
    assert cluster["preferred_backup_window"] == "03:00-04:00"
    assert cluster["preferred_maintenance_window"] == "sun:04:00-sun:05:00"
    assert cluster["deletion_protection"] is True
    assert cluster["skip_final_snapshot"] is False and cluster["final_snapshot_identifier"]
    assert len(resources(_stack(stack_json, "prod"), RdsClusterInstance.TF_RESOURCE_TYPE)) == 2


def test_dev_keeps_cost_down(stack_json):
    stack = _stack(stack_json, "dev")
    assert len(resources(stack, RdsClusterInstance.TF_RESOURCE_TYPE)) == 1  # no reader
    (redis,) = resources(stack, ElasticacheReplicationGroup.TF_RESOURCE_TYPE)
    assert redis["num_cache_clusters"] == 1 and redis["automatic_failover_enabled"] is False
    assert S3BucketReplicationConfigurationA.TF_RESOURCE_TYPE not in stack["resource"]


@pytest.mark.parametrize("env_name", ENVS)
def test_data_security_groups_admit_only_the_client_group(env_name, stack_json, environments):
    stack = _stack(stack_json, env_name)
    ports = {(5432, 5432)} if environments[env_name].workarounds.skip_redis else {(5432, 5432), (6379, 6379)}
    groups = _by_name(stack, SecurityGroup.TF_RESOURCE_TYPE)
    client = next(k for k, g in groups.items() if g["name"].endswith("-data-clients"))
    ingress = resources(stack, VpcSecurityGroupIngressRule.TF_RESOURCE_TYPE)
    assert {(r["from_port"], r["to_port"]) for r in ingress} == ports
    for rule in ingress:
        assert rule["referenced_security_group_id"] == _ref("aws_security_group", client, "id")
        assert "cidr_ipv4" not in rule
    # Nothing in the data tier has an egress rule except the client group's, to the data ports,
    # and the app-role bootstrap function's, HTTPS only (the Data API is an AWS endpoint).
    bootstrap = {k for k, g in groups.items() if g.get("name_prefix", "").endswith("-db-app-role-")}
    assert all(g["egress"] == [] for k, g in groups.items() if k != client and k not in bootstrap)
    assert "egress" not in groups[client]  # its rules are separate resources; inline would fight them
    egress = resources(stack, VpcSecurityGroupEgressRule.TF_RESOURCE_TYPE)
    allowed = {_ref("aws_security_group", k, "id") for k in {client, *bootstrap}}
    assert {r["security_group_id"] for r in egress} <= allowed
    for rule in egress:
        if rule["security_group_id"] != _ref("aws_security_group", client, "id"):
            assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (443, 443, "tcp")


def test_only_the_emulator_goes_without_redis(environments, stack_json):
    for name, env in environments.items():
        has_redis = ElasticacheReplicationGroup.TF_RESOURCE_TYPE in _stack(stack_json, name)["resource"]
        assert has_redis is (not env.workarounds.skip_redis)
        assert has_redis or env.local_aws


@pytest.mark.parametrize("env_name", [e for e in ENVS if e != "local"])
def test_redis_uses_iam_auth_tls_and_a_key(env_name, stack_json, environments):
    env, stack = environments[env_name], _stack(stack_json, env_name)
    (redis,) = resources(stack, ElasticacheReplicationGroup.TF_RESOURCE_TYPE)
    assert redis["transit_encryption_enabled"] is True
    assert redis["at_rest_encryption_enabled"] == "true"
    assert redis["kms_key_id"] == _ref("aws_kms_key", _key_id(stack, "database"))
    assert "auth_token" not in redis
    assert redis["num_cache_clusters"] == env.cache.node_count
    assert redis["multi_az_enabled"] is env.cache.multi_az
    assert redis["snapshot_retention_limit"] == env.cache.snapshot_retention_days
    assert redis["log_delivery_configuration"][0]["log_type"] == "slow-log"
    users = {u["user_name"]: u for u in resources(stack, ElasticacheUser.TF_RESOURCE_TYPE)}
    assert users["default"]["access_string"].startswith("off")
    (app_user,) = [u for name, u in users.items() if name != "default"]
    assert app_user["authentication_mode"] == {"type": "iam"}
    assert app_user["user_id"] == app_user["user_name"]  # IAM auth requires it


@pytest.mark.parametrize("env_name", [e for e in ENVS if e != "dev"])
def test_documents_replicate_to_the_dr_region_with_delete_markers(env_name, stack_json, environments):
    env, stack = environments[env_name], _stack(stack_json, env_name)
    (replication,) = resources(stack, S3BucketReplicationConfigurationA.TF_RESOURCE_TYPE)
    (rule,) = replication["rule"]
    assert rule["delete_marker_replication"] == {"status": "Enabled"}
    destination = rule["destination"]
    replica_id = destination["bucket"].split(".")[1]
    replica = _by_name(stack, S3Bucket.TF_RESOURCE_TYPE)[replica_id]
    assert replica["provider"] == "aws.dr"
    providers = {p.get("alias", "default"): p["region"] for p in stack["provider"]["aws"]}
    assert providers["dr"] == env.dr_region != env.primary_region
    assert destination["encryption_configuration"]["replica_kms_key_id"] == _ref(
        "aws_kms_key", _key_id(stack, "dr-documents")
    )
    rtc = "replication_time" in destination
    assert rtc is env.documents.replication_time_control
    assert rtc is (env_name == "prod")


@pytest.mark.parametrize("env_name", ENVS)
def test_backup_plan_copies_the_cluster_into_the_dr_vault(env_name, stack_json, environments):
    env, stack = environments[env_name], _stack(stack_json, env_name)
    (plan,) = resources(stack, BackupPlan.TF_RESOURCE_TYPE)
    (rule,) = plan["rule"]
    assert rule["lifecycle"]["delete_after"] == env.database.backup_retention
    vaults = _by_name(stack, BackupVault.TF_RESOURCE_TYPE)
    (copy,) = rule["copy_action"]
    dr_vault = vaults[copy["destination_vault_arn"].split(".")[1]]
    assert dr_vault["provider"] == "aws.dr"
    assert dr_vault["kms_key_arn"] == _ref("aws_kms_key", _key_id(stack, "dr-backup"))
    (selection,) = resources(stack, BackupSelection.TF_RESOURCE_TYPE)
    (cluster_id,) = _by_name(stack, RdsCluster.TF_RESOURCE_TYPE)
    assert selection["resources"] == [_ref("aws_rds_cluster", cluster_id)]


@pytest.mark.parametrize("env_name", ENVS)
def test_github_token_is_set_by_the_operator_and_never_read_by_terraform(env_name, stack_json, environments):
    stack = _stack(stack_json, env_name)
    assert resources(stack, SsmParameter.TF_RESOURCE_TYPE) == []
    name = f"/{env_name}/code-refactor/github-token"
    region = environments[env_name].primary_region
    assert stack["output"]["github_token_parameter_arn"]["value"] == (
        f"arn:aws:ssm:{region}:{environments[env_name].account_id}:parameter{name}"
    )
    command = stack["output"]["github_token_set_command"]["value"]
    assert f"--name {name} --type SecureString --key-id {_ref('aws_kms_key', _key_id(stack, 'secrets'))}" in command


@pytest.mark.parametrize("env_name", ENVS)
def test_outputs_cover_what_the_app_tier_needs(env_name, stack_json):
    outputs = _stack(stack_json, env_name)["output"]
    for name in (
        "client_security_group_id",
        "database_endpoint",
        "database_username",
        "documents_bucket_arn",
        "logs_key_arn",
        "github_token_parameter_arn",
    ):
        assert name in outputs
    assert "password" not in json.dumps(outputs).lower().replace("manage_master_user_password", "")


@pytest.mark.parametrize("env_name", ENVS)
def test_only_the_emulator_ignores_what_it_cannot_read_back(env_name, stack_json, environments):
    stack = _stack(stack_json, env_name)
    ignored = {
        (kind, tuple(body["lifecycle"]["ignore_changes"]), body["//"].get("emulator_gap"))
        for kind, items in stack["resource"].items()
        for body in items.values()
        if "ignore_changes" in body.get("lifecycle", {}) and kind != SsmParameter.TF_RESOURCE_TYPE
    }
    # Deliberate in every environment (not an emulator gap): AWS's minor upgrades are not drift.
    ignored.discard((RdsCluster.TF_RESOURCE_TYPE, ("engine_version",), None))
    if not environments[env_name].local_aws:
        assert ignored == set()
        return
    assert {kind for kind, _, _ in ignored} == {S3BucketReplicationConfigurationA.TF_RESOURCE_TYPE}
    assert all(gap and gap.startswith("moto ") for _, _, gap in ignored)


# --- issue 10: the app's own database role, version drift, the postgresql log group -----------


@pytest.mark.parametrize("env_name", ENVS)
def test_app_database_role_is_created_at_deploy_time_through_the_data_api(env_name, stack_json, environments):
    """A7: a function run by aws_lambda_invocation creates the app's IAM-auth role with the master
    secret; only the emulator (no EnableHttpEndpoint) switches it off, and says so."""
    env = environments[env_name]
    stack = _stack(stack_json, env_name)
    ((cluster_id, cluster),) = _by_name(stack, RdsCluster.TF_RESOURCE_TYPE).items()
    invocations = resources(stack, LambdaInvocation.TF_RESOURCE_TYPE)
    if env.workarounds.skip_database_app_role:
        assert env.local_aws and invocations == [] and not cluster.get("enable_http_endpoint")
        return
    assert cluster["enable_http_endpoint"] is True
    (invocation,) = invocations
    payload = json.loads(invocation["input"])
    assert payload == {"role": env.database.app_username, "database": "refactor", "owner": cluster["master_username"]}
    assert payload["role"] != cluster["master_username"]
    assert invocation["triggers"]["code"] and "cluster_resource_id" in invocation["triggers"]["cluster"]
    assert any(dep.startswith("aws_rds_cluster_instance.database_writer") for dep in invocation["depends_on"])
    (function,) = [f for f in resources(stack, LambdaFunction.TF_RESOURCE_TYPE) if "db-app-role" in f["function_name"]]
    assert function["environment"]["variables"]["MASTER_SECRET_ARN"].endswith(".master_user_secret[0].secret_arn}")
    assert function["vpc_config"]["subnet_ids"]
    # Its role may run SQL on this cluster and read this secret, nothing wider.
    policies = stack["data"]["aws_iam_policy_document"]
    (policy,) = [p for key, p in policies.items() if key.startswith("database-app-role_function_policy")]
    by_sid = {st["sid"]: st for st in policy["statement"]}
    assert by_sid["RunSqlThroughDataApi"]["resources"] == [_ref(RdsCluster.TF_RESOURCE_TYPE, cluster_id)]
    assert by_sid["ReadMasterSecret"]["resources"] == [
        "${" + f"{RdsCluster.TF_RESOURCE_TYPE}.{cluster_id}.master_user_secret[0].secret_arn" + "}"
    ]
    assert len(resources(stack, IamRolePolicy.TF_RESOURCE_TYPE)) >= 1


@pytest.mark.parametrize("env_name", ENVS)
def test_master_secret_is_break_glass_and_not_an_app_export(env_name, stack_json):
    """A7: the app tier gets the app role's name; the master secret is only an operator output."""
    outputs = _stack(stack_json, env_name)["output"]
    assert "database_secret_arn" not in outputs
    assert "master_user_secret" in outputs["database_master_secret_arn"]["value"]
    assert outputs["database_username"]["value"] != "app_admin"


@pytest.mark.parametrize("env_name", ENVS)
def test_minor_version_upgrades_are_not_drift(env_name, stack_json):
    """A8: AWS's automatic minor upgrades move the cluster past engine_version; no plan may try to
    downgrade it, so the cluster ignores engine_version and the instances inherit it."""
    stack = _stack(stack_json, env_name)
    (cluster,) = resources(stack, RdsCluster.TF_RESOURCE_TYPE)
    assert "engine_version" in cluster["lifecycle"]["ignore_changes"]
    for instance in resources(stack, RdsClusterInstance.TF_RESOURCE_TYPE):
        assert instance["auto_minor_version_upgrade"] is True
        assert "engine_version" not in instance


@pytest.mark.parametrize("env_name", ENVS)
def test_postgresql_log_group_exists_before_the_cluster_with_retention_and_key(env_name, stack_json, environments):
    """C23: RDS would otherwise create /aws/rds/cluster/<id>/postgresql unencrypted and never expiring."""
    stack = _stack(stack_json, env_name)
    (cluster,) = resources(stack, RdsCluster.TF_RESOURCE_TYPE)
    groups = {
        key: g
        for key, g in _by_name(stack, CloudwatchLogGroup.TF_RESOURCE_TYPE).items()
        if g["name"] == f"/aws/rds/cluster/{cluster['cluster_identifier']}/postgresql"
    }
    ((group_id, group),) = groups.items()
    assert group["retention_in_days"] == environments[env_name].compute.log_retention_days
    assert group["kms_key_id"] == _ref("aws_kms_key", _key_id(stack, "logs"))
    assert f"{CloudwatchLogGroup.TF_RESOURCE_TYPE}.{group_id}" in cluster["depends_on"]
    assert cluster["enabled_cloudwatch_logs_exports"] == ["postgresql"]
