"""Stacks are thin compositions: no file in stacks/ (or a folder below it) over 250 lines, and no
provider resource class imported there (data sources, outputs, the provider and the backend are
fine). A stack that needs a resource is missing a module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STACKS = Path(__file__).resolve().parents[2] / "stacks"
MAX_LINES = 250
PROVIDER = "cdktf_cdktf_provider_aws"
FILES = sorted(STACKS.rglob("*.py"))


def _allowed(submodule: str) -> bool:
    return submodule.startswith("data_aws_") or submodule == "provider"


def resource_imports(source: str) -> list[str]:
    """Provider modules imported by `source` that are resources (not data_aws_*, provider)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == PROVIDER:  # from <provider> import iam_role
            found += [f"{PROVIDER}.{a.name}" for a in node.names if not _allowed(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(f"{PROVIDER}."):
            if not _allowed(node.module.split(".")[1]):
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [
                a.name for a in node.names if a.name.startswith(f"{PROVIDER}.") and not _allowed(a.name.split(".")[1])
            ]
    return found


def test_every_stack_file_is_checked():
    found = {str(p.relative_to(STACKS)) for p in FILES}
    assert {"base.py", "refactor/data.py", "refactor/edge.py", "tablesleuth/stack.py", "shared/baseline.py"} <= found


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(STACKS)))
def test_stack_file_is_a_screenful_or_two(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, (
        f"stacks/{path.relative_to(STACKS)}: {lines} lines; move resources into modules/ (max {MAX_LINES})"
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(STACKS)))
def test_stack_file_imports_no_provider_resource(path):
    imported = resource_imports(path.read_text())
    assert not imported, (
        f"stacks/{path.relative_to(STACKS)} builds resources itself ({', '.join(imported)}); use or add a module"
    )


def test_the_import_check_tells_resources_from_data_sources():
    source = (
        "from cdktf_cdktf_provider_aws.iam_role import IamRole\n"
        "from cdktf_cdktf_provider_aws import security_group, data_aws_vpc\n"
        "import cdktf_cdktf_provider_aws.route53_record\n"
        "import cdktf_cdktf_provider_aws.data_aws_route53_zone\n"
        "from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocument\n"
        "from cdktf_cdktf_provider_aws.provider import AwsProvider\n"
        "from cdktf import TerraformOutput, S3Backend\n"
    )
    assert resource_imports(source) == [
        "cdktf_cdktf_provider_aws.iam_role",
        "cdktf_cdktf_provider_aws.security_group",
        "cdktf_cdktf_provider_aws.route53_record",
    ]
