"""Every CloudWatch Logs retention setting is one `LogRetentionDays` type: one rule, one message
(file, field path, the periods CloudWatch Logs accepts), wherever the setting sits."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import BaseModel

from environments.schema import LOG_RETENTION_DAYS, Environment, LogRetentionDays
from tests.helpers import config_error, load_changed, set_path

# Where each retention lives in dev.yaml (the primary region's refactor network stands for networks).
RETENTION_FIELDS = [
    "networks.refactor.us-east-2.flow_log_retention_days",
    "cache.slow_log_retention_days",
    "compute.log_retention_days",
    "api.waf.log_retention_days",
    "api.log_retention_days",
    "edge.log_retention_days",
    "tablesleuth.log_retention_days",
    "baseline.session_log_retention_days",
]


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models(arg)]


def _retention_fields() -> dict[str, Any]:
    """Model.field -> FieldInfo for every field named like a log retention, in the whole tree."""
    found: dict[str, Any] = {}
    todo, seen = [Environment], set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            if name.endswith("log_retention_days"):
                found[f"{model.__name__}.{name}"] = field
            todo += _models(field.annotation)
    return found


def test_every_log_retention_field_uses_the_one_type():
    (expected_validator,) = get_args(LogRetentionDays)[1:]
    fields = _retention_fields()
    assert len(fields) == len(RETENTION_FIELDS), sorted(fields)
    for name, field in fields.items():
        assert field.annotation is int, name
        assert expected_validator in field.metadata, f"{name} does not use LogRetentionDays"


@pytest.mark.parametrize("path", RETENTION_FIELDS)
def test_a_bad_retention_names_file_field_and_the_accepted_periods(tmp_path, path):
    message = config_error(tmp_path, "dev", lambda data: set_path(data, path, 45))
    allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
    assert f"\n  {path}: 45 is not a CloudWatch Logs retention period; use one of {allowed} (days) (got 45)" in (
        message
    )


@pytest.mark.parametrize("path", RETENTION_FIELDS)
def test_an_accepted_retention_loads(tmp_path, path):
    env = load_changed(tmp_path, "dev", lambda data: set_path(data, path, 3653))
    value: Any = env
    for part in path.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    assert value == 3653
