"""Shell scripts kept as files in the repository and rendered at synth.

Scripts live in `userdata/<workload>/*.sh`, so they can be read, linted (`bash -n`, shellcheck)
and tested on their own. Values are filled into `@@NAME@@` placeholders rather than `$NAME` or
`{name}`, which shell and JSON use themselves. Rendering refuses a placeholder without a value and
a value without a placeholder, so a renamed setting cannot silently ship an empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

USERDATA_DIR = Path(__file__).resolve().parents[1] / "userdata"
BOOT_DIR = "/var/lib/cloud/repo-scripts"
PLACEHOLDER = re.compile(r"@@([A-Z][A-Z0-9_]*)@@")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render(path: Path, values: Mapping[str, str | int]) -> str:
    """One script with every placeholder replaced. Values must not contain a newline."""
    text = path.read_text()
    wanted = placeholders(text)
    missing = wanted - set(values)
    if missing:
        raise ValueError(f"{path.name}: no value for placeholder(s) {sorted(missing)}")
    for name, value in values.items():
        if "\n" in str(value):
            raise ValueError(f"{path.name}: value for {name} spans lines")
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def render_scripts(paths: Sequence[Path], values: Mapping[str, str | int]) -> str:
    """Several scripts as one user-data script: each is written to /var/lib/cloud/repo-scripts/ and
    run by its own bash, in order (not piped on stdin, which a command inside could consume); the
    first failure stops the boot and cloud-init logs it. Every value must be used by some script."""
    unused = set(values) - set().union(*(placeholders(p.read_text()) for p in paths))
    if unused:
        raise ValueError(f"values {sorted(unused)} match no placeholder in {[p.name for p in paths]}")
    parts = ["#!/bin/bash", "set -euo pipefail", f"install -d -m 0700 {BOOT_DIR}"]
    for path in paths:
        body = render(path, {k: v for k, v in values.items() if k in placeholders(path.read_text())})
        marker = f"END_OF_{path.stem.upper().replace('-', '_')}"
        if marker in body:
            raise ValueError(f"{path.name} contains its own heredoc marker {marker}")
        target = f"{BOOT_DIR}/{path.name}"
        parts.append(f"# --- {path.relative_to(USERDATA_DIR)} ---")
        parts.append(f"cat > {target} <<'{marker}'\n{body.rstrip()}\n{marker}")
        parts.append(f"bash {target}")
    return "\n".join(parts) + "\n"
