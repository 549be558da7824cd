"""CKV_GUARD_1: every taggable resource on the plan carries the required tags.

default_tags live on the provider, so the synthesized JSON never shows them; the plan's tags_all
does. Resources without tags_all (synthesized JSON, or types that take no tags) are not judged.
"""

from __future__ import annotations

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from guardrail_support import first

REQUIRED_TAGS = ("Environment", "Project", "Owner", "CostCenter")


class RequiredTagsOnPlan(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name=f"Resources carry the required tags ({', '.join(REQUIRED_TAGS)}) in tags_all",
            id="CKV_GUARD_1",
            categories=[CheckCategories.CONVENTION],
            supported_resources=["aws_*"],
        )

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        if "tags_all" not in conf:
            return CheckResult.UNKNOWN
        tags = first(conf.get("tags_all"), {})
        if not isinstance(tags, dict):
            return CheckResult.UNKNOWN  # computed at apply
        missing = [tag for tag in REQUIRED_TAGS if not tags.get(tag)]
        self.details = [f"missing tags: {', '.join(missing)}"] if missing else []
        return CheckResult.FAILED if missing else CheckResult.PASSED

    def get_evaluated_keys(self) -> list[str]:
        return ["tags_all"]


check = RequiredTagsOnPlan()
