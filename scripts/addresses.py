"""Every stack's Terraform resource addresses, pinned in `tests/stacks/addresses.txt`.

cdktf names a resource after its construct path, so moving a resource into another construct
changes its address, and Terraform plans that as destroy-and-create: new keys, new secrets, empty
buckets. `tests/stacks/test_addresses.py` compares the synthesized stacks with the pinned list;
when a change of address is the point, regenerate the list on purpose and let review see it:

    make addresses            # synth every environment, then rewrite the list

Each line is `<stack> <type>.<name>`; data sources are left out (renaming one destroys nothing).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scripts.paths import REPO_ROOT

PINNED = REPO_ROOT / "tests" / "stacks" / "addresses.txt"


def synthesized(outdir: Path) -> list[str]:
    """`<stack> <type>.<name>` for every resource of every stack under outdir, sorted."""
    lines = []
    for stack_dir in sorted((outdir / "stacks").iterdir()):
        config = json.loads((stack_dir / "cdk.tf.json").read_text())
        for rtype, named in config.get("resource", {}).items():
            lines.extend(f"{stack_dir.name} {rtype}.{name}" for name in named)
    return sorted(lines)


def pinned() -> list[str]:
    return [line for line in PINNED.read_text().splitlines() if line and not line.startswith("#")]


def difference(outdir: Path) -> tuple[list[str], list[str]]:
    """(addresses that would be destroyed, addresses that would be created) against the pin."""
    now, before = set(synthesized(outdir)), set(pinned())
    return sorted(before - now), sorted(now - before)


def write(outdir: Path) -> int:
    lines = synthesized(outdir)
    header = "# Pinned resource addresses: regenerate with `make addresses` only when a move is the point.\n"
    PINNED.write_text(header + "\n".join(lines) + "\n")
    print(f"{len(lines)} addresses written to {PINNED.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(write(Path(sys.argv[1] if len(sys.argv) > 1 else "cdktf.out")))
