"""Path patterns as GitHub matches them: `*` stays within a path segment, `**` crosses segments.

Branch patterns (File.fnmatch with FNM_PATHNAME) and CODEOWNERS patterns (gitignore's rules, where
`**/` may also match no directory at all) share this one translation.
"""

from __future__ import annotations

import re


def translate(glob: str, *, gitignore: bool = False) -> str:
    """The regular expression (unanchored text) for `glob`."""
    out = ""
    i = 0
    while i < len(glob):
        if gitignore and glob.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif glob.startswith("**", i):
            out += ".*"
            i += 2
        elif glob[i] == "*":
            out += "[^/]*"
            i += 1
        elif glob[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(glob[i])
            i += 1
    return out
