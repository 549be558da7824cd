"""<env>-refactor-app: the stateless half of the refactor service.

    client -> WAF -> REST API (Cognito, API keys, cache) -> VPC link -> NLB -> internal ALB -> Fargate
    documents bucket (data tier) -- upload --> document processor Lambda (in the VPC)

Everything stateful (Aurora, Redis, the documents bucket, KMS keys, secrets) comes from the data
tier's exports; passing its tokens here makes cdktf wire outputs and remote state between them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdktf import TerraformOutput
from constructs import Construct

from environments.schema import Environment
from modules.certificate import DnsValidatedCertificate
from modules.cognito import UserPool
from modules.container_service import ContainerSecret, ContainerService
from modules.hosted_zone import hosted_zone
from modules.lambda_function import FUNCTIONS_DIR, PythonFunction, S3Trigger
from modules.load_balancer import PrivateLoadBalancer, alb_log_delivery_statements
from modules.rest_api import PrivateRestApi
from modules.security_group import https_only_security_group
from modules.storage import AccessLogBuckets
from modules.waf import WebAcl
from stacks.addressing import KeepsAddresses
from stacks.base import EnvironmentStack
from stacks.refactor.data_access import data_environment, documents_statements, task_statements
from stacks.refactor.monitoring import RefactorMonitoring

if TYPE_CHECKING:
    from stacks.refactor.data import RefactorDataExports
    from stacks.shared.network import NetworkStack

CONTAINER_PORT = 8080
HEALTH_CHECK_PATH = "/health"
UPLOAD_PREFIX = "uploads/"  # functions/document_processor reads here and writes under processed/


class RefactorAppStack(KeepsAddresses, EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment, network: NetworkStack, data: RefactorDataExports) -> None:
        super().__init__(scope, env=env, component="refactor-app", regional_name=False)
        api = env.api
        name = f"{env.name}-refactor"
        account, region = env.account_id, self.region
        net = network.network
        private_subnets = [s.id for s in net.private_subnets]

        api_host = f"{api.subdomain}.{env.domain}"
        backend_host = f"internal-{api.subdomain}.{env.domain}"  # on the ALB certificate; reached via VPC link
        zone_id = hosted_zone(
            self,
            "zone",
            zone_name=env.domain,
            create=api.hosted_zone == "create",  # the schema allows "create" or "existing"
            comment=f"{env.name}: stand-in for the account's zone",
        ).zone_id
        certificate_arn = (
            api.certificate_arn
            or DnsValidatedCertificate(
                self, "certificate", domain_name=api_host, alternative_names=[backend_host], zone_id=zone_id
            ).arn
        )

        # --- internal ALB behind an internal NLB ---------------------------------------------------
        # Log buckets are SSE-S3: ALB access logs and S3 server access logs support nothing else.
        alb_logs_name = f"{name}-alb-logs-{account}"
        alb_logs = AccessLogBuckets(
            self,
            logs_id="alb-logs",
            access_id="s3-access-logs",
            logs_bucket_name=alb_logs_name,
            access_bucket_name=f"{name}-s3-access-logs-{account}",
            account_id=account,
            force_destroy=env.disposable,
            log_delivery_statements=alb_log_delivery_statements(
                self, bucket_arn=f"arn:aws:s3:::{alb_logs_name}", prefix="alb", account_id=account
            ),
        ).logs
        self.load_balancer = PrivateLoadBalancer(
            self,
            "lb",
            name=name,
            vpc_id=net.vpc.id,
            vpc_cidr=str(net.config.cidr),
            subnet_ids=private_subnets,
            certificate_arn=certificate_arn,
            access_logs=alb_logs,
            access_log_prefix="alb",
            target_port=CONTAINER_PORT,
            health_check_path=HEALTH_CHECK_PATH,
            deletion_protection=not env.disposable,
        )

        # --- Cognito, REST API, WAF ----------------------------------------------------------------
        self.user_pool = UserPool(
            self,
            "users",
            name=name,
            mfa=api.cognito.mfa,
            advanced_security=api.cognito.advanced_security,
            feature_plan=api.cognito.feature_plan,
            email=api.cognito.email,
            password_min_length=api.cognito.password_min_length,
            deletion_protection=not env.disposable,
        )
        self.api = PrivateRestApi(
            self,
            "api",
            name=name,
            stage_name=api.stage_name,
            nlb_arn=self.load_balancer.nlb.arn,
            backend_host=backend_host,
            user_pool_arn=self.user_pool.arn,
            # The static site (refactor-edge) is the browser front end, on another origin.
            cors_origin=f"https://{env.edge.subdomain}.{env.domain}",
            throttle=api.throttle,
            cache=api.cache,
            usage_plans=api.usage_plans,
            log_kms_key_arn=data.logs_key_arn,
            log_retention_days=api.log_retention_days,
            domain_name=api_host,
            certificate_arn=certificate_arn,
            zone_id=zone_id,
        )
        self.waf = WebAcl(
            self,
            "waf",
            name=f"{name}-api",
            waf_scope="REGIONAL",
            rate_limit=api.waf.rate_limit,
            max_body_bytes=api.waf.max_body_bytes,
            allow_cidrs=api.waf.allow_cidrs,
            block_cidrs=api.waf.block_cidrs,
            log_kms_key_arn=data.logs_key_arn,
            log_retention_days=api.waf.log_retention_days,
        )
        self.waf_association = self.waf.associate("api-stage", resource_arn=self.api.stage_arn)

        # --- containers ----------------------------------------------------------------------------
        self.service = ContainerService(
            self,
            "service",
            name=name,
            region=region,
            compute=env.compute,
            image_tag=env.compute.image_tag,
            container_port=CONTAINER_PORT,
            vpc_id=net.vpc.id,
            vpc_cidr=str(net.config.cidr),
            subnet_ids=private_subnets,
            extra_security_group_ids=[data.client_security_group_id],
            load_balancer_security_group_id=self.load_balancer.security_group.id,
            target_group_arn=self.load_balancer.target_group.arn,
            depends_on=[self.load_balancer.https_listener],
            kms_key_arn=data.logs_key_arn,
            environment={
                "APP_ENV": env.name,
                "PORT": str(CONTAINER_PORT),
                **data_environment(data),
                "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            },
            secrets=[ContainerSecret(name="GITHUB_TOKEN", value_from=data.github_token_parameter_arn)],
            secret_arns=[],
            parameter_arns=[data.github_token_parameter_arn],
            secrets_kms_key_arn=data.secrets_key_arn,
            task_statements=task_statements(data, region=region, account_id=account),
        )

        # What moto fails to read back, as each module declares it (ignored only in `local`).
        self.ignore_emulator_drift([*self.user_pool.emulator_drift(), *self.api.emulator_drift()])
        self.ignore_emulator_drift(self.service.emulator_drift())

        # --- document processor: uploads to the documents bucket invoke it ------------------------
        processor_name = f"{name}-document-processor"
        processor_sg = https_only_security_group(
            self,
            "processor-sg",
            name_prefix=f"{processor_name}-",
            description="document processor: HTTPS out to AWS APIs only",
            vpc_id=net.vpc.id,
            tags={"Name": processor_name},
            egress_id="processor-out-https",
            egress_description="HTTPS to AWS APIs (S3, X-Ray)",
        )
        # The stack made the trigger before PythonFunction did: it keeps those addresses.
        self.pin_address("document-processor/s3-permission", "processor-invoked-by-s3")
        self.pin_address("document-processor/s3-notification", "documents-uploads")
        self.processor = PythonFunction(
            self,
            "document-processor",
            function_name=processor_name,
            source_dir=FUNCTIONS_DIR / "document_processor",
            handler="handler.lambda_handler",
            kms_key_arn=data.logs_key_arn,
            log_retention_days=env.compute.log_retention_days,
            environment={"MAX_DOCUMENT_BYTES": str(5 * 1024 * 1024), "LOG_LEVEL": "INFO"},
            policy_statements=documents_statements(data, write=True),
            subnet_ids=private_subnets,
            security_group_ids=[processor_sg.id, data.client_security_group_id],
            timeout=60,
            memory_size=512,
            reserved_concurrency=env.compute.processor_reserved_concurrency,
            # This stack owns the documents bucket's notification configuration (one per bucket).
            s3_trigger=S3Trigger(
                bucket_name=data.documents_bucket_name,
                bucket_arn=data.documents_bucket_arn,
                bucket_account_id=account,
                statement_id="AllowDocumentsBucketUploads",
                filter_prefix=UPLOAD_PREFIX,
            ),
        )

        self.monitoring = RefactorMonitoring(
            self,
            "monitoring",
            name=name,
            region=region,
            account_id=account,
            kms_key_arn=data.logs_key_arn,
            emails=env.alerts.emails,
            api=self.api,
            stage_name=api.stage_name,
            service=self.service,
            load_balancer=self.load_balancer,
            database_cluster_id=data.database_cluster_id,
            database_max_acu=env.database.max_capacity,
            processor=self.processor,
            waf=self.waf,
            saved_queries=api.saved_log_queries,
        )

        TerraformOutput(self, "api_url", value=f"https://{api_host}")
        TerraformOutput(self, "api_invoke_url", value=self.api.invoke_url)
        TerraformOutput(self, "user_pool_id", value=self.user_pool.pool.id)
        TerraformOutput(self, "user_pool_client_id", value=self.user_pool.client.id)
        TerraformOutput(self, "ecr_repository_url", value=self.service.repository.repository_url)
        TerraformOutput(self, "alarm_topic_arn", value=self.monitoring.topic_arn)
        TerraformOutput(self, "api_key_ids", value={k: v.id for k, v in self.api.api_keys.items()})
