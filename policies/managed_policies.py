"""The AWS managed policies a role of these stacks may carry.

The CI deploy role may attach only these (an `iam:PolicyARN` condition in modules/github_deploy_access.py and
in the permissions boundary), and the `PermissionsBoundaryRequired` guardrail refuses at synth an
attachment of anything else, so a new attachment fails here with the fix instead of failing on
AWS with AccessDenied halfway through an apply. Add a policy only with the role that needs it.
"""

from __future__ import annotations

ATTACHABLE_MANAGED_POLICIES: tuple[str, ...] = (
    # Lambda functions in a VPC (modules/lambda_function.py).
    "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    # AWS Backup's service role (modules/backup.py).
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    # Session Manager and the CloudWatch agent on hosts, and Image Builder's build instances.
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    "arn:aws:iam::aws:policy/EC2InstanceProfileForImageBuilder",
    # RDS enhanced monitoring (modules/database.py).
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
    # AWS Config's recorder (stacks/shared/baseline.py).
    "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole",
    # API Gateway's account-level CloudWatch role.
    "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
)


def boundary_name(environment: str) -> str:
    """The permissions boundary every role of an environment carries (created by its bootstrap)."""
    return f"{environment}-workload-boundary"


def boundary_arn(environment: str, account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:policy/{boundary_name(environment)}"
