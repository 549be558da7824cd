"""Read an environment's synthesized stacks as plain data, for the cost estimate and the picture.

Every resource of every stack of one environment, with its region (from the provider it uses)
and the resources it references, cross-stack references included: cdktf turns those into
`data.terraform_remote_state.<x>.outputs.<y>`, so the producing stack's output `<y>` is looked
up to find the real resource. Where `make plan` left plan JSON for a stack
(`.build/plans/<env>/<stack>.json`), its planned values replace the synthesized ones, so tokens
that only Terraform resolves (counts, sizes from other stacks) are priced as planned.

Nothing here calls cdktf or Terraform: it reads files, so it is fast and works offline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

# scripts.paths, not scripts.toolchain: the toolchain module pulls in the toolchain checks.
from scripts.paths import PLAN_ROOT
from scripts.paths import outdir as default_outdir

REF = re.compile(r"\$\{([^}]*)\}")
LOCAL_REF = re.compile(r"^(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)")
REMOTE_REF = re.compile(r"data\.terraform_remote_state\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")


@dataclass
class Resource:
    stack: str
    type: str
    name: str
    region: str
    values: dict
    refs: set[tuple[str, str, str]] = field(default_factory=set)  # (stack, type, name)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.stack, self.type, self.name)

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"

    @property
    def path(self) -> str:
        """The construct path cdktf records (`dev-refactor-app/lb/alb`), or the address."""
        return self.values.get("//", {}).get("metadata", {}).get("path", f"{self.stack}/{self.address}")


@dataclass
class Stack:
    name: str
    resources: list[Resource]
    planned: bool  # values came from plan JSON


def _regions(config: dict) -> dict[str | None, str]:
    """Provider alias -> region (None is the default provider)."""
    providers = config.get("provider", {}).get("aws", [])
    if isinstance(providers, dict):
        providers = [providers]
    return {p.get("alias"): p.get("region", "us-east-1") for p in providers}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k != "//" for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _planned_values(plan: dict) -> dict[str, dict]:
    """address -> planned values, for the root module's resources."""
    found: dict[str, dict] = {}
    modules = [plan.get("planned_values", {}).get("root_module", {})]
    while modules:
        module = modules.pop()
        for res in module.get("resources", []):
            if res.get("mode") == "managed":
                found[res["address"]] = res.get("values") or {}
        modules.extend(module.get("child_modules", []))
    return found


def stack_names(outdir: Path, env: str) -> list[str]:
    manifest = outdir / "manifest.json"
    if not manifest.is_file():
        raise SystemExit(f"{manifest} not found: run `make synth` (or `python -m scripts.ops synth {env}`) first")
    names = json.loads(manifest.read_text())["stacks"]
    return sorted(n for n in names if n.split("-", 1)[0] == env)


def load_environment(env: str, outdir: Path | None = None, plan_dir: Path | None = None) -> list[Stack]:
    outdir = Path(outdir or default_outdir())
    plan_dir = Path(plan_dir) if plan_dir else PLAN_ROOT / env
    names = stack_names(outdir, env)
    if not names:
        raise SystemExit(f"no synthesized stacks for environment {env!r} in {outdir}: run `make synth ENV={env}`")
    configs = {n: json.loads((outdir / "stacks" / n / "cdk.tf.json").read_text()) for n in names}

    # cross-stack outputs: (stack, output name) -> (stack, type, name) of the resource it exposes
    outputs: dict[tuple[str, str], tuple[str, str, str]] = {}
    for n, cfg in configs.items():
        for out_name, out in cfg.get("output", {}).items():
            for s in _strings(out.get("value")):
                for expr in REF.findall(s):
                    m = LOCAL_REF.match(expr)
                    if m:
                        outputs[(n, out_name)] = (n, m.group(1), m.group(2))
    remote_stack: dict[tuple[str, str], str] = {}
    for n, cfg in configs.items():
        for ds_name, ds in cfg.get("data", {}).get("terraform_remote_state", {}).items():
            key = ds.get("config", {}).get("key", "")
            producer = Path(key).name.removesuffix(".tfstate") or ds_name
            remote_stack[(n, ds_name)] = producer

    stacks = []
    for n, cfg in configs.items():
        regions = _regions(cfg)
        default_region = regions.get(None, "us-east-1")
        plan_file = plan_dir / f"{n}.json"
        planned = _planned_values(json.loads(plan_file.read_text())) if plan_file.is_file() else {}
        resources = []
        for rtype, items in cfg.get("resource", {}).items():
            for rname, values in items.items():
                alias = values.get("provider", "")
                region = regions.get(alias.split(".", 1)[1], default_region) if "." in alias else default_region
                merged = dict(values)
                for k, v in planned.get(f"{rtype}.{rname}", {}).items():
                    if v is not None:
                        merged[k] = v
                res = Resource(n, rtype, rname, region, merged)
                for s in _strings(values):
                    for expr in REF.findall(s):
                        m = REMOTE_REF.search(expr)
                        if m:
                            producer = remote_stack.get((n, m.group(1)))
                            target = outputs.get((producer, m.group(2))) if producer else None
                            if target:
                                res.refs.add(target)
                            continue
                        m = LOCAL_REF.match(expr)
                        if m:
                            res.refs.add((n, m.group(1), m.group(2)))
                resources.append(res)
        stacks.append(Stack(n, resources, bool(planned)))
    return stacks
