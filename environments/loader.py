"""Load environment YAML files into validated `Environment` models, with errors a person can act on.

Nothing here imports cdktf, so a broken file fails in well under a second, before any synth.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from environments.schema import Environment

# CDKTF_ENVIRONMENTS_DIR lets tests (and forks) point at another set of files.
ENVIRONMENTS_DIR = Path(os.environ.get("CDKTF_ENVIRONMENTS_DIR", Path(__file__).resolve().parent))
ENV_SELECTOR = "CDKTF_ENV"


class ConfigError(Exception):
    """A configuration problem, already phrased for the person who has to fix it."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; a duplicated key is almost always a mistake."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def available_environments(directory: Path = ENVIRONMENTS_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml"))


def load_environment(path: Path) -> Environment:
    """Parse and validate one file. Raises ConfigError naming the file, the field and the fix."""
    shown = _display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read the file ({exc.strerror})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{shown}: invalid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{shown}: expected a mapping of settings at the top level, got {type(data).__name__}")
    try:
        env = Environment.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(shown, exc)) from None
    if env.name != path.stem:
        raise ConfigError(f"{shown}: name: is {env.name!r} but the file is {path.name}; they must match")
    return env


def load_environments(names: Iterable[str] | None = None, directory: Path = ENVIRONMENTS_DIR) -> list[Environment]:
    """Load the named environments (default: every file), failing on the first bad one."""
    known = available_environments(directory)
    wanted = list(names) if names is not None else known
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ConfigError(
            f"unknown environment {', '.join(unknown)}; choose from {', '.join(known)} "
            f"(files in {_display_path(directory)})"
        )
    return [load_environment(directory / f"{name}.yaml") for name in wanted]


def selected_environment_names(value: str | None = None) -> list[str] | None:
    """CDKTF_ENV=dev or CDKTF_ENV=dev,prod selects environments; unset or empty means all."""
    raw = os.environ.get(ENV_SELECTOR, "") if value is None else value
    names = [part.strip() for part in raw.split(",") if part.strip()]
    return names or None


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _describe(shown: str, exc: ValidationError) -> str:
    lines = [f"{shown}: {exc.error_count()} problem(s) in the environment file"]
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        field = ".".join(loc) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            allowed = _allowed_keys(Environment, error["loc"][:-1])
            message = f"unknown key; allowed here: {', '.join(allowed)}" if allowed else "unknown key"
        elif error["type"] == "missing":
            message = "required but missing"
        elif "input" in error and not isinstance(error["input"], dict | list):
            message = f"{message} (got {error['input']!r})"
        lines.append(f"  {field}: {message}")
    return "\n".join(lines)


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Walk the model along an error location to list the keys allowed where the typo is."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        elif get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Optional[Model] -> Model, so the walk can go through nullable sections."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) not in (dict, list) and len(args) == 1 and isinstance(args[0], type):
        return args[0]
    return annotation
