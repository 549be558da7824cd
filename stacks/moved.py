"""Keep a resource's Terraform address when it moves into a construct.

cdktf names a resource after its construct path (`a_b_<hash of a/b>`, or just `a` at the top of a
stack). Moving it under a construct changes that name, which Terraform reads as destroy-and-create.
`override_logical_id` on the resource itself is refused once anything has referenced it (which
happens inside the module that creates it), so the stack answers the question instead: its
`get_logical_id` maps a moved path back to the name the old path had. A prefix moves a whole
construct (e.g. a function with its role, log group and queue).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

# cdktf's makeUniqueId (cdktf/lib/private/unique.js), which names every resource.
_HIDDEN = "Default"
_HIDDEN_FROM_HUMAN = "Resource"
_MAX_ID = 255
_MAX_HUMAN = 240


def _clean(component: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", component)


def unique_id(components: Sequence[str]) -> str:
    """The logical ID cdktf gives the resource at this path (below the stack)."""
    parts = [c for c in components if c != _HIDDEN]
    if not parts:
        raise ValueError("no path components")
    if len(parts) == 1 and len(_clean(parts[0])) <= _MAX_ID:
        return _clean(parts[0])
    # A name, not a secret: cdktf's own choice of MD5, which the names must match.
    digest = hashlib.md5("/".join(parts).encode(), usedforsecurity=False).hexdigest()[:8].upper()
    human: list[str] = []
    for part in parts:
        if not human or not human[-1].endswith(part):
            human.append(part)
    return "_".join(_clean(p) for p in human if p != _HIDDEN_FROM_HUMAN)[:_MAX_HUMAN] + "_" + digest


def moved_logical_id(path: str, moves: Mapping[str, str]) -> str | None:
    """`path` is the node path below the stack ("host-role/role"); `moves` maps a new path prefix
    to the old one ("host-role/role" -> "host-role"). None: not moved, cdktf's own name applies."""
    components = path.split("/")
    best: tuple[int, list[str]] | None = None
    for new, old in moves.items():
        prefix = new.split("/")
        if components[: len(prefix)] == prefix and (best is None or len(prefix) > best[0]):
            best = (len(prefix), old.split("/") + components[len(prefix) :])
    return unique_id(best[1]) if best else None
