"""What GitHub Actions needs from this repository's own files, printed as `key=value` lines for
$GITHUB_OUTPUT (see .github/workflows/):

    python -m scripts.ci matrix            matrix={"include": [{"env": "dev", "stack": "dev-bootstrap"}, ...]}
    python -m scripts.ci config ENV        account_id=..., region=..., deploy_role_arn=..., plan_role_arn=...

The matrix comes from the synthesized manifest (run synth first) and leaves out environments on
the embedded AWS, which CI tests through `make test` instead, and production, which no pull
request may plan.
"""

from __future__ import annotations

import json
import sys

from environments.loader import load_environments
from scripts import manifest


def matrix() -> dict:
    stacks = manifest.load()
    envs = {e.name: e for e in load_environments(sorted({s.env for s in stacks}))}
    include = [
        {"env": s.env, "stack": s.name}
        for env_name in sorted(envs)
        # Production is planned only from main, by the reviewer-gated deploy job: its plan role
        # does not trust pull requests (modules/github_deploy_access.py), so the PR matrix leaves it out.
        if not envs[env_name].local_aws and not envs[env_name].is_production
        for s in manifest.deploy_order(stacks, env_name)
    ]
    return {"include": include}


def config(env_name: str) -> dict[str, str]:
    (env,) = load_environments([env_name])
    return {
        "account_id": env.account_id,
        "region": env.primary_region,
        "deploy_role_arn": env.ci.deploy_role.arn(env.account_id),
        "plan_role_arn": env.ci.plan_role.arn(env.account_id),
        "github_repository": env.ci.github_repository,
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["matrix"]:
        print(f"matrix={json.dumps(matrix(), separators=(',', ':'))}")
        return 0
    if argv[:1] == ["config"] and len(argv) == 2:
        for key, value in config(argv[1]).items():
            print(f"{key}={value}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
