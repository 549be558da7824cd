"""AWS primitive types and fact tables every part of the configuration uses."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# The ManagedBy tag's value on every resource (provider default_tags), and the condition value IAM
# and KMS policies match it with.
MANAGED_BY = "cdktf"
# The old, type-like spelling; modules/encryption.py and modules/github_deploy_access.py still import it.
ManagedBy = MANAGED_BY
Workload = Literal["refactor", "tablesleuth"]
# The refactor service's deployed spellings, kept for compatibility: in code the workload is
# `refactor` (Workload above), but these two names are live in every account. Renaming the SSM path
# would strand the GitHub token an operator set by hand (and the plan role's deny that guards it);
# renaming the Project tag would retag every resource and split cost reports filtered on it. Use
# these constants, never the literals.
REFACTOR_PARAMETER_PATH = "code-refactor"  # SSM parameters /<env>/code-refactor/...
PROJECT_TAG = "code-refactor-platform"  # the Project tag of both workloads (provider default_tags)

# The commercial partition's regions (botocore's endpoints data; tests/unit/test_schema.py keeps the
# two in step). Every ARN here is written as arn:aws:..., so GovCloud and China are out of scope, and a
# typo such as us-east-5 is reported as an unknown region rather than as a missing network later.
AWS_REGIONS = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)


def _known_region(region: str) -> str:
    if region not in AWS_REGIONS:
        raise ValueError(f"unknown AWS region {region!r}; use one of {', '.join(AWS_REGIONS)}")
    return region


AwsRegion = Annotated[str, AfterValidator(_known_region), Field(examples=["us-east-2"])]
AccountId = Annotated[str, Field(pattern=r"^\d{12}$")]
Arn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$")]
BucketName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
DnsName = Annotated[str, Field(pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")]
EnvironmentName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{1,11}$")]

# CloudWatch Logs accepts only these retention periods (days); PutRetentionPolicy refuses any other.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _log_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{days} is not a CloudWatch Logs retention period; use one of "
            f"{', '.join(str(d) for d in LOG_RETENTION_DAYS)} (days)"
        )
    return days


# Every CloudWatch Logs retention setting: one type, so the rule and its message live in one place
# (the loader adds the file and the field path).
LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]

# Windows as RDS and ElastiCache take them: daily hh:mm-hh:mm, weekly ddd:hh:mm-ddd:hh:mm (UTC).
TIME_WINDOW = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"
WEEKLY_WINDOW = (
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo is never a silently ignored setting); models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Cidr = ipaddress.IPv4Network
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
