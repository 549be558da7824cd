"""<env>-tablesleuth-<region>: the TableSleuth analysis host (GizmoSQL + TableSleuth on EC2) in one
region, on the VPC of <env>-tablesleuth-network-<region>.

What is where:
- the host: a launch template and Auto Scaling group (spot when configured) in the private
  subnets, reached through Session Manager only (no SSH, no key pair), scaled on CPU and, where
  configured, to zero out of hours;
- the GizmoSQL password: an empty Secrets Manager secret that the first host fills on boot, and a
  rotation function; the host role can read and write this one secret only;
- the front door: an ALB with HTTPS (TLS 1.3) to port 8080, internal unless configured public;
- operations: alarms to the workload's encrypted SNS topic, a dashboard, and (where enabled) the
  Image Builder pipeline that bakes the AMI.

No AWS Backup: nothing on a host is data. The tables TableSleuth inspects stay in S3 and Glue,
the GizmoSQL password is in Secrets Manager, the software is in the AMI and the user data, and
GizmoSQL's DuckDB file is scratch that listens on 127.0.0.1 for this host's UI only. Hosts are
replaced by every refresh, spot interruption and (where scheduled) every evening, and their
volumes are deleted with them; snapshots of them would restore nothing anyone needs.
AWS Config and account-wide EBS encryption live in the shared baseline stack, not here.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone, Route53ZoneVpc
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_rotation import (
    SecretsmanagerSecretRotation,
    SecretsmanagerSecretRotationRotationRules,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.security_group_rule import SecurityGroupRule
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from environments.schema import Environment
from modules.compute_fleet import (
    EMULATOR_LAUNCH_TEMPLATE_DRIFT,
    EMULATOR_TARGET_TRACKING_DRIFT,
    ComputeFleet,
    ScaleToZeroSchedule,
)
from modules.encryption import SERVICE_KEY_ACTIONS, EncryptionKey
from modules.iam import Statement, assume_role_policy, policy_document
from modules.image_pipeline import ImagePipeline
from modules.lambda_function import FUNCTIONS_DIR, PythonFunction
from modules.monitoring import Metric, Monitoring, alarm_key_grants, metric_widget
from modules.network import Network
from modules.storage import SecureBucket
from modules.tablesleuth_alb import CognitoLogin, TableSleuthLoadBalancer
from modules.user_data import USERDATA_DIR, placeholders, render, render_scripts
from stacks.base import EnvironmentStack
from stacks.baseline import BaselineStack

USERDATA = USERDATA_DIR / "tablesleuth"
INSTALL_SCRIPT = USERDATA / "install.sh"
CONFIGURE_SCRIPT = USERDATA / "configure.sh"
AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
CLOUDWATCH_AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
HEALTH_CHECK_PATH = "/health"
# ELB access-log delivery: regions from before August 2022 deliver as a regional ELB account;
# newer regions as the log-delivery service principal.
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-central-1": "054676820928",
}


def secret_name(env: Environment, region: str) -> str:
    return f"{env.name}-tablesleuth-{region}-gizmosql-password"


def public_hostname(env: Environment, region: str) -> str:
    """The name users open: the DNS record, the certificate and the web UI's page URLs."""
    assert env.tablesleuth is not None and env.tablesleuth.dns_zone_name is not None
    return f"tablesleuth-{region}.{env.tablesleuth.dns_zone_name}"


def ami_parameter_name(env: Environment, region: str) -> str:
    """Image Builder distributes as its service-linked role, which may write SSM parameters only
    under /imagebuilder/ (AWSServiceRoleForImageBuilder: ssm:PutParameter on parameter/imagebuilder/*)."""
    return f"/imagebuilder/{env.name}/tablesleuth/{region}/ami-id"


def host_values(env: Environment, region: str) -> dict[str, str | int]:
    """Every placeholder value of the host scripts: plain strings known at synth (the secret by
    name, not by its ARN token), so the user data is fixed text. None of them is secret."""
    cfg = env.tablesleuth
    assert cfg is not None
    return {
        "GIZMOSQL_VERSION": cfg.gizmosql_version,
        "TABLESLEUTH_VERSION": cfg.tablesleuth_version,
        "TEXTUAL_SERVE_VERSION": cfg.textual_serve_version,
        "REGION": region,
        "PUBLIC_HOSTNAME": public_hostname(env, region),
        # Written in double quotes (one word for bash's `.`, quotes stripped by EnvironmentFile=);
        # the schema allows no space, quote or $ inside an argument, so serve.py's shlex.split
        # gets the list back.
        "SESSION_ARGS": " ".join(cfg.session_args),
        "SECRET_NAME": secret_name(env, region),
        "APP_PORT": cfg.app_port,
        "FLIGHT_SQL_PORT": cfg.flight_sql_port,
    }


class TableSleuthStack(EnvironmentStack):
    def __init__(
        self, scope: Construct, *, env: Environment, region: str, network: Network, baseline: BaselineStack
    ) -> None:
        super().__init__(scope, env=env, component="tablesleuth", region=region)
        # Session Manager's preferences (encryption key, session log group) are the region's
        # baseline; the host must be able to use both or every session fails to start.
        self.baseline = baseline
        cfg = env.tablesleuth
        if cfg is None:
            raise ValueError(f"{env.name} has no tablesleuth section")
        self.config = cfg
        name = f"{env.name}-tablesleuth-{region}"
        account = env.account_id
        vpc_cidr = str(env.networks["tablesleuth"][region].cidr)
        private_subnet_ids = [s.id for s in network.private_subnets]

        # --- keys ------------------------------------------------------------------------------
        autoscaling_role = (
            f"arn:aws:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        )
        self.host_key = EncryptionKey(
            self,
            "host-key",
            alias=f"{name}-host",
            description=f"Encrypts the {name} volumes and AMIs",
            account_id=account,
            service_grants=[
                # Auto Scaling launches the instances, so it must create their encrypted volumes.
                Statement(
                    sid="AutoScalingUsesKeyForVolumes",
                    actions=list(SERVICE_KEY_ACTIONS),
                    principals={"AWS": [autoscaling_role]},
                    conditions=[("StringEquals", "kms:CallerAccount", [account])],
                ),
                Statement(
                    sid="AutoScalingGrantsForVolumes",
                    actions=["kms:CreateGrant"],
                    principals={"AWS": [autoscaling_role]},
                    conditions=[
                        ("Bool", "kms:GrantIsForAWSResource", ["true"]),
                        ("StringEquals", "kms:CallerAccount", [account]),
                    ],
                ),
            ],
        )
        self.secret_key = EncryptionKey(
            self,
            "secret-key",
            alias=f"{name}-gizmosql-secret",
            description=f"Encrypts the {name} GizmoSQL password",
            account_id=account,
        )
        log_group_arns = [
            f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{name}-*",
            f"arn:aws:logs:{region}:{account}:log-group:aws-waf-logs-{name}",
        ]
        self.logs_key = EncryptionKey(
            self,
            "logs-key",
            alias=f"{name}-logs",
            description=f"Encrypts the {name} log groups and the rotation function's queue and settings",
            account_id=account,
            service_grants=[
                EncryptionKey.service_grant(
                    "CloudWatchLogsUseKey",
                    f"logs.{region}.amazonaws.com",
                    conditions=[("ArnLike", "kms:EncryptionContext:aws:logs:arn", log_group_arns)],
                )
            ],
        )
        self.alerts_key = EncryptionKey(
            self,
            "alerts-key",
            alias=f"{name}-alerts",
            description=f"Encrypts the {name} alert topic",
            account_id=account,
            service_grants=alarm_key_grants(account_id=account),
        )

        # --- the GizmoSQL password ---------------------------------------------------------------
        # Created without a value: the first host generates the password and stores it, so it
        # never passes through code, synthesized JSON or Terraform state.
        self.secret = SecretsmanagerSecret(
            self,
            "gizmosql-password",
            name=secret_name(env, region),
            description="GizmoSQL password of the TableSleuth hosts (set by the first host, then rotated)",
            kms_key_id=self.secret_key.arn,
            # local is destroyed and redeployed all day; a recovery window would block the name.
            recovery_window_in_days=0 if env.local_aws else 7,
        )

        # --- security groups -----------------------------------------------------------------------
        self.host_sg = SecurityGroup(
            self,
            "host-sg",
            name_prefix=f"{name}-host-",
            description=f"{name} hosts: the app port from the ALB; nothing else comes in",
            vpc_id=network.vpc.id,
            tags={"Name": f"{name}-host"},
            lifecycle={"create_before_destroy": True},
        )
        # No Flight SQL ingress: GizmoSQL listens on 127.0.0.1 for the UI on the same host.
        VpcSecurityGroupEgressRule(
            self,
            "host-egress-https",
            security_group_id=self.host_sg.id,
            description="HTTPS: AWS APIs (endpoints or NAT), packages and releases",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
        )

        # --- front door -----------------------------------------------------------------------------
        certificate_arn = cfg.certificate_arn
        assert cfg.dns_zone_name is not None  # the schema requires it
        zone_id = self._zone(cfg.dns_zone_name, network)
        hostname = public_hostname(env, region)
        if certificate_arn is None:
            certificate_arn = self._certificate(hostname, zone_id)

        # Who read the ALB logs is logged too, into a second bucket (the state bucket's pattern).
        # Where the load balancer is disposable (no deletion protection), so are its logs.
        disposable_logs = not cfg.alb_deletion_protection
        alb_logs_access = SecureBucket(
            self,
            "alb-logs-access",
            bucket_name=f"{name}-alb-logs-access-{account}",
            account_id=account,
            kms_key_arn=None,  # S3 server access log delivery supports SSE-S3 only
            receives_access_logs=True,
            noncurrent_version_days=30,
            force_destroy=disposable_logs,
        )
        self.alb_logs = SecureBucket(
            self,
            "alb-logs",
            bucket_name=f"{name}-alb-logs-{account}",
            account_id=account,
            kms_key_arn=None,  # ALB access logs can only be delivered to SSE-S3 buckets
            access_logs=alb_logs_access,
            force_destroy=disposable_logs,
            extra_statements=[self._alb_log_delivery(region, account, f"{name}-alb-logs-{account}")],
        )
        self.load_balancer = TableSleuthLoadBalancer(
            self,
            "load-balancer",
            name=name,
            vpc_id=network.vpc.id,
            subnet_ids=[s.id for s in (network.public_subnets if cfg.public_alb else network.private_subnets)],
            internal=not cfg.public_alb,
            allowed_cidrs=[str(c) for c in cfg.alb_allowed_cidrs or [vpc_cidr]],
            target_port=cfg.app_port,
            health_check_path=HEALTH_CHECK_PATH,
            certificate_arn=certificate_arn,
            access_logs=self.alb_logs,
            deletion_protection=cfg.alb_deletion_protection,
            log_kms_key_arn=self.logs_key.arn,
            log_retention_days=cfg.log_retention_days,
            login=(
                CognitoLogin(
                    user_pool_arn=cfg.login.user_pool_arn,
                    user_pool_client_id=cfg.login.user_pool_client_id,
                    user_pool_domain=cfg.login.user_pool_domain,
                    session_timeout_seconds=cfg.login.session_timeout_seconds,
                )
                if cfg.login is not None
                else None
            ),
        )
        alb_sg = self.load_balancer.security_group
        # Group-to-group rules as aws_security_group_rule: the embedded AWS answers the newer
        # per-rule API with an account-prefixed group ID and no description, which would drift.
        SecurityGroupRule(
            self,
            "host-app-from-alb",
            type="ingress",
            security_group_id=self.host_sg.id,
            description="TableSleuth from the load balancer",
            protocol="tcp",
            from_port=cfg.app_port,
            to_port=cfg.app_port,
            source_security_group_id=alb_sg.id,
        )
        SecurityGroupRule(
            self,
            "alb-to-hosts",
            type="egress",
            security_group_id=alb_sg.id,
            description="TableSleuth on the hosts",
            protocol="tcp",
            from_port=cfg.app_port,
            to_port=cfg.app_port,
            source_security_group_id=self.host_sg.id,
        )
        Route53Record(
            self,
            "hostname",
            zone_id=zone_id,
            name=hostname,
            type="A",
            alias=Route53RecordAlias(
                name=self.load_balancer.alb.dns_name,
                zone_id=self.load_balancer.alb.zone_id,
                evaluate_target_health=True,
            ),
        )

        # --- the host --------------------------------------------------------------------------------
        self.role = self._host_role(name)
        profile = IamInstanceProfile(self, "host-profile", name=f"{name}-host", role=self.role.name)
        ami_parameter = AL2023_PARAMETER
        if cfg.image_pipeline.enabled:
            ami_parameter = self._image_pipeline(name, region, network)

        self.user_data = render_scripts([INSTALL_SCRIPT, CONFIGURE_SCRIPT], host_values(env, region))
        self.fleet = ComputeFleet(
            self,
            "fleet",
            name=name,
            # EC2 reads the parameter at each launch (the Auto Scaling service-linked role may
            # ssm:GetParameters), so a new AMI is used by the next host without a Terraform change;
            # read back without ResolveAlias, the template keeps this text and shows no drift.
            image_id=f"resolve:ssm:{ami_parameter}",
            instance_type=cfg.instance_type,
            spot_instance_types=cfg.spot_instance_types,
            use_spot=cfg.use_spot,
            min_size=cfg.min_size,
            max_size=cfg.max_size,
            desired_capacity=cfg.desired_capacity,
            subnet_ids=private_subnet_ids,
            security_group_ids=[self.host_sg.id],
            instance_profile_arn=profile.arn,
            user_data=self.user_data,
            root_volume_gb=cfg.root_volume_gb,
            kms_key_arn=self.host_key.arn,
            target_group_arns=[self.load_balancer.target_group.arn],
            cpu_target_percent=cfg.cpu_target_percent,
            schedule=(
                ScaleToZeroSchedule(
                    time_zone=cfg.schedule.timezone,
                    stop_recurrence=cfg.schedule.stop_recurrence,
                    start_recurrence=cfg.schedule.start_recurrence,
                )
                if cfg.schedule.enabled
                else None
            ),
        )

        self.ignore_emulator_round_trip(
            self.fleet.launch_template,
            list(EMULATOR_LAUNCH_TEMPLATE_DRIFT),
            gap="moto adds a 'launch-template' entry to a launch template's tag_specifications",
        )
        self.ignore_emulator_round_trip(
            self.fleet.scaling_policy,
            list(EMULATOR_TARGET_TRACKING_DRIFT),
            gap="moto returns a target-tracking policy with enabled=false and an empty predictive block",
        )

        if cfg.password_rotation_days is not None:
            self._rotation(name, cfg.password_rotation_days, private_subnet_ids, network, vpc_cidr)

        # --- operations ------------------------------------------------------------------------------
        self.monitoring = Monitoring(
            self,
            "monitoring",
            name=name,
            kms_key_arn=self.alerts_key.arn,
            account_id=account,
            emails=env.alerts.emails,
        )
        self._alarms_and_dashboard(name, region)

        TerraformOutput(self, "asg_name", value=self.fleet.group.name)
        TerraformOutput(self, "alb_dns_name", value=self.load_balancer.alb.dns_name)
        TerraformOutput(self, "gizmosql_secret_arn", value=self.secret.arn)
        TerraformOutput(self, "alert_topic_arn", value=self.monitoring.topic_arn)

    # --- pieces ----------------------------------------------------------------------------------------
    def _zone(self, zone_name: str, network: Network) -> str:
        if self.config.create_dns_zone:
            # local only (the schema refuses it elsewhere): a private zone, so nothing on the
            # internet is claimed; the emulator issues certificates without resolving DNS.
            zone = Route53Zone(
                self, "zone", name=zone_name, vpc=[Route53ZoneVpc(vpc_id=network.vpc.id)], force_destroy=True
            )
            self.ignore_emulator_round_trip(zone, ["vpc"], gap="moto leaves the VPC out of a private hosted zone")
            return zone.zone_id
        return DataAwsRoute53Zone(self, "zone", name=zone_name, private_zone=False).zone_id

    def _certificate(self, hostname: str, zone_id: str) -> str:
        cert = AcmCertificate(
            self,
            "certificate",
            domain_name=hostname,
            validation_method="DNS",
            lifecycle={"create_before_destroy": True},
        )
        option = cert.domain_validation_options.get(0)
        record = Route53Record(
            self,
            "certificate-validation-record",
            zone_id=zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,
        )
        validation = AcmCertificateValidation(
            self, "certificate-validation", certificate_arn=cert.arn, validation_record_fqdns=[record.fqdn]
        )
        return validation.certificate_arn

    @staticmethod
    def _alb_log_delivery(region: str, account: str, bucket: str) -> Statement:
        resource = f"arn:aws:s3:::{bucket}/alb/AWSLogs/{account}/*"
        if region in ELB_LOG_ACCOUNTS:
            principals = {"AWS": [f"arn:aws:iam::{ELB_LOG_ACCOUNTS[region]}:root"]}
        else:
            principals = {"Service": ["logdelivery.elasticloadbalancing.amazonaws.com"]}
        return Statement(
            sid="AllowAlbAccessLogDelivery", actions=["s3:PutObject"], resources=[resource], principals=principals
        )

    def _host_role(self, name: str) -> IamRole:
        trust = assume_role_policy(self, "host-trust", service="ec2.amazonaws.com")
        role = IamRole(self, "host-role", name=f"{name}-host", assume_role_policy=trust.json)
        # Session Manager instead of SSH; the CloudWatch agent for memory and disk metrics.
        for index, policy_arn in enumerate((SSM_CORE_POLICY, CLOUDWATCH_AGENT_POLICY)):
            IamRolePolicyAttachment(self, f"host-role-policy-{index}", role=role.name, policy_arn=policy_arn)
        region = self.region
        permissions = policy_document(
            self,
            "host-permissions",
            [
                # This one secret and nothing else: read it, and fill it on the very first boot.
                Statement(
                    sid="GizmoSqlPassword",
                    actions=[
                        "secretsmanager:GetSecretValue",
                        "secretsmanager:DescribeSecret",
                        "secretsmanager:PutSecretValue",
                    ],
                    resources=[self.secret.arn],
                ),
                Statement(
                    sid="GizmoSqlPasswordKey",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[self.secret_key.arn],
                    conditions=[("StringEquals", "kms:ViaService", [f"secretsmanager.{region}.amazonaws.com"])],
                ),
                # Session Manager encrypts each session with the baseline's key and logs it to the
                # baseline's group; the agent on the host does both with this role.
                Statement(
                    sid="SessionEncryption",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[self.baseline.session_key.arn],
                ),
                Statement(
                    sid="SessionLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    resources=[f"{self.baseline.session_log_group.arn}:*"],
                ),
                Statement(
                    sid="SessionLogGroupLookup",
                    actions=["logs:DescribeLogGroups"],
                    resources=[f"arn:aws:logs:{region}:{self.env.account_id}:log-group:*"],
                ),
            ],
        )
        IamRolePolicy(self, "host-role-secret", role=role.id, policy=permissions.json)
        return role

    def _image_pipeline(self, name: str, region: str, network: Network) -> str:
        """The pipeline and the SSM parameter it writes; returns the parameter's name."""
        parameter_name = ami_parameter_name(self.env, region)
        latest_al2023 = DataAwsSsmParameter(self, "al2023", name=AL2023_PARAMETER)
        # Seeded with the latest Amazon Linux 2023 AMI (the fallback until the first bake), then
        # owned by the pipeline's distribution: Terraform does not put the old value back.
        parameter = SsmParameter(
            self,
            "ami-parameter",
            name=parameter_name,
            type="String",
            data_type="aws:ec2:image",
            value=latest_al2023.insecure_value,
            description="AMI of the TableSleuth hosts, written by the Image Builder pipeline",
            lifecycle={"ignore_changes": ["value"]},
        )
        ImagePipeline(
            self,
            "image-pipeline",
            name=name,
            region=region,
            install_script=render(
                INSTALL_SCRIPT,
                {
                    k: v
                    for k, v in host_values(self.env, region).items()
                    if k in placeholders(INSTALL_SCRIPT.read_text())
                },
            ),
            description="Python, GizmoSQL and TableSleuth on Amazon Linux 2023",
            subnet_id=network.private_subnets[0].id,
            vpc_id=network.vpc.id,
            kms_key_arn=self.host_key.arn,
            ami_parameter_name=parameter_name,
            schedule=self.config.image_pipeline.schedule,
            root_volume_gb=self.config.root_volume_gb,
            instance_types=[self.config.instance_type],
        )
        self.ami_parameter = parameter
        return parameter.name

    def _rotation(self, name: str, days: int, subnet_ids: list[str], network: Network, vpc_cidr: str) -> None:
        sg = SecurityGroup(
            self,
            "rotation-sg",
            name_prefix=f"{name}-rotation-",
            description=f"{name} password rotation: HTTPS to the Secrets Manager endpoint in the VPC",
            vpc_id=network.vpc.id,
            tags={"Name": f"{name}-rotation"},
        )
        VpcSecurityGroupEgressRule(
            self,
            "rotation-egress",
            security_group_id=sg.id,
            description="HTTPS to the VPC's interface endpoints",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=vpc_cidr,
        )
        function = PythonFunction(
            self,
            "rotation",
            function_name=f"{name}-rotation",
            source_dir=FUNCTIONS_DIR / "tablesleuth_password_rotation",
            handler="handler.handler",
            kms_key_arn=self.logs_key.arn,
            log_retention_days=self.config.log_retention_days,
            subnet_ids=subnet_ids,
            security_group_ids=[sg.id],
            # Rotation runs a few times a month; two is plenty and caps a runaway loop.
            reserved_concurrency=2,
            environment={"PASSWORD_LENGTH": "32"},
            policy_statements=[
                Statement(
                    sid="RotateGizmoSqlPassword",
                    actions=[
                        "secretsmanager:DescribeSecret",
                        "secretsmanager:GetSecretValue",
                        "secretsmanager:PutSecretValue",
                        "secretsmanager:UpdateSecretVersionStage",
                    ],
                    resources=[self.secret.arn],
                ),
                Statement(
                    sid="GizmoSqlPasswordKey",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[self.secret_key.arn],
                ),
            ],
        )
        permission = LambdaPermission(
            self,
            "rotation-invoke",
            statement_id="SecretsManagerRotates",
            action="lambda:InvokeFunction",
            function_name=function.function.function_name,
            principal="secretsmanager.amazonaws.com",
            source_arn=self.secret.arn,
        )
        SecretsmanagerSecretRotation(
            self,
            "rotation-schedule",
            secret_id=self.secret.id,
            rotation_lambda_arn=function.arn,
            rotation_rules=SecretsmanagerSecretRotationRotationRules(automatically_after_days=days),
            # The first value comes from the first host; rotating before it exists would race it.
            rotate_immediately=False,
            depends_on=[permission],
        )

    def _alarms_and_dashboard(self, name: str, region: str) -> None:
        asg = {"AutoScalingGroupName": self.fleet.group.name}
        lb = self.load_balancer
        alb = {"LoadBalancer": lb.alb.arn_suffix}
        target = {"TargetGroup": lb.target_group.arn_suffix, "LoadBalancer": lb.alb.arn_suffix}
        cpu = Metric(namespace="AWS/EC2", name="CPUUtilization", dimensions=asg)
        disk = Metric(
            namespace="CWAgent", name="disk_used_percent", dimensions={**asg, "path": "/"}, statistic="Maximum"
        )
        status = Metric(namespace="AWS/EC2", name="StatusCheckFailed", dimensions=asg, statistic="Maximum", period=60)
        unhealthy = Metric(
            namespace="AWS/ApplicationELB", name="UnHealthyHostCount", dimensions=target, statistic="Maximum", period=60
        )
        mon = self.monitoring
        mon.alarm(
            "cpu-high",
            alarm_name=f"{name}-cpu-high",
            description="Host CPU above 80% for 10 minutes",
            metric=cpu,
            threshold=80,
        )
        mon.alarm(
            "disk-high",
            alarm_name=f"{name}-disk-high",
            description="Root volume more than 85% full (CloudWatch agent disk_used_percent)",
            metric=disk,
            threshold=85,
        )
        mon.alarm(
            "status-check-failed",
            alarm_name=f"{name}-status-check-failed",
            description="An EC2 status check failed on a host",
            metric=status,
            threshold=1,
            comparison="GreaterThanOrEqualToThreshold",
        )
        mon.alarm(
            "unhealthy-hosts",
            alarm_name=f"{name}-unhealthy-hosts",
            description="The load balancer sees an unhealthy TableSleuth host",
            metric=unhealthy,
            threshold=0,
        )
        mon.dashboard(
            "dashboard",
            name=name,
            widgets=[
                metric_widget(title="CPU utilization", region=region, metrics=[cpu]),
                metric_widget(
                    title="Network in and out",
                    region=region,
                    metrics=[
                        Metric(namespace="AWS/EC2", name="NetworkIn", dimensions=asg, statistic="Sum"),
                        Metric(namespace="AWS/EC2", name="NetworkOut", dimensions=asg, statistic="Sum"),
                    ],
                ),
                metric_widget(title="Status checks failed", region=region, metrics=[status]),
                metric_widget(title="Root disk used %", region=region, metrics=[disk]),
                metric_widget(
                    title="ALB requests",
                    region=region,
                    metrics=[
                        Metric(namespace="AWS/ApplicationELB", name="RequestCount", dimensions=alb, statistic="Sum")
                    ],
                ),
                metric_widget(
                    title="ALB errors",
                    region=region,
                    metrics=[
                        Metric(
                            namespace="AWS/ApplicationELB",
                            name="HTTPCode_ELB_5XX_Count",
                            dimensions=alb,
                            statistic="Sum",
                        ),
                        Metric(
                            namespace="AWS/ApplicationELB",
                            name="HTTPCode_Target_5XX_Count",
                            dimensions=alb,
                            statistic="Sum",
                        ),
                        unhealthy,
                    ],
                ),
            ],
        )
