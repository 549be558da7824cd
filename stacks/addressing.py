"""Terraform addresses that survive moving resources into constructs.

cdktf names a resource after its construct path (`monitoring_api-5xx-rate_B62F2973`), so wrapping
resources that already exist in a new construct would rename them, and Terraform would destroy and
re-create them (keys, buckets, secrets). `override_logical_id` cannot help inside a module: cdktf
refuses it once anything has referenced the resource, and a module's resources reference each
other as they are made. So the stack decides, before a construct is built:

- `transparent(id)`: this direct child of the stack adds nothing to its resources' addresses
  (they keep the names they had when the stack created them itself);
- `moved(new, old)`: everything at or below construct path `new` is named as if it were at `old`
  (the longest matching prefix wins), the way a Terraform `moved` block maps one address to another;
- `pin_address(path, logical_id)`: the resource at this construct path keeps this exact address.

A stack opts in with the `KeepsAddresses` mixin (`class BaselineStack(KeepsAddresses,
EnvironmentStack)`): its `get_logical_id` applies the rules and refuses two resources with one
address. Only stacks that need it pay for it: cdktf then asks Python for every element's name, a
round trip through jsii each. The answer is computed here without calling back into cdktf
(`make_unique_id` is cdktf 0.20's own algorithm, lib/private/unique.ts, applied as
TerraformStack.allocateLogicalId does to the path below the stack), so each element costs the
callback and two property reads, not five round trips.

tests/unit/test_addressing.py compares `make_unique_id` with cdktf's naming, and
tests/stacks/test_addresses.py every stack with the pinned addresses.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from cdktf import TerraformDataSource, TerraformElement, TerraformOutput, TerraformResource, TerraformStack
from constructs import Node

_HIDDEN = "Default"  # cdktf leaves this id out of the path entirely
_HIDDEN_FROM_HUMAN = "Resource"  # in the hash, not in the readable part
_MAX_HUMAN = 240
_MAX_ID = 255


def _clean(component: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", component)


def _without_dupes(components: Sequence[str]) -> list[str]:
    kept: list[str] = []
    for component in components:
        if not kept or not kept[-1].endswith(component):
            kept.append(component)
    return kept


def make_unique_id(components: Sequence[str]) -> str:
    """The logical ID cdktf gives the construct path `components` (relative to its stack)."""
    parts = [c for c in components if c != _HIDDEN]
    if not parts:
        raise ValueError("a logical ID needs at least one path component")
    if len(parts) == 1 and len(_clean(parts[0])) <= _MAX_ID:
        return _clean(parts[0])
    # A name, not a secret: cdktf's own choice of MD5, which these names must match.
    digest = hashlib.md5("/".join(parts).encode(), usedforsecurity=False).hexdigest()[:8].upper()
    human = "_".join(_clean(c) for c in _without_dupes(parts) if c != _HIDDEN_FROM_HUMAN)[:_MAX_HUMAN]
    return f"{human}_{digest}"


def _path(path: str) -> tuple[str, ...]:
    return tuple(path.split("/")) if path else ()


class AddressBook:
    """What one stack has said about its addresses, and which path holds which address."""

    def __init__(self, stack_name: str) -> None:
        self.stack_name = stack_name
        self.moves: dict[tuple[str, ...], tuple[str, ...]] = {}  # new path prefix -> old one
        self.pins: dict[str, str] = {}
        self._owners: dict[str, str] = {}  # kind.logical_id -> construct path

    def logical_id(self, components: Sequence[str]) -> str:
        """The address of the element at this path below the stack: a rule's, else cdktf's own."""
        path = "/".join(components)
        if path in self.pins:
            return self.pins[path]
        for length in range(len(components), 0, -1):  # the longest moved prefix wins
            old = self.moves.get(tuple(components[:length]))
            if old is not None:
                return make_unique_id([*old, *components[length:]])
        return make_unique_id(components)

    def claim(self, kind: str, logical_id: str, components: Sequence[str]) -> None:
        """Refuse a second construct path with the same address (Terraform would merge them silently).

        `kind` is what shares one namespace in Terraform: a resource type, `data.<type>`, `output`.
        """
        path = "/".join(components)
        owner = self._owners.setdefault(f"{kind}.{logical_id}", path)
        if owner != path:
            raise ValueError(
                f"{self.stack_name}: '{path}' and '{owner}' would both be Terraform resource "
                f"'{logical_id}'. Give one of them another construct id, or change the address "
                "rule (transparent, moved or pin_address) that maps it there."
            )


# A provider class's Terraform type never changes: read it through jsii once per class.
_TYPES: dict[type, str] = {}


def _kind(element: TerraformElement | Node) -> str | None:
    if isinstance(element, TerraformResource | TerraformDataSource):
        cls = type(element)
        if cls not in _TYPES:
            _TYPES[cls] = element.terraform_resource_type
        return f"data.{_TYPES[cls]}" if isinstance(element, TerraformDataSource) else _TYPES[cls]
    if isinstance(element, TerraformOutput):
        return "output"
    return None


class KeepsAddresses(TerraformStack):
    """Mixin for a stack whose resources moved into constructs and must keep their addresses.

    Put it before the stack's base class. Declare the rules before building the constructs they
    cover: cdktf names a resource the first time anything refers to it.
    """

    @property
    def addresses(self) -> AddressBook:
        book = self.__dict__.get("_address_book")
        if book is None:
            book = self.__dict__["_address_book"] = AddressBook(self.node.id)
        return book

    def transparent(self, construct_id: str) -> str:
        """An id for a construct (a direct child of this stack) that adds nothing to its resources'
        addresses: they keep the names they had when this stack made them itself."""
        self.addresses.moves[(construct_id,)] = ()
        return construct_id

    def moved(self, new: str, old: str) -> None:
        """Name everything at or below construct path `new` (ids joined by "/") as if it were at `old`."""
        if not new or not old:
            raise ValueError(f"moved({new!r}, {old!r}): both paths need at least one construct id")
        self.addresses.moves[_path(new)] = _path(old)

    def pin_address(self, path: str, logical_id: str) -> None:
        """Keep the address `logical_id` for the resource at construct `path` (ids joined by "/")."""
        self.addresses.pins[path] = logical_id

    def get_logical_id(self, tf_element: TerraformElement | Node) -> str:  # cdktf calls this
        node = tf_element.node if isinstance(tf_element, TerraformElement) else tf_element  # or a Node
        components = node.path.split("/")[1:]  # construct ids cannot hold "/"; [0] is this stack
        if not components:
            return ""  # the stack itself, as cdktf answers
        book = self.addresses
        logical_id = book.logical_id(components)
        kind = _kind(tf_element)
        if kind is not None:
            book.claim(kind, logical_id, components)
        return logical_id
