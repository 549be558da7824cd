"""CKV_GUARD_ALB_LOGS: application load balancers write access logs.

It replaces checkov's CKV_AWS_91 (skipped in .checkov.yaml), which also demands access logs on
network load balancers. An NLB logs only TLS connections ("Access logs are created only if the
load balancer has a TLS listener", ELB user guide, network/load-balancer-access-logs); the
refactor NLB passes TCP through to the ALB, so its logs would stay empty while the ALB's record
every request. Gateway load balancers have no access logs at all.
"""

from __future__ import annotations

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from guardrail_support import first


class ApplicationLoadBalancerAccessLogs(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Application load balancers have access logging enabled",
            id="CKV_GUARD_ALB_LOGS",
            categories=[CheckCategories.LOGGING],
            supported_resources=["aws_lb", "aws_alb"],
        )

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        if first(conf.get("load_balancer_type"), "application") != "application":
            return CheckResult.UNKNOWN
        logs = first(conf.get("access_logs"), {})
        enabled = isinstance(logs, dict) and first(logs.get("enabled")) is True and bool(first(logs.get("bucket")))
        self.details = [] if enabled else ["access_logs is not enabled with a bucket"]
        return CheckResult.PASSED if enabled else CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return ["access_logs", "load_balancer_type"]


check = ApplicationLoadBalancerAccessLogs()
