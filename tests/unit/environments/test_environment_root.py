"""The root model: no dead settings, and the package split keeps every old import working."""

from __future__ import annotations

import ast
from pathlib import Path

import environments.schema as schema
from environments.schema import Environment
from tests.helpers import config_error

SCHEMA_DIR = Path(schema.__file__).parent
CONCERNS = ("types", "network", "refactor", "tablesleuth", "account", "environment")


def test_top_level_certificate_arn_is_refused_as_unknown(tmp_path):
    # Nothing ever read it: the certificates in use are api., edge. and tablesleuth.certificate_arn.
    assert "certificate_arn" not in Environment.model_fields
    message = config_error(
        tmp_path, "dev", lambda data: data.update(certificate_arn="arn:aws:acm:us-east-2:111111111111:certificate/x")
    )
    assert "\n  certificate_arn: unknown key; allowed here: name, tier, account_id," in message


def test_the_schema_is_a_package_by_concern_and_re_exports_everything():
    assert sorted(p.stem for p in SCHEMA_DIR.glob("*.py")) == sorted(("__init__", *CONCERNS))
    for concern in CONCERNS:
        tree = ast.parse((SCHEMA_DIR / f"{concern}.py").read_text())
        defined = {node.name for node in tree.body if isinstance(node, ast.ClassDef)} | {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        public = {name for name in defined if not name.startswith("_")}
        assert public <= set(schema.__all__), f"{concern}.py: not re-exported: {sorted(public - set(schema.__all__))}"
    assert all(hasattr(schema, name) for name in schema.__all__)


def test_names_other_code_imports_still_resolve():
    # What modules/, stacks/, scripts/ and the tests import from environments.schema.
    for name in (
        "SERVICE_LINKED_ROLES",
        "AWS_REGIONS",
        "ManagedBy",
        "Environment",
        "Workload",
        "NetworkConfig",
        "ComputeConfig",
        "DocumentsConfig",
        "ApiCacheConfig",
        "ThrottleConfig",
        "UsagePlanConfig",
        "CognitoEmailConfig",
        "CiConfig",
        "DatabaseConfig",
        "CacheConfig",
        "TableSleuthScheduleConfig",
    ):
        assert hasattr(schema, name), name
    assert schema.MANAGED_BY == schema.ManagedBy == "cdktf"


def test_alert_addresses_use_the_one_email_type(tmp_path):
    message = config_error(
        tmp_path, "dev", lambda data: data.setdefault("alerts", {}).update(emails=["not-an-address"])
    )
    assert "\n  alerts.emails.0: String should match pattern" in message
