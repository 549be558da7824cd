"""<env>-tablesleuth-<region>: the TableSleuth analysis host (GizmoSQL + TableSleuth on EC2) in one
region, on the VPC of <env>-tablesleuth-network-<region>. A composition of modules:

- the host (modules/compute_fleet.py): a launch template and Auto Scaling group (spot when
  configured) in the private subnets, reached through Session Manager only, scaled on CPU and,
  where configured, to zero out of hours; its AMI from the Image Builder pipeline where enabled;
- the GizmoSQL password (modules/rotated_secret.py): an empty secret the first host fills on boot,
  rotated by a function; the host role can read and write this one secret only;
- the front door (modules/load_balancer.py, certificate.py, waf.py): an ALB with HTTPS (TLS 1.3)
  to the app port, internal unless configured public, then behind the same WAF as the API;
- operations (stacks/tablesleuth/monitoring.py): alarms to an encrypted topic, a dashboard.

No AWS Backup: nothing on a host is data. The tables stay in S3 and Glue, the password in Secrets
Manager, the software in the AMI and user data; hosts and their volumes are replaced by every
refresh, spot interruption and evening stop. AWS Config and EBS encryption are the baseline's.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from environments.schema import Environment
from modules.compute_fleet import (
    EMULATOR_LAUNCH_TEMPLATE_DRIFT,
    EMULATOR_TARGET_TRACKING_DRIFT,
    ComputeFleet,
    HostSecurityGroup,
    InstanceRole,
    ScaleToZeroSchedule,
)
from modules.encryption import EncryptionKey
from modules.image_pipeline import AL2023_PARAMETER, ImagePipeline
from modules.lambda_function import FUNCTIONS_DIR
from modules.monitoring import alarm_key_grants
from modules.network import Network
from modules.rotated_secret import RotatedSecret, SecretRotation
from modules.user_data import placeholders, render, render_scripts
from stacks.addressing import KeepsAddresses
from stacks.base import EnvironmentStack
from stacks.shared.baseline import BaselineStack
from stacks.tablesleuth.front_door import TableSleuthFrontDoor
from stacks.tablesleuth.host import (
    CONFIGURE_SCRIPT,
    INSTALL_SCRIPT,
    ami_parameter_name,
    host_statements,
    host_values,
    secret_name,
)
from stacks.tablesleuth.monitoring import TableSleuthMonitoring
from stacks.tablesleuth.moved import MOVES


class TableSleuthStack(KeepsAddresses, EnvironmentStack):
    def __init__(
        self, scope: Construct, *, env: Environment, region: str, network: Network, baseline: BaselineStack
    ) -> None:
        super().__init__(scope, env=env, component="tablesleuth", region=region)
        for new, old in MOVES.items():  # before any construct: cdktf names a resource once
            self.moved(new, old)
        self.baseline = baseline  # its Session Manager key and log group: the host must use both
        if env.tablesleuth is None:
            raise ValueError(f"{env.name} has no tablesleuth section")
        cfg = self.config = env.tablesleuth
        name, account = f"{env.name}-tablesleuth-{region}", env.account_id
        vpc_cidr = str(env.networks["tablesleuth"][region].cidr)
        private_subnet_ids = [s.id for s in network.private_subnets]

        host_key = self.host_key = EncryptionKey(
            self,
            "host-key",
            alias=f"{name}-host",
            description=f"Encrypts the {name} volumes and AMIs",
            account_id=account,
            service_grants=EncryptionKey.autoscaling_grants(account_id=account),
        )
        self.secret_key = EncryptionKey(
            self,
            "secret-key",
            alias=f"{name}-gizmosql-secret",
            account_id=account,
            description=f"Encrypts the {name} GizmoSQL password",
        )
        waf_name = f"{name}-alb"
        self.logs_key = EncryptionKey(
            self,
            "logs-key",
            alias=f"{name}-logs",
            account_id=account,
            description=f"Encrypts the {name} log groups and the rotation function's queue and settings",
            service_grants=[
                EncryptionKey.logs_grant(
                    region=region,
                    account_id=account,
                    log_group_names=[f"/aws/lambda/{name}-*", f"aws-waf-logs-{waf_name}"],
                )
            ],
        )
        alerts_key = EncryptionKey(
            self,
            "alerts-key",
            alias=f"{name}-alerts",
            description=f"Encrypts the {name} alert topic",
            account_id=account,
            service_grants=alarm_key_grants(account_id=account),
        )

        rotation = None
        if cfg.password_rotation_days is not None:
            rotation = SecretRotation(
                days=cfg.password_rotation_days,
                name=name,
                label="password rotation",
                source_dir=FUNCTIONS_DIR / "tablesleuth_password_rotation",
                vpc_id=network.vpc.id,
                vpc_cidr=vpc_cidr,
                subnet_ids=private_subnet_ids,
                log_kms_key_arn=self.logs_key.arn,
                log_retention_days=cfg.log_retention_days,
                environment={"PASSWORD_LENGTH": "32"},
            )
        self.secret = RotatedSecret(
            self,
            "gizmosql-password",
            secret_name=secret_name(env, region),
            kms_key_arn=self.secret_key.arn,
            description="GizmoSQL password of the TableSleuth hosts (set by the first host, then rotated)",
            # A disposable environment is destroyed and redeployed; a recovery window would block the name.
            recovery_window_days=0 if env.disposable else 7,
            rotation=rotation,
        )
        # No Flight SQL ingress: GizmoSQL listens on 127.0.0.1 for the UI on the same host.
        self.host_sg = HostSecurityGroup(
            self,
            "host-sg",
            name=name,
            vpc_id=network.vpc.id,
            description=f"{name} hosts: the app port from the ALB; nothing else comes in",
        )

        self.front_door = TableSleuthFrontDoor(
            self,
            name=name,
            env=env,
            region=region,
            network=network,
            host_security_group_id=self.host_sg.security_group_id,
            waf_name=waf_name,
            log_kms_key_arn=self.logs_key.arn,
        )
        self.load_balancer = self.front_door.load_balancer

        # --- the host --------------------------------------------------------------------------
        self.role = InstanceRole(
            self,
            "host-role",
            name=f"{name}-host",
            statements=host_statements(
                region=region,
                account_id=account,
                secret_arn=self.secret.arn,
                secret_key_arn=self.secret_key.arn,
                session_key_arn=baseline.session_key.arn,
                session_log_group_arn=baseline.session_log_group.arn,
            ),
        )
        ami_parameter = AL2023_PARAMETER
        if cfg.image_pipeline.enabled:
            install = INSTALL_SCRIPT.read_text()
            values = {k: v for k, v in host_values(env, region).items() if k in placeholders(install)}
            self.image_pipeline = ImagePipeline(
                self,
                "image-pipeline",
                name=name,
                region=region,
                install_script=render(INSTALL_SCRIPT, values),
                description="Python, GizmoSQL and TableSleuth on Amazon Linux 2023",
                subnet_id=network.private_subnets[0].id,
                vpc_id=network.vpc.id,
                kms_key_arn=host_key.arn,
                ami_parameter_name=ami_parameter_name(env, region),
                ami_parameter_description="AMI of the TableSleuth hosts, written by the Image Builder pipeline",
                schedule=cfg.image_pipeline.schedule,
                root_volume_gb=cfg.root_volume_gb,
                instance_types=[cfg.instance_type],
            )
            # By reference: the parameter exists before a host launches from it.
            ami_parameter = self.image_pipeline.ami_parameter.name
        self.user_data = render_scripts([INSTALL_SCRIPT, CONFIGURE_SCRIPT], host_values(env, region))
        schedule = cfg.schedule
        self.fleet = ComputeFleet(
            self,
            "fleet",
            name=name,
            # EC2 reads the parameter at each launch, so a new AMI reaches the next host without a
            # Terraform change; read back without ResolveAlias, the template shows no drift.
            image_id=f"resolve:ssm:{ami_parameter}",
            instance_type=cfg.instance_type,
            spot_instance_types=cfg.spot_instance_types,
            use_spot=cfg.use_spot,
            min_size=cfg.min_size,
            max_size=cfg.max_size,
            desired_capacity=cfg.desired_capacity,
            subnet_ids=private_subnet_ids,
            security_group_ids=[self.host_sg.security_group_id],
            instance_profile_arn=self.role.arn,
            user_data=self.user_data,
            root_volume_gb=cfg.root_volume_gb,
            kms_key_arn=host_key.arn,
            target_group_arns=[self.load_balancer.target_group.arn],
            cpu_target_percent=cfg.cpu_target_percent,
            schedule=ScaleToZeroSchedule(
                time_zone=schedule.timezone,
                stop_recurrence=schedule.stop_recurrence,
                start_recurrence=schedule.start_recurrence,
            )
            if schedule.enabled
            else None,
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

        self.monitoring = TableSleuthMonitoring(
            self,
            name=name,
            region=region,
            account_id=account,
            kms_key_arn=alerts_key.arn,
            emails=env.alerts.emails,
            fleet=self.fleet,
            load_balancer=self.load_balancer,
        )
        TerraformOutput(self, "asg_name", value=self.fleet.group.name)
        TerraformOutput(self, "alb_dns_name", value=self.load_balancer.alb.dns_name)
        TerraformOutput(self, "gizmosql_secret_arn", value=self.secret.arn)
        TerraformOutput(self, "alert_topic_arn", value=self.monitoring.topic_arn)
