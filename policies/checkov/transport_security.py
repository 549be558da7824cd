"""CKV_GUARD_2 (S3) and CKV_GUARD_3 (SNS): resource policies deny requests without TLS.

A bucket or topic policy must hold a Deny for every principal on the service's actions when
aws:SecureTransport is false. It is judged where it is visible: on the aws_iam_policy_document
that builds it (synthesized JSON), and on the rendered policy (plan JSON, once known).

The local environment's emulator cannot evaluate the condition, so environments/local.yaml turns
the bucket Deny off with emulator_workarounds.skip_tls_only_bucket_policies; the S3 check honours
exactly that switch, and only for an environment with local_aws (the schema refuses it elsewhere).
"""

from __future__ import annotations

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from guardrail_support import (
    denies_insecure_transport,
    document_statements,
    document_targets,
    emulator_switch,
    environment_of,
    policy_statements,
)

TARGETS = {
    # check id: (service, resource types carrying the policy, the resource the policy is on, ARN service)
    "CKV_GUARD_2": ("s3", ("aws_s3_bucket_policy",), "aws_s3_bucket", "s3"),
    "CKV_GUARD_3": ("sns", ("aws_sns_topic_policy", "aws_sns_topic"), "aws_sns_topic", "sns"),
}
NAMES = {
    "CKV_GUARD_2": "S3 bucket policies deny requests without TLS (aws:SecureTransport=false)",
    "CKV_GUARD_3": "SNS topic policies deny requests without TLS (aws:SecureTransport=false)",
}


def _exempt(check_id: str, conf: dict, entity_path: str | None) -> bool:
    return check_id == "CKV_GUARD_2" and emulator_switch(
        environment_of(conf, entity_path), "skip_tls_only_bucket_policies"
    )


class TlsOnlyPolicy(BaseResourceCheck):
    def __init__(self, check_id: str) -> None:
        self.service, resource_types, _, _ = TARGETS[check_id]
        super().__init__(
            name=NAMES[check_id],
            id=check_id,
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=list(resource_types),
        )

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        statements = policy_statements(conf.get("policy"))
        if statements is None or _exempt(self.id, conf, getattr(self, "entity_path", None)):
            return CheckResult.UNKNOWN  # built by a policy document (judged there) or not known yet
        return CheckResult.PASSED if denies_insecure_transport(statements, self.service) else CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return ["policy"]


class TlsOnlyPolicyDocument(BaseDataCheck):
    def __init__(self, check_id: str) -> None:
        self.service, _, self.target_type, self.arn_service = TARGETS[check_id]
        super().__init__(
            name=NAMES[check_id] + " (policy document)",
            id=check_id,
            categories=[CheckCategories.ENCRYPTION],
            supported_data=["aws_iam_policy_document"],
        )

    def scan_data_conf(self, conf: dict) -> CheckResult:
        statements = document_statements(conf)
        if not document_targets(statements, self.target_type, self.arn_service):
            return CheckResult.UNKNOWN  # not a policy on this kind of resource
        if _exempt(self.id, conf, getattr(self, "entity_path", None)):
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if denies_insecure_transport(statements, self.service) else CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return ["statement"]


checks = [TlsOnlyPolicy(i) for i in TARGETS] + [TlsOnlyPolicyDocument(i) for i in TARGETS]
