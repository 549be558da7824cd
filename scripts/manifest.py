"""What cdktf synthesized: the stacks of each environment and the order to deploy them in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path

from scripts.paths import OUTDIR


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    directory: Path
    dependencies: tuple[str, ...]

    @property
    def env(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def state_key(self) -> str:
        """The S3 backend key, read from the synthesized JSON rather than recomputed."""
        config = json.loads((self.directory / "cdk.tf.json").read_text())
        return config["terraform"]["backend"]["s3"]["key"]

    @property
    def is_bootstrap(self) -> bool:
        return self.name == f"{self.env}-bootstrap"


def load(outdir: Path = OUTDIR) -> list[SynthesizedStack]:
    manifest_path = outdir / "manifest.json"
    if not manifest_path.is_file():
        raise SystemExit(f"{manifest_path} not found: run `make synth` first")
    manifest = json.loads(manifest_path.read_text())
    return [
        SynthesizedStack(
            name=name,
            directory=outdir / Path(entry["synthesizedStackPath"]).parent,
            dependencies=tuple(entry.get("dependencies", [])),
        )
        for name, entry in manifest["stacks"].items()
    ]


def dependency_graph(stacks: list[SynthesizedStack]) -> dict[str, set[str]]:
    """Each stack's upstreams among `stacks`: its references, and bootstrap (every other stack
    keeps its state in the bucket bootstrap makes). Upstreams outside `stacks` count as done."""
    chosen = {s.name: s for s in stacks}
    return {
        s.name: {d for d in s.dependencies if d in chosen}
        | ({f"{s.env}-bootstrap"} if not s.is_bootstrap and f"{s.env}-bootstrap" in chosen else set())
        for s in chosen.values()
    }


def deploy_order(stacks: list[SynthesizedStack], env: str | None = None) -> list[SynthesizedStack]:
    """Bootstrap first, then by references: one order consistent with dependency_graph."""
    chosen = {s.name: s for s in stacks if env is None or s.env == env}
    return [chosen[name] for name in TopologicalSorter(dependency_graph(list(chosen.values()))).static_order()]
