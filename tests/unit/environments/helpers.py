"""Write a changed copy of a checked-in environment file and load it through the real loader, so
a test sees exactly the message a person would (file, field path, fix)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from environments.loader import ENVIRONMENTS_DIR, ConfigError, load_environment
from environments.schema import Environment


def env_data(name: str) -> dict:
    return yaml.safe_load((ENVIRONMENTS_DIR / f"{name}.yaml").read_text())


def load_changed(tmp_path: Path, name: str, change: Callable[[dict], None]) -> Environment:
    data = env_data(name)
    change(data)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_environment(path)


def config_error(tmp_path: Path, name: str, change: Callable[[dict], None]) -> str:
    with pytest.raises(ConfigError) as info:
        load_changed(tmp_path, name, change)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / name}.yaml: "), message  # the file comes first
    return message


def set_path(data: dict, dotted: str, value: object) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        data = data[part]
    data[leaf] = value
