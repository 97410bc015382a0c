"""starter.py: start, watch, nudge and stop hotfixes from a terminal (the commands are in cli/).

Thin on purpose: parse, one call to Temporal, print. It needs only Temporal, never a GitHub token;
everything that touches GitHub runs on the worker (even `doctor`).

Exit codes: 0 ok, 1 the operation failed, 2 bad usage. Errors are one line on stderr.
"""

from cli.app import app, main
from cli.start import Started, build_request, start_hotfix

__all__ = ["Started", "app", "build_request", "main", "start_hotfix"]

if __name__ == "__main__":
    main()
