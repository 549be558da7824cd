"""No resource changes its Terraform address unless the pinned list says so (scripts/addresses.py)."""

from __future__ import annotations

from scripts import addresses


def test_every_resource_keeps_its_pinned_address(synth_dir):
    destroyed, created = addresses.difference(synth_dir)
    assert not destroyed and not created, (
        "resource addresses changed; Terraform would destroy and re-create these. Keep the address "
        "(override_logical_id or a `moved` block), or, if the change is the point, run `make "
        "addresses` and say so in review.\n"
        + "".join(f"  - {line}\n" for line in destroyed[:60])
        + "".join(f"  + {line}\n" for line in created[:60])
    )


def test_the_pin_check_sees_a_moved_resource(synth_dir, tmp_path):
    """A resource renamed by a construct move shows up as one destroyed and one created address."""
    import json
    import shutil

    stack = next(p for p in sorted((synth_dir / "stacks").iterdir()) if "tablesleuth-us" in p.name)
    copy = tmp_path / "stacks" / stack.name
    shutil.copytree(stack, copy)
    config = json.loads((copy / "cdk.tf.json").read_text())
    rtype, named = next(iter(config["resource"].items()))
    name = next(iter(named))
    named[f"moved_{name}"] = named.pop(name)
    (copy / "cdk.tf.json").write_text(json.dumps(config))
    now = addresses.synthesized(tmp_path)
    assert f"{stack.name} {rtype}.moved_{name}" in now
    assert f"{stack.name} {rtype}.{name}" not in now
