"""IAM actions that may use Resource "*": AWS offers no resource-level permission for them.

Each entry is an action or an action pattern (fnmatch, case-insensitive). A statement whose
Resource is "*" passes the guardrail only if every one of its actions matches an entry here.
Add an action only when the Service Authorization Reference lists no resource type for it, and
say which service page you checked in the comment above its group.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS: tuple[str, ...] = (
    # X-Ray: trace and telemetry writes and sampling reads are account-wide.
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
    # EC2, Auto Scaling, ELB, RDS, ECS, Application Auto Scaling: Describe/List calls take no resource.
    "ec2:Describe*",
    "autoscaling:Describe*",
    "elasticloadbalancing:Describe*",
    "application-autoscaling:Describe*",
    "ecs:DiscoverPollEndpoint",
    "ecs:RegisterTaskDefinition",
    "ecs:DeregisterTaskDefinition",
    "ecs:DescribeTaskDefinition",
    "ecs:ListTaskDefinitions",
    # CloudWatch Logs: vendedlog delivery and resource-policy calls are account-wide.
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    # ECR: the registry login token is account-wide (pulls are scoped to repositories).
    "ecr:GetAuthorizationToken",
    # CloudWatch metrics: PutMetricData and metric reads take no resource (scope with cloudwatch:namespace).
    "cloudwatch:PutMetricData",
    "cloudwatch:GetMetricData",
    "cloudwatch:GetMetricStatistics",
    "cloudwatch:ListMetrics",
    # Session Manager / SSM agent channels (what AmazonSSMManagedInstanceCore grants on "*").
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
    "ssm:UpdateInstanceInformation",
    "ssm:ListInstanceAssociations",
    "ssm:DescribeParameters",
    # The account password policy is one per account, with no ARN.
    "iam:GetAccountPasswordPolicy",
    "iam:UpdateAccountPasswordPolicy",
    "iam:DeleteAccountPasswordPolicy",
    # Identity and listing calls with no resource.
    "sts:GetCallerIdentity",
    "s3:ListAllMyBuckets",
    "kms:ListAliases",
    "kms:ListKeys",
    "secretsmanager:GetRandomPassword",
    "secretsmanager:ListSecrets",
    "tag:GetResources",
    "acm:ListCertificates",
)


def has_no_resource_level_permissions(action: str) -> bool:
    """True when `action` (itself possibly a pattern) is covered by an allowlist entry."""
    lowered = action.lower()
    return any(fnmatchcase(lowered, entry.lower()) for entry in ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS)
