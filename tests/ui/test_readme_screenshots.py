"""The README shows exactly the screenshots `make screenshots` takes, and each file is there.

No browser needed: this runs in `make test` too.
"""

from __future__ import annotations

import re

from tests.ui.screenshots import SHOTS
from tests.ui.temporal_ui import ROOT

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_readme_shows_the_screenshots_the_script_takes_and_they_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    shown = set(re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", readme))
    assert shown == set(SHOTS)
    for path in SHOTS:
        assert (ROOT / path).read_bytes()[:8] == PNG, path
