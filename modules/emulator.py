"""What the embedded AWS (moto) fails to read back, declared by the module that owns the resource.

A module lists its resources' round-trip gaps as `EmulatorDrift`s; the stack hands them to its
emulator-only ignore hook (stacks/base.py), which ignores them only in the `local` environment.
Real environments never ignore anything through this.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResource


@dataclass(frozen=True, kw_only=True)
class EmulatorDrift:
    resource: TerraformResource
    attributes: tuple[str, ...]
    gap: str  # what moto gets wrong, and how it was measured

    def __post_init__(self) -> None:
        if not self.attributes or not self.gap:
            raise ValueError("an emulator drift names the attributes and the gap that forces ignoring them")
