"""`make preflight ENV=x`: a read-only check of the target account before anything is planned or applied.

    python -m scripts.preflight ENV [--for plan|deploy]

Everything here passes against the emulator, but a fresh or lived-in AWS account refuses things
the emulator accepts: missing credentials, a region not enabled, singletons AWS tooling created
already, small quotas. Each check prints one line, `ok`, `skip` or `FAIL`, and a FAIL says what to
do. Exit status: 0 when nothing failed, 1 when something did, 2 for a broken environment file.

It only reads (Describe/Get/List/Head calls). `make plan` and `make deploy` run it first, so a
missing credential is one clear line in seconds instead of a failed plan per stack.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from environments.loader import ConfigError, load_environments
from environments.schema import SERVICE_LINKED_ROLES, Environment

# Short timeouts and two attempts: an unreachable endpoint fails in seconds, not minutes.
CLIENT_CONFIG = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"})
SESSION_PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
EDGE_REGION = "us-east-1"  # CloudFront's certificate, WAF and logs
# Lambda keeps this much concurrency unreserved: 100, or the whole quota when it is below 100
# (new accounts start at 10, and then AWS refuses any reservation).
LAMBDA_MIN_UNRESERVED = 100
TABLESLEUTH_ROTATION_RESERVED = 2  # stacks/tablesleuth/stack.py reserves this for the rotation function
DATABASE_APP_ROLE_RESERVED = 1  # modules/database.py reserves this for the app-role function
# (tests/stacks/test_preflight_reservations.py holds both equal to the synthesized stacks)
QUOTA_LAMBDA_CONCURRENCY = "L-B99A9384"
QUOTA_EC2_EIPS = "L-0263D0A3"
ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}


@dataclass(frozen=True)
class Result:
    status: str  # "ok", "skip" or "FAIL"
    check: str
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"

    def line(self) -> str:
        return f"{self.status:<4} {self.check}: {self.detail}" + (f" Fix: {self.fix}" if self.fix else "")


def ok(check: str, detail: str) -> Result:
    return Result("ok", check, detail)


def fail(check: str, detail: str, fix: str) -> Result:
    return Result("FAIL", check, detail, fix)


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _exists(describe: Callable[[], object], missing_code: str) -> bool:
    """True when the describe call finds the thing, False on its not-found code; else it raises."""
    try:
        describe()
    except ClientError as exc:
        if _code(exc) != missing_code:
            raise
        return False
    return True


class Preflight:
    """The checks of one environment against one account, through one boto3 session."""

    def __init__(self, env: Environment, session: boto3.Session, *, endpoint_url: str | None = None) -> None:
        self.env = env
        self.session = session
        self.endpoint_url = endpoint_url
        self.file = f"environments/{env.name}.yaml"

    def client(self, service: str, region: str | None = None):
        return self.session.client(
            service, region_name=region or self.env.primary_region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG
        )

    # --- running -------------------------------------------------------------------------------
    def run(self, *, purpose: str = "deploy") -> list[Result]:
        identity = self.credentials()
        if identity.failed:
            return [identity]  # every other check would fail the same way: one line is enough
        results = [identity]
        checks: list[tuple[str, Callable[[], Iterator[Result]]]] = [
            ("regions", self.regions),
            ("state", lambda: self.state(purpose)),
            ("service-linked roles", self.service_linked_roles),
            ("config recorder", self.config_recorders),
            ("session preferences", self.session_documents),
            ("cost anomaly monitor", self.cost_anomaly),
            ("lambda concurrency", self.lambda_concurrency),
            ("elastic IPs", self.elastic_ips),
            ("hosted zone", self.hosted_zone),
            ("github oidc provider", self.oidc_provider),
        ]
        for name, check in checks:
            try:
                results.extend(check())
            except ClientError as exc:
                results.append(self._unanswered(name, exc))
            except (BotoCoreError, NotImplementedError) as exc:
                results.append(self._unanswered(name, exc))
        return results

    def _unanswered(self, name: str, exc: Exception) -> Result:
        """A check the account (or the emulator) would not answer."""
        if isinstance(exc, ClientError) and _code(exc) in ACCESS_DENIED:
            return fail(name, f"could not check: {exc}", "run preflight with the deploy (or plan) role's credentials")
        if self.env.local_aws:
            return Result("skip", name, f"the emulator cannot answer this check ({type(exc).__name__})")
        return fail(name, f"could not check: {exc}", "re-run; if it persists, check the AWS service health page")

    # --- checks --------------------------------------------------------------------------------
    def credentials(self) -> Result:
        account = self.env.account_id
        try:
            if self.session.get_credentials() is None:
                raise NoCredentialsError()
            identity = self.client("sts").get_caller_identity()
        except NoCredentialsError:
            return fail(
                "credentials",
                "no AWS credentials found (environment variables, AWS_PROFILE, SSO cache or instance role)",
                f"sign in to account {account}, e.g. `aws sso login --profile <profile>` and "
                "`export AWS_PROFILE=<profile>`, then re-run",
            )
        except ClientError as exc:
            return fail("credentials", f"AWS refused the credentials ({_code(exc)})", "renew them and re-run")
        except BotoCoreError as exc:
            return fail("credentials", f"could not reach AWS STS: {exc}", "check the network or proxy and re-run")
        if identity["Account"] != account:
            return fail(
                "credentials",
                f"the credentials ({identity['Arn']}) belong to account {identity['Account']}, but {self.file} "
                f"deploys to {account}",
                f"use credentials for account {account}, or correct account_id in {self.file}",
            )
        return ok("credentials", f"{identity['Arn']} in account {account}")

    def _needed_regions(self) -> list[str]:
        env = self.env
        regions = [*env.workload_regions, env.dr_region, env.state.region, EDGE_REGION]
        return list(dict.fromkeys(regions))

    def regions(self) -> Iterator[Result]:
        answer = self.client("ec2").describe_regions(AllRegions=True)["Regions"]
        status = {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in answer}
        disabled = [r for r in self._needed_regions() if status.get(r, "not-opted-in") == "not-opted-in"]
        for region in disabled:
            yield fail(
                "regions",
                f"{region} is not enabled in this account",
                f"aws account enable-region --region-name {region} (takes minutes to hours), then re-run",
            )
        if not disabled:
            yield ok("regions", f"{', '.join(self._needed_regions())} enabled")

    def state(self, purpose: str) -> Iterator[Result]:
        state = self.env.state
        bucket = self._bucket_exists(state.bucket)
        if bucket == "other-account":
            yield fail(
                "state",
                f"bucket {state.bucket} exists but this account cannot use it (another account owns the name)",
                f"choose another state.bucket in {self.file}",
            )
            return
        dynamodb = self.client("dynamodb", state.region)
        table = _exists(lambda: dynamodb.describe_table(TableName=state.lock_table), "ResourceNotFoundException")
        where = f"s3://{state.bucket} and table {state.lock_table} in {state.region}"
        if bucket == "yes" and table:
            yield ok("state", f"{where} exist")
        elif bucket == "no" and not table:
            if purpose == "plan":
                yield fail("state", f"{where} do not exist yet", f"make deploy ENV={self.env.name} (bootstrap)")
            else:
                yield ok("state", f"{where} do not exist yet; {self.env.name}-bootstrap creates them first")
        else:
            present, missing = (state.bucket, state.lock_table) if bucket == "yes" else (state.lock_table, state.bucket)
            yield fail(
                "state",
                f"{present} exists but {missing} does not: bootstrap would fail creating {present} again",
                f"import {present} into {self.env.name}-bootstrap, or delete it if it holds no state",
            )

    def _bucket_exists(self, name: str) -> str:
        try:
            self.client("s3", self.env.state.region).head_bucket(Bucket=name)
            return "yes"
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchBucket", "NotFound"):
                return "no"
            if _code(exc) in ("403", "AccessDenied"):
                return "other-account"
            raise

    def _state_resources(self, stack: str) -> list[dict] | None:
        """Resources in a stack's state (None when the state cannot be read)."""
        key = f"{self.env.name}/{stack}.tfstate"
        try:
            body = self.client("s3", self.env.state.region).get_object(Bucket=self.env.state.bucket, Key=key)["Body"]
            return json.loads(body.read()).get("resources", [])
        except ClientError as exc:
            return [] if _code(exc) in ("NoSuchKey", "NoSuchBucket", "404") else None

    def _managed_linked_roles(self) -> set[str]:
        stack = f"{self.env.name}-baseline-{self.env.primary_region}"
        return {
            instance.get("attributes", {}).get("aws_service_name", "")
            for resource in self._state_resources(stack) or []
            if resource.get("type") == "aws_iam_service_linked_role"
            for instance in resource.get("instances", [])
        }

    def service_linked_roles(self) -> Iterator[Result]:
        if self.env.tablesleuth is None:
            yield ok("service-linked roles", "none needed (no policy names one without TableSleuth)")
            return
        iam = self.client("iam")
        adopted = set(self.env.baseline.adopt_service_linked_roles)
        for service, role in SERVICE_LINKED_ROLES.items():
            exists = _exists(lambda role=role: iam.get_role(RoleName=role), "NoSuchEntity")
            if service in adopted and not exists:
                yield fail(
                    "service-linked roles",
                    f"{role} does not exist, but baseline.adopt_service_linked_roles in {self.file} says it does; "
                    "KMS will refuse the TableSleuth host key that names it",
                    f"remove {service} from baseline.adopt_service_linked_roles (the baseline then creates it), "
                    f"or: aws iam create-service-linked-role --aws-service-name {service}",
                )
            elif service not in adopted and exists and service not in self._managed_linked_roles():
                yield fail(
                    "service-linked roles",
                    f"{role} exists already (AWS allows one), so the baseline cannot create it",
                    f"add {service} to baseline.adopt_service_linked_roles in {self.file}",
                )
            else:
                how = "exists (adopted)" if service in adopted else "created by the baseline"
                yield ok("service-linked roles", f"{role} {how}")

    def config_recorders(self) -> Iterator[Result]:
        ours = f"{self.env.name}-recorder"
        for region in self.env.workload_regions:
            config = self.client("config", region)
            names = [r["name"] for r in config.describe_configuration_recorders()["ConfigurationRecorders"]]
            others = [n for n in names if n != ours]
            if not others:
                yield ok("config recorder", f"{region}: none besides {ours}")
                continue
            channels = [c["name"] for c in config.describe_delivery_channels()["DeliveryChannels"]]
            cli = "aws configservice"
            delete = " && ".join(
                [
                    *(f"{cli} stop-configuration-recorder --configuration-recorder-name {n}" for n in others),
                    *(f"{cli} delete-delivery-channel --delivery-channel-name {c}" for c in channels),
                    *(f"{cli} delete-configuration-recorder --configuration-recorder-name {n}" for n in others),
                ]
            )
            yield fail(
                "config recorder",
                f"{region}: AWS Config allows one recorder per region and {', '.join(others)} exists, so the "
                f"baseline's {ours} would be refused",
                f"if no landing zone (e.g. Control Tower) owns it, remove it (its recorded history stays in its "
                f"bucket): {delete} --region {region}",
            )

    def session_documents(self) -> Iterator[Result]:
        adopt = set(self.env.baseline.adopt_session_preferences)
        for region in self.env.workload_regions:
            ssm = self.client("ssm", region)
            exists = _exists(
                lambda ssm=ssm: ssm.describe_document(Name=SESSION_PREFERENCES_DOCUMENT), "InvalidDocument"
            )
            stack = f"{self.env.name}-baseline-{region}"
            if region in adopt and not exists:
                yield fail(
                    "session preferences",
                    f"{region}: baseline.adopt_session_preferences lists it, but {SESSION_PREFERENCES_DOCUMENT} "
                    "does not exist there, so the import would fail",
                    f"remove {region} from baseline.adopt_session_preferences in {self.file}",
                )
            elif region not in adopt and exists and not self._tagged_by(ssm, stack):
                yield fail(
                    "session preferences",
                    f"{region}: {SESSION_PREFERENCES_DOCUMENT} exists already (saved in the console, Quick Setup or "
                    "a landing zone), so creating it fails with DocumentAlreadyExists",
                    f"add {region} to baseline.adopt_session_preferences in {self.file} (the baseline imports it), "
                    f"or: aws ssm delete-document --name {SESSION_PREFERENCES_DOCUMENT} --region {region}",
                )
            else:
                how = "imported" if region in adopt else ("managed by " + stack if exists else "created by " + stack)
                yield ok("session preferences", f"{region}: {SESSION_PREFERENCES_DOCUMENT} {how}")

    @staticmethod
    def _tagged_by(ssm, stack: str) -> bool:
        tags = ssm.list_tags_for_resource(ResourceType="Document", ResourceId=SESSION_PREFERENCES_DOCUMENT)
        return any(t["Key"] == "Stack" and t["Value"] == stack for t in tags.get("TagList", []))

    def cost_anomaly(self) -> Iterator[Result]:
        baseline = self.env.baseline
        if not baseline.cost_anomaly_detection:
            yield Result("skip", "cost anomaly monitor", f"cost_anomaly_detection is off in {self.file}")
            return
        ce = self.client("ce", EDGE_REGION)
        monitors = []
        for page in _pages(ce.get_anomaly_monitors, "AnomalyMonitors"):
            monitors.extend(page)
        if baseline.anomaly_monitor_arn:
            if any(m["MonitorArn"] == baseline.anomaly_monitor_arn for m in monitors):
                yield ok("cost anomaly monitor", f"subscribing to {baseline.anomaly_monitor_arn}")
            else:
                yield fail(
                    "cost anomaly monitor",
                    f"baseline.anomaly_monitor_arn {baseline.anomaly_monitor_arn} is not a monitor of this account",
                    f"set it to one of: {', '.join(m['MonitorArn'] for m in monitors) or '(none: unset it)'}",
                )
            return
        ours = f"{self.env.name}-services"
        service = [
            m
            for m in monitors
            if (m.get("MonitorType"), m.get("MonitorDimension")) == ("DIMENSIONAL", "SERVICE")
            and m["MonitorName"] != ours
        ]
        if service:
            yield fail(
                "cost anomaly monitor",
                f"the account has its one AWS-services monitor already ({service[0]['MonitorName']}), so creating "
                "another fails (Limit exceeded on dimensional spend monitor creation)",
                f"set baseline.anomaly_monitor_arn: {service[0]['MonitorArn']} in {self.file}",
            )
        else:
            yield ok("cost anomaly monitor", f"no AWS-services monitor yet; the baseline creates {ours}")

    def _reservations(self) -> dict[str, int]:
        """Reserved Lambda concurrency these stacks ask for, per region."""
        env, needed = self.env, {}
        if env.compute.processor_reserved_concurrency:
            needed[env.primary_region] = env.compute.processor_reserved_concurrency
        if not env.workarounds.skip_database_app_role:
            needed[env.primary_region] = needed.get(env.primary_region, 0) + DATABASE_APP_ROLE_RESERVED
        if env.tablesleuth is not None and env.tablesleuth.password_rotation_days:
            for region in env.networks.get("tablesleuth", {}):
                needed[region] = needed.get(region, 0) + TABLESLEUTH_ROTATION_RESERVED
        return needed

    def lambda_concurrency(self) -> Iterator[Result]:
        for region, reserved in self._reservations().items():
            limit = self.client("lambda", region).get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
            floor = min(LAMBDA_MIN_UNRESERVED, limit)
            if limit - reserved < floor:
                yield fail(
                    "lambda concurrency",
                    f"{region}: the account's concurrency quota is {limit}; reserving {reserved} would leave less "
                    f"than the {floor} Lambda keeps unreserved, so function creation fails",
                    f"aws service-quotas request-service-quota-increase --service-code lambda --quota-code "
                    f"{QUOTA_LAMBDA_CONCURRENCY} --desired-value 1000 --region {region}; or, until it is granted, "
                    f"set compute.processor_reserved_concurrency: null in {self.file}",
                )
            else:
                yield ok("lambda concurrency", f"{region}: quota {limit}, reservations {reserved}")

    def _eips_needed(self) -> dict[str, int]:
        needed: dict[str, int] = {}
        for regions in self.env.networks.values():
            for region, net in regions.items():
                count = {"none": 0, "single": 1, "per_az": net.az_count}[net.nat_gateways]
                needed[region] = needed.get(region, 0) + count
        return needed

    def elastic_ips(self) -> Iterator[Result]:
        for region, needed in self._eips_needed().items():
            ec2 = self.client("ec2", region)
            attributes = ec2.describe_account_attributes(AttributeNames=["vpc-max-elastic-ips"])["AccountAttributes"]
            quota = int(attributes[0]["AttributeValues"][0]["AttributeValue"])
            addresses = ec2.describe_addresses()["Addresses"]
            ours = [a for a in addresses if {"Key": "Environment", "Value": self.env.name} in a.get("Tags", [])]
            others = len(addresses) - len(ours)
            if others + needed > quota:
                yield fail(
                    "elastic IPs",
                    f"{region}: the NAT gateways need {needed} Elastic IPs, {others} are held by other things, and "
                    f"the quota is {quota}",
                    f"aws service-quotas request-service-quota-increase --service-code ec2 --quota-code "
                    f"{QUOTA_EC2_EIPS} --desired-value {others + needed + 2} --region {region}, or release unused ones",
                )
            else:
                yield ok("elastic IPs", f"{region}: {needed} for NAT + {others} others <= quota {quota}")

    def _zones(self) -> list[str]:
        """Public zones the stacks look up rather than create."""
        env, zones = self.env, []
        if env.api.hosted_zone == "existing":
            zones.append(env.domain)
        ts = env.tablesleuth
        if ts is not None and ts.dns_zone_name and not ts.create_dns_zone and ts.certificate_arn is None:
            zones.append(ts.dns_zone_name)
        return list(dict.fromkeys(zones))

    def hosted_zone(self) -> Iterator[Result]:
        zones = self._zones()
        if not zones:
            yield ok("hosted zone", "none to look up (the stacks create their zones)")
            return
        route53 = self.client("route53")
        for zone in zones:
            name = f"{zone}."
            found = route53.list_hosted_zones_by_name(DNSName=name)["HostedZones"]
            if any(z["Name"] == name and not z.get("Config", {}).get("PrivateZone") for z in found):
                yield ok("hosted zone", f"public zone {zone} exists")
            else:
                yield fail(
                    "hosted zone",
                    f"no public Route 53 zone {zone}: certificates cannot validate and the names cannot be published",
                    f"create and delegate it (aws route53 create-hosted-zone --name {zone} "
                    "--caller-reference preflight-$(date +%s)), then re-run",
                )

    def oidc_provider(self) -> Iterator[Result]:
        iam = self.client("iam")
        arn = f"arn:aws:iam::{self.env.account_id}:oidc-provider/{GITHUB_OIDC_HOST}"
        listed = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
        exists = arn in listed
        creates = self.env.ci.create_oidc_provider
        ours = exists and any(
            t["Key"] == "Environment" and t["Value"] == self.env.name
            for t in iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn).get("Tags", [])
        )
        if creates and exists and not ours:
            yield fail(
                "github oidc provider",
                "the account has the GitHub OIDC provider already (one per account), so bootstrap cannot create it",
                f"set ci.create_oidc_provider: false in {self.file}",
            )
        elif not creates and not exists:
            yield fail(
                "github oidc provider",
                "ci.create_oidc_provider is false, but the account has no GitHub OIDC provider for the roles to trust",
                f"set ci.create_oidc_provider: true in {self.file}",
            )
        else:
            yield ok("github oidc provider", "created by bootstrap" if creates else "exists (adopted)")


def _pages(call, key: str) -> Iterator[list]:
    token = None
    while True:
        answer = call(**({"NextPageToken": token} if token else {}))
        yield answer.get(key, [])
        token = answer.get("NextPageToken")
        if not token:
            return


def session_for(env: Environment) -> tuple[boto3.Session, str | None]:
    """The session (and endpoint) preflight uses: the emulator's for local_aws, else the default chain."""
    if env.local_aws:
        from scripts import local_aws

        # No instance metadata on the emulator path: never wait on IMDS for credentials.
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        endpoint = local_aws.start()
        creds = local_aws.credentials_env()
        session = boto3.Session(
            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
            region_name=env.primary_region,
        )
        return session, endpoint
    # Real accounts may use an instance role (a self-hosted runner), so IMDS stays on, but a laptop
    # without one must not wait: one attempt of one second.
    os.environ.setdefault("AWS_METADATA_SERVICE_TIMEOUT", "1")
    os.environ.setdefault("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1")
    return boto3.Session(region_name=env.primary_region), None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.preflight", description=__doc__.splitlines()[0])
    parser.add_argument("env")
    parser.add_argument("--for", dest="purpose", choices=("plan", "deploy"), default="deploy")
    args = parser.parse_args(argv)
    try:
        (env,) = load_environments([args.env])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    session, endpoint = session_for(env)
    results = Preflight(env, session, endpoint_url=endpoint).run(purpose=args.purpose)
    for result in results:
        print(result.line(), file=sys.stderr if result.failed else sys.stdout)
    failures = sum(r.failed for r in results)
    if failures:
        print(f"preflight {env.name}: {failures} problem(s); nothing was planned or applied", file=sys.stderr)
        return 1
    print(f"preflight {env.name}: account {env.account_id} is ready")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
