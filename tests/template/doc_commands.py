"""Shell commands as a reader finds them: in a README's ```sh blocks and under a banner's "Try"."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

FENCE = re.compile(r"^```sh\s*$")
HEADING = re.compile(r"^#{1,6} (.+)$")
PLACEHOLDER = re.compile(r"<([A-Za-z]\w*)>")


@dataclass(frozen=True)
class Command:
    """One command as written (continuations joined, its trailing comment dropped), and where."""

    text: str
    where: str


def without_comment(line: str) -> str:
    """``line`` without a trailing ``# comment``: a ``#`` outside quotes, after a blank or first."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line.rstrip()


def _commands(lines: Iterable[str], where: str) -> list[Command]:
    found, pending = [], ""
    for line in lines:
        text = without_comment(line)
        if text.endswith("\\"):
            pending += text[:-1]
            continue
        text = (pending + text).strip() if pending else text.strip()
        pending = ""
        if text:
            found.append(Command(text, where))
    return found


def readme_commands(markdown: str) -> list[Command]:
    """Every command of every ```sh block, in order, each under the heading it follows."""
    found: list[Command] = []
    heading, block = "(top)", None
    for line in markdown.splitlines():
        if block is not None:
            if line.startswith("```"):
                found += _commands(block, heading)
                block = None
            else:
                block.append(line)
        elif FENCE.match(line):
            block = []
        elif match := HEADING.match(line):
            heading = match.group(1)
    assert block is None, f"a ```sh block under {heading!r} is never closed"
    return found


def banner_commands(banner: str) -> list[Command]:
    """The commands `make dev` prints under "Try", up to "Stop with Ctrl-C."."""
    lines = banner.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Try")), None)
    assert start is not None, f"the banner has no Try section:\n{banner}"
    end = next(i for i, line in enumerate(lines) if line.startswith("Stop with Ctrl-C"))
    return _commands(lines[start + 1 : end], "banner")


def classify(
    commands: Iterable[Command], runs: Mapping[str, str], explained: Iterable[str]
) -> dict[Command, str | None]:
    """Each command's entry in ``runs`` (name -> the pattern its text matches in full), or None when
    its exact text is among ``explained``; a command in neither, or matching two, is an error."""
    explained = set(explained)
    found: dict[Command, str | None] = {}
    problems = []
    for command in commands:
        names = [name for name, pattern in runs.items() if re.fullmatch(pattern, command.text)]
        if command.text in explained:
            names.append("<explained>")
        if len(names) != 1:
            problems.append(f"{command.where}: {command.text!r} matches {names or 'nothing the test knows'}")
            continue
        found[command] = None if names[0] == "<explained>" else names[0]
    assert not problems, "commands the test neither runs nor explains, or in two places:\n" + "\n".join(
        problems
    )
    return found
