"""python -m sandbox serve --host 127.0.0.1 --port 8765 --state-dir .sandbox"""

from __future__ import annotations

import argparse
from pathlib import Path

from sandbox import profiles
from sandbox.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="A local, git-backed GitHub REST API."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "serve", help="serve the API at http://HOST:PORT (github.com) or http://HOST:PORT/api/v3 (GHES)"
    )
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8765)
    run.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".sandbox"),
        help="git repositories and state.json; reused (not re-seeded) when it exists",
    )
    run.add_argument("--seed", type=Path, default=None, help="YAML or JSON seed (default: the built-in team)")
    run.add_argument(
        "--ci-seconds", type=float, default=None, help="how long a `ci` check run takes (default 2)"
    )
    run.add_argument(
        "--deploy-seconds", type=float, default=None, help="how long a deployment job takes (default 3)"
    )
    run.add_argument(
        "--ci-start-seconds",
        type=float,
        default=None,
        help="how long after a push CI's check runs appear; its suite is queued at once (default 0.1)",
    )
    run.add_argument(
        "--profile",
        choices=sorted(profiles.PROFILES),
        default=None,
        help="which GitHub to be (default: the stored one, else github.com); sandbox/profiles.py",
    )
    run.add_argument(
        "--mergeability-seconds",
        type=float,
        default=None,
        help="how long a PR's mergeability stays unknown after its head or base moved (default 0)",
    )
    run.add_argument(
        "--run-list-lag-seconds",
        type=float,
        default=None,
        help="how long a new run is missing from the runs lists (default 0)",
    )
    run.add_argument(
        "--installation-token-seconds",
        type=float,
        default=None,
        help="how long a GitHub App installation token lives (default 3600, GitHub's hour)",
    )
    run.add_argument(
        "--app-webhook-url",
        default=None,
        help="where the hosted App's webhook deliveries go (e.g. the receiver's /github/webhook); "
        "its secret is read from HOTFIX_WEBHOOK_SECRET",
    )
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(
            args.state_dir,
            args.seed,
            args.host,
            args.port,
            args.ci_seconds,
            args.deploy_seconds,
            ci_start_seconds=args.ci_start_seconds,
            profile=args.profile,
            installation_token_seconds=args.installation_token_seconds,
            latency={
                "mergeability_seconds": args.mergeability_seconds,
                "run_list_lag_seconds": args.run_list_lag_seconds,
            },
            app_webhook_url=args.app_webhook_url,
        )


if __name__ == "__main__":
    main()
