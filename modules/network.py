"""One VPC: public, private (app) and isolated (database) subnets across AZs, NAT, flow logs and
VPC endpoints. Both workloads build their networks from this construct; they share the code, not
the VPC.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from environments.schema import NetworkConfig
from modules.encryption import EncryptionKey
from modules.iam import Statement, assume_role_policy, policy_document

GATEWAY_ENDPOINT_SERVICES = ("s3", "dynamodb")
# What Session Manager, the ECS agent pulling from ECR, and logging need without a NAT.
INTERFACE_ENDPOINT_SERVICES = ("ssm", "ssmmessages", "ec2messages", "logs", "secretsmanager", "ecr.api", "ecr.dkr")


class Network(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        region: str,
        account_id: str,
        config: NetworkConfig,
    ) -> None:
        super().__init__(scope, id_)
        self.name = name
        self.config = config
        zones = config.zones(region)
        cidrs = config.subnet_cidrs()

        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=str(config.cidr),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
        )
        # Adopt the default security group and strip every rule, so nothing can use it by accident.
        DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id, tags={"Name": f"{name}-default-locked"})

        self.public_subnets = self._subnets("public", zones, cidrs["public"])
        self.private_subnets = self._subnets("private", zones, cidrs["private"])
        self.isolated_subnets = self._subnets("isolated", zones, cidrs["isolated"])

        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": name})
        public_rt = RouteTable(self, "public-rt", vpc_id=self.vpc.id, tags={"Name": f"{name}-public"})
        Route(
            self,
            "public-default-route",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
        )
        for i, subnet in enumerate(self.public_subnets):
            RouteTableAssociation(self, f"public-rta-{i}", subnet_id=subnet.id, route_table_id=public_rt.id)

        self.nat_gateways = self._nat_gateways(config.nat_gateways, zones)

        # A route table per AZ for the private tier, so each AZ egresses through its own NAT.
        self.private_route_tables = []
        for i, (zone, subnet) in enumerate(zip(zones, self.private_subnets, strict=True)):
            rt = RouteTable(self, f"private-rt-{i}", vpc_id=self.vpc.id, tags={"Name": f"{name}-private-{zone}"})
            if self.nat_gateways:
                nat = self.nat_gateways[i] if len(self.nat_gateways) > 1 else self.nat_gateways[0]
                Route(
                    self,
                    f"private-default-route-{i}",
                    route_table_id=rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                )
            RouteTableAssociation(self, f"private-rta-{i}", subnet_id=subnet.id, route_table_id=rt.id)
            self.private_route_tables.append(rt)

        # The isolated tier never reaches the internet: one route table with only the local route.
        self.isolated_route_table = RouteTable(
            self, "isolated-rt", vpc_id=self.vpc.id, tags={"Name": f"{name}-isolated"}
        )
        for i, subnet in enumerate(self.isolated_subnets):
            RouteTableAssociation(
                self, f"isolated-rta-{i}", subnet_id=subnet.id, route_table_id=self.isolated_route_table.id
            )

        self._flow_logs(name=name, region=region, account_id=account_id)
        self._gateway_endpoints(region)
        self.endpoint_security_group = self._interface_endpoints(region) if config.interface_endpoints else None

    def _subnets(self, tier: str, zones: list[str], cidrs: list[str]) -> list[Subnet]:
        return [
            Subnet(
                self,
                f"{tier}-subnet-{i}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                # Nothing gets a public IP implicitly; a public resource asks for one explicitly.
                map_public_ip_on_launch=False,
                tags={"Name": f"{self.name}-{tier}-{zone}", "Tier": tier},
            )
            for i, (zone, cidr) in enumerate(zip(zones, cidrs, strict=True))
        ]

    def _nat_gateways(self, mode: str, zones: list[str]) -> list[NatGateway]:
        count = {"none": 0, "single": 1, "per_az": len(zones)}[mode]
        gateways = []
        for i in range(count):
            eip = Eip(self, f"nat-eip-{i}", domain="vpc", tags={"Name": f"{self.name}-nat-{zones[i]}"})
            gateways.append(
                NatGateway(
                    self,
                    f"nat-{i}",
                    allocation_id=eip.allocation_id,
                    subnet_id=self.public_subnets[i].id,
                    tags={"Name": f"{self.name}-nat-{zones[i]}"},
                )
            )
        return gateways

    def _flow_logs(self, *, name: str, region: str, account_id: str) -> None:
        log_group_name = f"/vpc/{name}/flow-logs"
        self.flow_log_key = EncryptionKey(
            self,
            "flow-log-key",
            alias=f"{name}-flow-logs",
            description=f"Encrypts the VPC flow logs of {name}",
            account_id=account_id,
            service_grants=[
                EncryptionKey.service_grant(
                    "CloudWatchLogsUseKey",
                    f"logs.{region}.amazonaws.com",
                    conditions=[
                        (
                            "ArnEquals",
                            "kms:EncryptionContext:aws:logs:arn",
                            [f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}"],
                        )
                    ],
                )
            ],
        )
        self.flow_log_group = CloudwatchLogGroup(
            self,
            "flow-log-group",
            name=log_group_name,
            retention_in_days=self.config.flow_log_retention_days,
            kms_key_id=self.flow_log_key.arn,
        )
        trust = assume_role_policy(
            self,
            "flow-log-trust",
            service="vpc-flow-logs.amazonaws.com",
            conditions=[("StringEquals", "aws:SourceAccount", [account_id])],
        )
        role = IamRole(self, "flow-log-role", name_prefix="vpc-flow-logs-", assume_role_policy=trust.json)
        write_logs = policy_document(
            self,
            "flow-log-permissions",
            [
                Statement(
                    sid="WriteFlowLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    resources=[self.flow_log_group.arn, f"{self.flow_log_group.arn}:*"],
                )
            ],
        )
        IamRolePolicy(self, "flow-log-role-policy", role=role.id, policy=write_logs.json)
        FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
        )

    def _gateway_endpoints(self, region: str) -> None:
        route_tables = [rt.id for rt in self.private_route_tables] + [self.isolated_route_table.id]
        for service in GATEWAY_ENDPOINT_SERVICES:
            VpcEndpoint(
                self,
                f"{service}-gateway-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=route_tables,
                tags={"Name": f"{self.name}-{service}"},
            )

    def _interface_endpoints(self, region: str) -> SecurityGroup:
        sg = SecurityGroup(
            self,
            "endpoint-sg",
            name_prefix=f"{self.name}-endpoints-",
            description="HTTPS from inside the VPC to the interface endpoints",
            vpc_id=self.vpc.id,
            tags={"Name": f"{self.name}-endpoints"},
        )
        VpcSecurityGroupIngressRule(
            self,
            "endpoint-https-from-vpc",
            security_group_id=sg.id,
            description="HTTPS from the VPC",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=str(self.config.cidr),
        )
        for service in INTERFACE_ENDPOINT_SERVICES:
            VpcEndpoint(
                self,
                f"{service.replace('.', '-')}-interface-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.private_subnets],
                security_group_ids=[sg.id],
                tags={"Name": f"{self.name}-{service}"},
            )
        return sg
