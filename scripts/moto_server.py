"""moto server with the emulator bugs this project hits patched, each named and explained.

scripts/local_aws.py starts this instead of `moto.server` directly. Patches fix the emulator
only; nothing here changes what the stacks ask of AWS.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict


def _patch_s3_delete_marker_dispose() -> None:
    # moto 5.2.5: deleting the versions of a key whose history holds a delete marker calls
    # FakeDeleteMarker.dispose(), which does not exist, and answers HTTP 500. Terraform's S3
    # lock file (use_lockfile) leaves such markers in the versioned state bucket, so emptying
    # that bucket on destroy would retry forever. A delete marker holds no buffer to release.
    from moto.s3.models import FakeDeleteMarker

    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = lambda self, garbage=False: None


def _patch_ec2_ebs_default_kms_key_reads() -> None:
    # moto 5.2.5 implements ModifyEbsDefaultKmsKeyId but not GetEbsDefaultKmsKeyId nor
    # ResetEbsDefaultKmsKeyId: aws_ebs_default_kms_key (baseline stack) reads the first after every
    # apply and calls the second on destroy, and gets HTTP 500 until Terraform gives up. AWS answers
    # with the aws/ebs key while no customer key is set; so does this.
    from moto.core.responses import ActionResult
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    def get_ebs_default_kms_key_id(self) -> ActionResult:
        backend = self.ec2_backend
        return ActionResult({"KmsKeyId": backend.default_kms_key_id or backend._create_default_encryption_key()})

    def reset_ebs_default_kms_key_id(self) -> ActionResult:
        self.ec2_backend.default_kms_key_id = ""
        return ActionResult({"KmsKeyId": self.ec2_backend._create_default_encryption_key()})

    for method in (get_ebs_default_kms_key_id, reset_ebs_default_kms_key_id):
        if not hasattr(ElasticBlockStore, method.__name__):
            setattr(ElasticBlockStore, method.__name__, method)


def _add_backup_selections() -> None:
    # moto 5.2.5 implements Backup plans and vaults but not selections (Create/Get/Delete/
    # ListBackupSelections answer NotImplemented, and the provider retries for minutes). A
    # selection is bookkeeping here (moto takes no backups), so it is stored and returned as sent.
    import json
    import time
    import uuid
    from urllib.parse import unquote

    from moto.backup.exceptions import ResourceNotFoundException
    from moto.backup.responses import BackupResponse

    if hasattr(BackupResponse, "create_backup_selection"):
        return  # a newer moto has its own

    def _selections(self: BackupResponse) -> dict:
        return self.backup_backend.__dict__.setdefault("_project_selections", {})

    def _path(self: BackupResponse) -> tuple[str, str | None]:
        # /backup/plans/{plan}/selections/ or /backup/plans/{plan}/selections/{selection}
        plan, _, rest = unquote(self.path).split("?")[0].split("/plans/", 1)[1].partition("/selections")
        return plan, rest.strip("/") or None

    def create_backup_selection(self: BackupResponse) -> str:
        plan_id, _ = _path(self)
        self.backup_backend.get_backup_plan(backup_plan_id=plan_id, version_id=None)  # 404s if missing
        params = json.loads(self.body)
        selection_id = str(uuid.uuid4())
        created = time.time()
        _selections(self)[selection_id] = {
            "BackupSelection": params["BackupSelection"],
            "SelectionId": selection_id,
            "BackupPlanId": plan_id,
            "CreationDate": created,
            "CreatorRequestId": params.get("CreatorRequestId"),
        }
        return json.dumps({"SelectionId": selection_id, "BackupPlanId": plan_id, "CreationDate": created})

    def get_backup_selection(self: BackupResponse) -> str:
        plan_id, selection_id = _path(self)
        selection = _selections(self).get(selection_id)
        if selection is None or selection["BackupPlanId"] != plan_id:
            raise ResourceNotFoundException(f"Failed reading backup selection {selection_id}")
        return json.dumps(selection)

    def delete_backup_selection(self: BackupResponse) -> str:
        _, selection_id = _path(self)
        if _selections(self).pop(selection_id, None) is None:
            raise ResourceNotFoundException(f"Failed deleting backup selection {selection_id}")
        return "{}"

    def list_backup_selections(self: BackupResponse) -> str:
        plan_id, _ = _path(self)
        return json.dumps(
            {
                "BackupSelectionsList": [
                    {
                        "SelectionId": s["SelectionId"],
                        "SelectionName": s["BackupSelection"]["SelectionName"],
                        "BackupPlanId": plan_id,
                        "CreationDate": s["CreationDate"],
                        "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
                    }
                    for s in _selections(self).values()
                    if s["BackupPlanId"] == plan_id
                ]
            }
        )

    for handler in (create_backup_selection, get_backup_selection, delete_backup_selection, list_backup_selections):
        setattr(BackupResponse, handler.__name__, handler)


def _patch_backup_list_tags_path() -> None:
    # moto 5.2.5 reads ListTags' ARN as the second-to-last path segment, which holds only when the
    # client adds a trailing slash (boto3 does, the Go SDK in Terraform's provider doesn't). The
    # provider then reads no tags on every Backup vault and plan and plans to re-add them forever.
    from urllib.parse import unquote

    from moto.backup.responses import BackupResponse

    original = BackupResponse.list_tags

    def list_tags(self: BackupResponse) -> str:
        self.path = "/tags/" + unquote(self.path.split("?")[0].split("/tags/", 1)[1]).rstrip("/") + "/"
        return original(self)

    BackupResponse.list_tags = list_tags


def _patch_backup_plan_name_reuse() -> None:
    # moto 5.2.5 keeps a deleted Backup plan (it only stamps a deletion date) and still counts its
    # name when a plan is created: `make deploy`, `make destroy`, `make deploy` against one local
    # AWS failed on refactor-data with "Backup plan with the same plan document already exists".
    # AWS refuses only a plan that is still there; a deleted plan's name is free again.
    from moto.backup.models import BackupBackend

    if getattr(BackupBackend.create_backup_plan, "ignores_deleted", False):
        return
    original = BackupBackend.create_backup_plan

    def create_backup_plan(self, backup_plan, backup_plan_tags, creator_request_id):
        deleted = {key: plan for key, plan in self.plans.items() if plan.deletion_date is not None}
        for key in deleted:
            del self.plans[key]
        try:
            return original(self, backup_plan, backup_plan_tags, creator_request_id)
        finally:
            self.plans.update(deleted)  # still listed with include_deleted, as AWS lists them

    create_backup_plan.ignores_deleted = True
    BackupBackend.create_backup_plan = create_backup_plan


def _patch_security_group_rule_description() -> None:
    # moto 5.2.5 reads a rule's description only from CIDR ranges, so a rule that references a
    # security group loses its description on read and plans an update forever.
    from moto.ec2.models.security_groups import SecurityGroupRule

    SecurityGroupRule.description = property(
        lambda self: self.ip_range.get("Description") or (self.source_group or {}).get("Description")
    )


def _patch_rds_serverless_v2_and_performance_insights() -> None:
    # moto 5.2.5 answers every cluster with a v1 ScalingConfigurationInfo (empty for a provisioned,
    # Serverless v2 cluster), which the provider reads as a v1 block to remove; and it drops an
    # instance's Performance Insights settings. Both would plan changes forever, and the second
    # makes checkov (CKV_AWS_353) fail the plan of a correctly configured instance.
    from moto.rds.models import DBCluster, DBInstance

    v1_info = DBCluster.scaling_configuration_info.fget
    DBCluster.scaling_configuration_info = property(lambda self: v1_info(self) if self.scaling_configuration else None)

    original_init = DBInstance.__init__

    def init(self, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        enabled = bool(kwargs.get("enable_performance_insights", False))
        self.performance_insights_enabled = enabled
        self.performance_insights_kms_key_id = kwargs.get("performance_insights_kms_key_id") if enabled else None
        self.performance_insights_retention_period = (
            kwargs.get("performance_insights_retention_period", 7) if enabled else None
        )

    DBInstance.__init__ = init


def _patch_lambda_dead_letter_and_logging_config() -> None:
    # moto 5.2.5 drops a function's DeadLetterConfig and LoggingConfig: it neither stores nor
    # returns them. The provider then plans to add both back after every apply, and the plan of a
    # correctly configured function fails checkov (CKV_AWS_116, no dead-letter queue). They are
    # kept as sent; a function without LoggingConfig gets AWS's default (Text, /aws/lambda/<name>).
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def logging_config_with_defaults(function_name: str, sent: dict | None) -> dict:
        config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}", **(sent or {})}
        if config["LogFormat"] == "JSON":
            config = {"ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO", **config}
        return config

    def init(self, account_id: str, spec: dict, *args, **kwargs) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.dead_letter_config = spec.get("DeadLetterConfig") or None
        self.logging_config = logging_config_with_defaults(self.function_name, spec.get("LoggingConfig"))

    def get_configuration(self, *args, **kwargs) -> dict:
        config = original_get(self, *args, **kwargs)
        if self.dead_letter_config:
            config["DeadLetterConfig"] = self.dead_letter_config
        config["LoggingConfig"] = self.logging_config
        return config

    def update_configuration(self, config_updates: dict) -> dict:
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_config = config_updates["DeadLetterConfig"] or None
        if "LoggingConfig" in config_updates:
            self.logging_config = logging_config_with_defaults(self.function_name, config_updates["LoggingConfig"])
        return original_update(self, config_updates)

    LambdaFunction.__init__ = init
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration


def _patch_dynamodb_repeated_conditional_put() -> None:
    # Terraform's DynamoDB state lock is a PutItem conditional on attribute_not_exists(LockID).
    # Against this server the client sometimes sends that PutItem twice: the first is written
    # (HTTP 200 in moto.log) and the second, within the same second, fails the condition on the
    # item the first wrote. Terraform then reports its own lock as held by "another run" and waits
    # out -lock-timeout (seen in CI: local-baseline LOCKED after 120 s, its dependants skipped).
    # An item identical to the stored one, attribute for attribute, can only come from the same
    # lock call (its Info holds a fresh UUID and timestamp), so the repeat is answered as the
    # first was. Any other conditional put keeps failing as AWS fails it.
    from moto.dynamodb.exceptions import ConditionalCheckFailed
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    if getattr(DynamoHandler.put_item, "repeat_aware", False):
        return
    original = DynamoHandler.put_item

    def put_item(self):
        try:
            return original(self)
        except ConditionalCheckFailed:
            name, item = self.body["TableName"], self.body["Item"]
            stored = self.dynamodb_backend.get_item(name, item)
            if stored is None or stored.to_json()["Attributes"] != item:
                raise
            return DynamoResult({})

    put_item.repeat_aware = True
    DynamoHandler.put_item = put_item


PATCHES = (
    _patch_lambda_dead_letter_and_logging_config,
    _patch_rds_serverless_v2_and_performance_insights,
    _patch_s3_delete_marker_dispose,
    _add_backup_selections,
    _patch_backup_list_tags_path,
    _patch_backup_plan_name_reuse,
    _patch_security_group_rule_description,
    _patch_ec2_ebs_default_kms_key_reads,
    _patch_dynamodb_repeated_conditional_put,
)


def _attempt(environ: dict) -> int:
    """The SDK's attempt number of this request (`amz-sdk-request: attempt=2; max=25`), 1 if unsaid."""
    for part in environ.get("HTTP_AMZ_SDK_REQUEST", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == "attempt" and value.isdigit():
            return int(value)
    return 1


def _call_name(environ: dict) -> str:
    """`service region METHOD path [target]`, from the signature's scope: enough to find the call."""
    scope = environ.get("HTTP_AUTHORIZATION", "").partition("Credential=")[2].split(",")[0].split("/")
    where = f"{scope[3]} {scope[2]} " if len(scope) > 3 else ""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    return f"{where}{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}" + (f" {target}" if target else "")


class _Answered:
    """The answers to the changing calls this server completed, by the SDK's invocation id (the
    same on every attempt of one call), so a retried attempt gets the answer its first one got."""

    KEEP = 4096  # calls: minutes of a deploy, far longer than the SDK retries one for
    LARGEST = 64 * 1024  # bytes: EC2's reads are POSTs too, and some answer megabytes; reads may run twice

    def __init__(self) -> None:
        self._answers: OrderedDict[str, tuple[str, list, bytes]] = OrderedDict()

    def get(self, invocation: str) -> tuple[str, list, bytes] | None:
        return self._answers.get(invocation)

    def keep(self, invocation: str, answer: tuple[str, list, bytes]) -> None:
        if len(answer[2]) > self.LARGEST:
            return
        self._answers[invocation] = answer
        while len(self._answers) > self.KEEP:
            self._answers.popitem(last=False)


def _serialize_requests() -> None:
    """Handle one request at a time, and answer a retried call as its first attempt was answered.

    One at a time: moto's backends are plain Python objects without locks, and stacks deploy in
    parallel: a Terraform apply then failed on its own DynamoDB state lock (PutItem answered
    ConditionalCheckFailed for the item it had just written) while another stack's lock calls ran
    beside it. Connections stay concurrent; only the handlers take turns. Terraform's waits are
    client-side sleeps, so the stacks still overlap where the time goes.

    Retries: the SDK sends a call again (attempt 2, same invocation id) when it did not read the
    answer to the first attempt, which this server had completed: a CreateSubnet then failed with
    InvalidSubnet.Conflict against the subnet its own first attempt made, and the stack with it.
    A changing call (not GET or HEAD) that was answered below 500 is answered the same way again,
    and the log says so; anything else runs again, as AWS would run it.
    """
    import moto.server as server

    run_simple = server.run_simple
    turn = threading.Lock()
    answered = _Answered()

    def serialized(app):
        def handle(environ, start_response):
            invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "")
            attempt = _attempt(environ)
            changing = environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
            with turn:
                earlier = answered.get(invocation) if invocation and attempt > 1 else None
                if attempt > 1:
                    done = (
                        f"answered as its first attempt was ({earlier[0]})"
                        if earlier
                        else "no answer kept, handled again"
                    )
                    print(
                        f"retried attempt {attempt} of call {invocation} ({_call_name(environ)}): {done}",
                        file=sys.stderr,
                        flush=True,
                    )
                if earlier is not None:
                    status, headers, body = earlier
                    start_response(status, headers)
                    return [body]
                seen: dict = {}

                def keep_status(status, headers, exc_info=None):
                    seen["status"], seen["headers"] = status, list(headers)
                    return start_response(status, headers, exc_info)

                body = list(app(environ, keep_status))
                if invocation and changing and seen and int(seen["status"].split()[0]) < 500:
                    answered.keep(invocation, (seen["status"], seen["headers"], b"".join(body)))
                return body

        return handle

    server.run_simple = lambda host, port, app, **options: run_simple(host, port, serialized(app), **options)


def main(argv: list[str]) -> None:
    for patch in PATCHES:
        patch()
    _serialize_requests()
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
