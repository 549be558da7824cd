"""cdktf entry point: `cdktf synth` / `cdktf deploy` run this (see cdktf.json).

CDKTF_ENV=dev (or dev,prod) selects environments; unset means all. Every selected environment
file is validated before the App is built, so a broken file leaves cdktf.out untouched.
"""

from __future__ import annotations

import os
import sys

from environments.loader import ConfigError, load_environments, selected_environment_names


def main() -> int:
    try:
        environments = load_environments(selected_environment_names())
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Imported only after config passes. The bindings load lazily (only the resource submodules
    # the stacks import), which takes the import from ~15 s to ~4 s.
    from scripts import lazy_bindings

    lazy_bindings.install()
    from stacks.app import build_app

    build_app(environments, outdir=os.environ.get("CDKTF_OUTDIR", "cdktf.out")).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
