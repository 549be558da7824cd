"""The base every stack shares: naming, the AWS provider with default tags, and S3 state.

A stack is one environment x one component x (where it is regional) one region. Its state key
is <env>/<stack>.tfstate in the environment's state bucket, locked in DynamoDB.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cdktf import Annotations, Aspects, S3Backend, TerraformResource, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderEndpoints
from constructs import Construct

from environments.schema import Environment
from modules.emulator import EmulatorDrift
from modules.storage import LOG_BUCKET_EXPIRATION_CONTEXT, TLS_ONLY_BUCKETS_CONTEXT
from policies.aspects import PermissionsBoundary, apply_guardrails
from policies.managed_policies import ATTACHABLE_MANAGED_POLICIES, boundary_arn

# The bindings (cdktf-cdktf-provider-aws 19.65.1) write an exact "5.99.1"; any 5.x from 5.99 on
# speaks the same schema, and a pinned minor would refuse the provider a mirror or registry has.
AWS_PROVIDER_CONSTRAINT = "~> 5.99"

# Where the local environment's providers and backend point: LOCAL_AWS_ENDPOINT when set (ops sets
# it to the server it is about to talk to; the tests pin it), else the emulator's customary port
# (scripts/local_aws.py's HOST and DEFAULT_PORT). Never probed: whether an emulator happens to be
# running must not change the synthesized JSON.
LOCAL_AWS_ENDPOINT_VARIABLE = "LOCAL_AWS_ENDPOINT"
DEFAULT_LOCAL_AWS_ENDPOINT = "http://127.0.0.1:4566"


def local_aws_endpoint() -> str:
    return os.environ.get(LOCAL_AWS_ENDPOINT_VARIABLE) or DEFAULT_LOCAL_AWS_ENDPOINT


# Every service endpoint the stacks use, pointed at the embedded AWS in the local environment.
LOCAL_AWS_SERVICES = (
    "acm",
    "apigateway",
    "appautoscaling",
    "autoscaling",
    "backup",
    "budgets",
    "ce",
    "cloudfront",
    "cloudwatch",
    "cognitoidp",
    "configservice",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "elasticache",
    "elbv2",
    "events",
    "iam",
    "imagebuilder",
    "kms",
    "lambda_",
    "logs",
    "rds",
    "route53",
    "s3",
    "scheduler",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
    "wafv2",
    "xray",
)


def stack_name(env: Environment, component: str, region: str | None = None) -> str:
    """dev-bootstrap, dev-refactor-network-us-east-2: env, component, and region when regional."""
    return "-".join(part for part in (env.name, component, region) if part)


class EnvironmentStack(TerraformStack):
    """A TerraformStack bound to one environment and home region."""

    def __init__(
        self,
        scope: Construct,
        *,
        env: Environment,
        component: str,
        region: str | None = None,
        regional_name: bool = True,
    ) -> None:
        self.env = env
        self.region = region or env.primary_region
        self.component = component
        super().__init__(scope, stack_name(env, component, self.region if regional_name else None))
        # Cross-cutting settings that constructs read from context rather than from every caller.
        self.node.set_context(TLS_ONLY_BUCKETS_CONTEXT, env.tls_only_bucket_policies)
        self.node.set_context(LOG_BUCKET_EXPIRATION_CONTEXT, env.baseline.log_bucket_expiration_days)
        self.provider = self.aws_provider(self.region)
        self._s3_backend()
        self.add_override("terraform.required_providers.aws.version", AWS_PROVIDER_CONSTRAINT)
        # Every role carries the environment's permissions boundary (made by <env>-bootstrap): the
        # CI deploy role may create or change a role only with it. Added before the guardrails,
        # which refuse a role without it in real environments.
        self.boundary_arn = boundary_arn(env.name, env.account_id)
        Aspects.of(self).add(PermissionsBoundary(self.boundary_arn))
        # Synth-time guardrails (policies/): an ERROR finding stops synth with the path and the fix.
        apply_guardrails(
            self,
            production=env.is_production,
            boundary_arn=None if env.local_aws else self.boundary_arn,
            attachable=ATTACHABLE_MANAGED_POLICIES + self.extra_attachable_policies(),
        )

    @property
    def name(self) -> str:
        return self.node.id

    def extra_attachable_policies(self) -> tuple[str, ...]:
        """Managed policies only this stack may attach (the bootstrap's CI roles)."""
        return ()

    @property
    def state_key(self) -> str:
        return f"{self.env.name}/{self.name}.tfstate"

    def aws_provider(self, region: str, alias: str | None = None) -> AwsProvider:
        """The default provider, or an aliased one for a second region (e.g. DR or us-east-1)."""
        settings: dict = {
            "region": region,
            "default_tags": [{"tags": {**self.env.default_tags(), "Stack": self.name}}],
        }
        if alias:
            settings["alias"] = alias
        if self.env.local_aws:
            endpoint = local_aws_endpoint()
            settings.update(
                endpoints=[AwsProviderEndpoints(**{service: endpoint for service in LOCAL_AWS_SERVICES})],
                skip_credentials_validation=True,
                # The provider asks moto's STS for the account: without it, rules that reference a
                # security group read back as "<account>/sg-..." and never match the config.
                skip_requesting_account_id=False,
                skip_metadata_api_check="true",
                s3_use_path_style=True,
            )
        else:
            settings["allowed_account_ids"] = [self.env.account_id]
        return AwsProvider(self, f"aws-{alias}" if alias else "aws", **settings)

    def ignore_emulator_drift(self, drifts: Sequence[EmulatorDrift]) -> None:
        """The emulator-only ignore, for the round-trip gaps that modules declare themselves."""
        for drift in drifts:
            self.ignore_emulator_round_trip(drift.resource, drift.attributes, gap=drift.gap)

    def ignore_emulator_round_trip(self, resource: TerraformResource, attributes: Sequence[str], *, gap: str) -> None:
        """On the emulator only, ignore attributes it fails to read back, so a second plan is clean.

        `gap` names what the emulator gets wrong (it is kept in the synthesized JSON beside the
        ignore). Real environments never ignore anything through this hook.
        """
        if not self.env.local_aws:
            return
        if not gap:
            raise ValueError("say which emulator gap forces the ignore")
        resource.add_override("lifecycle.ignore_changes", list(attributes))
        resource.add_override("//.emulator_gap", gap)

    def _s3_backend(self) -> None:
        settings: dict = {
            "bucket": self.env.state.bucket,
            "key": self.state_key,
            "region": self.env.state.region,
            "dynamodb_table": self.env.state.lock_table,
        }
        if self.env.state.kms_key_arn:
            # SSE-KMS under the state key; cdktf copies backend settings into every
            # terraform_remote_state that reads this stack, so those carry it too.
            settings.update(encrypt=True, kms_key_id=self.env.state.kms_key_arn)
        else:
            # Before the first bootstrap the key's ARN is unknown (the backend takes no alias).
            # encrypt=true without kms_key_id would send AES256, which the state bucket's policy
            # refuses; without it S3 applies the bucket default: SSE-KMS under the state key.
            settings["encrypt"] = False
            if not self.env.local_aws:
                Annotations.of(self).add_warning(
                    f"environments/{self.env.name}.yaml: state.kms_key_arn is unset, so this stack's backend "
                    "relies on the state bucket's default encryption. Fix: after the first bootstrap, set it to "
                    f"the state_key_arn output of {self.env.name}-bootstrap."
                )
        if self.env.local_aws:
            endpoint = local_aws_endpoint()
            settings.update(
                endpoints={"s3": endpoint, "dynamodb": endpoint, "sts": endpoint, "iam": endpoint},
                use_path_style=True,
                skip_credentials_validation=True,
                skip_requesting_account_id=True,
                skip_metadata_api_check=True,
                skip_region_validation=True,
            )
        else:
            settings["allowed_account_ids"] = [self.env.account_id]
        S3Backend(self, **settings)
        # Terraform 1.11 deprecates DynamoDB locking in favour of S3 lock files. Running both is
        # its documented migration mode; cdktf 0.20's S3Backend has no field for it.
        self.add_override("terraform.backend.s3.use_lockfile", True)
