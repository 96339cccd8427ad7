"""Print the Debian mirror this machine's apt sources use, for the pgvector source download.

Reads the deb822 files (/etc/apt/sources.list.d/*.sources) and the one-line lists
(/etc/apt/sources.list, /etc/apt/sources.list.d/*.list): the first "deb" source for the
machine's own release (VERSION_CODENAME in /etc/os-release) that is not the security archive.
The repository names no mirror itself: CI uses whatever the machine is configured with.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

APT = Path("/etc/apt")


def codename() -> str:
    found = re.search(r"^VERSION_CODENAME=(\S+)$", Path("/etc/os-release").read_text(), re.MULTILINE)
    return found.group(1) if found else ""


def deb822_sources(text: str) -> list[tuple[list[str], list[str], list[str]]]:
    """(types, uris, suites) of each stanza of a .sources file."""
    stanzas = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, list[str]] = {}
        for line in block.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.split()
        stanzas.append((fields.get("types", []), fields.get("uris", []), fields.get("suites", [])))
    return stanzas


def one_line_sources(text: str) -> list[tuple[list[str], list[str], list[str]]]:
    """The same triple for each ``deb [options] uri suite components`` line."""
    found = []
    for line in text.splitlines():
        words = re.sub(r"\[[^\]]*\]", "", line.split("#", 1)[0]).split()
        if len(words) >= 3:
            found.append(([words[0]], [words[1]], [words[2]]))
    return found


def mirror(release: str) -> str | None:
    sources = [
        source
        for path in sorted(APT.glob("sources.list.d/*.sources"))
        for source in deb822_sources(path.read_text())
    ]
    for path in [APT / "sources.list", *sorted(APT.glob("sources.list.d/*.list"))]:
        if path.is_file():
            sources += one_line_sources(path.read_text())
    for types, uris, suites in sources:
        if "deb" in types and release in suites and uris and "security" not in uris[0]:
            return uris[0]
    return None


if __name__ == "__main__":
    uri = mirror(codename())
    if uri is None:
        sys.exit("no Debian mirror found in /etc/apt's sources for this release")
    print(uri)
