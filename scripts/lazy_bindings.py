"""Load only the AWS binding submodules that the code imports.

cdktf_cdktf_provider_aws 19.x's package `__init__` runs `from . import <service>` for all 2,123
resource submodules, so every process that touches one resource pays for every resource's Python
classes (about 12 s of a 15 s import here). The jsii assembly itself (`._jsii`) is still loaded
once by the first submodule, exactly as before.

`install()` registers a finder that executes the package's own `__init__` with those eager
`from . import x` lines left out and gives the published module a PEP 562 `__getattr__`, so
`cdktf_cdktf_provider_aws.vpc` still resolves on first use. Nothing else in the source changes.
tests/stacks/test_lazy_bindings.py proves the synthesized JSON is byte-identical to the eager
import's for every stack of every environment.

The JavaScript side has the same shape: @cdktf/provider-aws's index.js requires all 2,123
resource modules when the kernel loads the assembly (about 3.6 s of CPU). `install()` also has the
kernel's node process load scripts/lazy_provider_index.js first (NODE_OPTIONS=--require), which
turns those requires into getters that load a module on first use.

Reading a resource attribute (`bucket.arn`) is a jsii round trip that returns a new token for the
same Terraform expression every time; the stacks read 1,851 distinct attributes 3,900 times.
`install()` also remembers the token a resource's attribute getter returned (see
_remember_attribute_reads for why it cannot go stale).

CDKTF_EAGER_BINDINGS=1 turns all three off (that test's reference run uses it), also for a process
whose NODE_OPTIONS came from a parent that installed them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
from pathlib import Path

PACKAGE = "cdktf_cdktf_provider_aws"
_EAGER_IMPORT = re.compile(r"^from \. import [A-Za-z0-9_]+[ \t]*$", re.MULTILINE)
_NODE_HOOK = f'--require "{Path(__file__).with_name("lazy_provider_index.js")}"'


class _LazyPackageLoader(importlib.abc.Loader):
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def create_module(self, spec):  # default module creation
        return None

    def exec_module(self, module) -> None:
        with open(self.origin, encoding="utf-8") as source_file:
            source = source_file.read()
        trimmed, removed = _EAGER_IMPORT.subn("", source)
        if removed < 100:
            # A bindings release that changed its layout: fall back to the eager source rather
            # than guess (the byte-identity test would still hold, only slower).
            trimmed = source
        exec(compile(trimmed, self.origin, "exec"), module.__dict__)  # noqa: S102 - the package's own source
        # publication.publish() replaced sys.modules[PACKAGE] with a public-only module; give that
        # module the on-demand attribute access the eager imports used to provide.
        public = sys.modules[PACKAGE]

        def __getattr__(name: str):  # PEP 562 module hook
            if name.startswith("__"):
                raise AttributeError(name)
            try:
                return importlib.import_module(f"{PACKAGE}.{name}")
            except ModuleNotFoundError:
                raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}") from None

        public.__getattr__ = __getattr__


class _LazyPackageFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != PACKAGE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or not spec.origin.endswith("__init__.py"):
            return spec
        spec.loader = _LazyPackageLoader(spec.origin)
        return spec


def install() -> bool:
    """Make later imports of the bindings lazy. Returns False when that is off or too late."""
    node_options = os.environ.get("NODE_OPTIONS", "").replace(_NODE_HOOK, "").strip()
    if os.environ.get("CDKTF_EAGER_BINDINGS") == "1":
        # A parent process (pytest, main.py) may have passed the hook down: take it out.
        _set_node_options(node_options)
        return False
    if PACKAGE in sys.modules:
        return False
    # Read when the jsii kernel starts its node process, i.e. at the first binding import.
    _set_node_options(f"{node_options} {_NODE_HOOK}".strip())
    if not any(isinstance(f, _LazyPackageFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _LazyPackageFinder())
    _remember_attribute_reads()
    return True


def _remember_attribute_reads() -> None:
    """Answer repeated reads of a generated resource's attribute getter without a jsii round trip.

    Such a getter (`arn`, `id`, ...) returns a token for `<type>.<logical id>[.*].<attribute>`:
    the type never changes, the logical id is fixed by the first read (cdktf memoizes
    friendlyUniqueId then, so a later override_logical_id no longer changes the expression either),
    and `.*` follows for_each, which only a property set changes, so
    any set on the object forgets what was remembered for it. Only getters the bindings generate
    for the resource's own attributes qualify (not cdktf's `node`, `fqn`, ..., not `*Input`, which
    return the configured value), and only string results (the tokens), so a value that could
    change is never served from here.
    """
    import jsii  # not cdktf: importing it would start the kernel before NODE_OPTIONS matters

    if getattr(jsii.get, "remembers_attribute_reads", False):
        return
    read, write = jsii.get, jsii.set
    remembered: dict[str, dict[str, str]] = {}
    qualifies: dict[tuple[type, str], bool] = {}

    def is_attribute_getter(cls: type, name: str) -> bool:
        if name.endswith("Input") or not cls.__module__.startswith(f"{PACKAGE}."):
            return False
        from cdktf import TerraformDataSource, TerraformResource  # loaded: `obj` is a binding object

        if not issubclass(cls, (TerraformResource, TerraformDataSource)):
            return False
        return any(
            isinstance(member, property) and getattr(member.fget, "__jsii_name__", None) == name
            for member in vars(cls).values()
        )

    def get(obj, name: str):
        key = (type(obj), name)
        if key not in qualifies:
            qualifies[key] = is_attribute_getter(type(obj), name)
        if not qualifies[key]:
            return read(obj, name)
        known = remembered.setdefault(obj.__jsii_ref__.ref, {})
        if name not in known:
            value = read(obj, name)
            if not isinstance(value, str):
                return value
            known[name] = value
        return known[name]

    def set_(obj, name: str, value) -> None:
        ref = getattr(obj, "__jsii_ref__", None)
        if ref is not None:
            remembered.pop(ref.ref, None)
        write(obj, name, value)

    get.remembers_attribute_reads = True  # type: ignore[attr-defined]
    jsii.get, jsii.set = get, set_


def _set_node_options(value: str) -> None:
    if value:
        os.environ["NODE_OPTIONS"] = value
    else:
        os.environ.pop("NODE_OPTIONS", None)
