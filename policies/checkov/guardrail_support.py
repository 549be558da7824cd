"""Helpers shared by the custom checks (checkov puts this folder on sys.path before loading them).

checkov hands a check one resource's configuration with every value wrapped in a list, from two
sources: the synthesized JSON (references unresolved, no tags_all) and a plan's JSON (values
known at plan time, provider default_tags merged into tags_all).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = REPO_ROOT / "environments"


def first(value: Any, default: Any = None) -> Any:
    """checkov wraps scalars in a one-element list; unwrap (nested lists too)."""
    while isinstance(value, list):
        if not value:
            return default
        value = value[0]
    return default if value is None else value


def values(value: Any) -> list:
    """A list attribute, unwrapped one level: [["a", "b"]] -> ["a", "b"]."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        return value[0]
    return value if isinstance(value, list) else [value]


def environment_of(conf: dict, entity_path: str | None) -> str | None:
    """The environment of a resource: its Environment tag (plan), else the stack it came from
    (cdktf metadata in synthesized JSON, or the stack-named file: cdk.tf.json's folder or <stack>.json)."""
    for attribute in ("tags_all", "tags"):
        tags = first(conf.get(attribute))
        if isinstance(tags, dict) and tags.get("Environment"):
            return str(first(tags["Environment"]))
    metadata = (conf.get("//") or {}).get("metadata") if isinstance(conf.get("//"), dict) else None
    stack = None
    if isinstance(metadata, dict) and isinstance(metadata.get("path"), str):
        stack = metadata["path"].split("/", 1)[0]
    elif entity_path:
        file_path = Path(entity_path.split(":", 1)[0])
        stack = file_path.parent.name if file_path.name == "cdk.tf.json" else file_path.stem
    return stack.split("-", 1)[0] if stack else None


def emulator_switch(environment: str | None, switch: str) -> bool:
    """Is an emulator_workarounds switch on in environments/<env>.yaml? (Only local_aws envs may set one.)"""
    if not environment:
        return False
    path = ENVIRONMENTS / f"{environment}.yaml"
    if not path.is_file():
        return False
    config = yaml.safe_load(path.read_text()) or {}
    return bool(config.get("local_aws")) and bool((config.get("emulator_workarounds") or {}).get(switch))


def is_production(environment: str | None) -> bool:
    """Is environments/<env>.yaml of tier production? (Production rules key on the tier, never on
    the name, so an environment called "production" gets them too.)"""
    if not environment:
        return False
    path = ENVIRONMENTS / f"{environment}.yaml"
    if not path.is_file():
        return False
    return (yaml.safe_load(path.read_text()) or {}).get("tier") == "production"


def policy_statements(policy: Any) -> list[dict] | None:
    """Statements of a rendered JSON policy, or None when the policy is not known (a reference or unknown)."""
    policy = first(policy)
    if isinstance(policy, str):
        if "${" in policy:
            return None
        try:
            policy = json.loads(policy)
        except ValueError:
            return None
    if not isinstance(policy, dict):
        return None
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def denies_insecure_transport(statements: list[dict], service: str) -> bool:
    """A Deny for everyone on the service's actions when aws:SecureTransport is false (JSON form)."""
    for statement in statements:
        if statement.get("Effect") != "Deny":
            continue
        principal = statement.get("Principal")
        if principal not in ("*", {"AWS": "*"}, {"AWS": ["*"]}):
            continue
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("*", f"{service}:*") or a.lower().startswith(f"{service}:") for a in actions):
            continue
        condition = statement.get("Condition", {})
        for test in ("Bool", "BoolIfExists"):
            value = (condition.get(test) or {}).get("aws:SecureTransport")
            if value in ("false", False, ["false"], [False]):
                return True
    return False


def document_statements(conf: dict) -> list[dict]:
    """The statements of an aws_iam_policy_document data source, in the JSON policy form."""
    rendered = []
    for statement in values(conf.get("statement", [])):
        if not isinstance(statement, dict):
            continue
        principals: dict = {}
        for block in values(statement.get("principals", [])):
            if isinstance(block, dict):
                principals.setdefault(first(block.get("type")), []).extend(values(block.get("identifiers", [])))
        condition: dict = {}
        for block in values(statement.get("condition", [])):
            if isinstance(block, dict):
                variable_values = values(block.get("values", []))
                condition.setdefault(first(block.get("test")), {})[first(block.get("variable"))] = (
                    variable_values[0] if len(variable_values) == 1 else variable_values
                )
        rendered.append(
            {
                "Effect": first(statement.get("effect"), "Allow"),
                "Action": values(statement.get("actions", [])),
                "Resource": values(statement.get("resources", [])),
                "Principal": principals if principals else None,
                "Condition": condition,
            }
        )
    return rendered


def document_targets(statements: list[dict], resource_type: str, arn_service: str) -> bool:
    """Is this a resource policy (it names principals) on a resource of this type?"""
    pattern = re.compile(rf"\$\{{{resource_type}\.|^arn:aws[a-z-]*:{arn_service}:")
    return any(
        statement.get("Principal") and any(isinstance(r, str) and pattern.search(r) for r in statement["Resource"])
        for statement in statements
    )
