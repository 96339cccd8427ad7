"""Commands are read from a README as a reader reads them: whole, without their comments."""

from __future__ import annotations

import pytest

from tests.template.doc_commands import Command, banner_commands, readme_commands, without_comment


@pytest.mark.parametrize(
    ("line", "command"),
    [
        pytest.param("make help      # every target", "make help", id="trailing-comment"),
        pytest.param("# a comment only", "", id="comment-line"),
        pytest.param('curl -d \'{"a": "#1"}\'  # sent', 'curl -d \'{"a": "#1"}\'', id="hash-in-quotes"),
        pytest.param('git commit -m "fix #3"', 'git commit -m "fix #3"', id="hash-in-double-quotes"),
        pytest.param("echo a#b", "echo a#b", id="hash-inside-a-word"),
    ],
)
def test_without_comment_drops_only_a_trailing_comment(line: str, command: str) -> None:
    """A `#` starts a comment only outside quotes and at the start of a word, as in bash."""
    assert without_comment(line) == command


def test_readme_commands_join_continuations_and_name_their_section() -> None:
    """A backslash continues a command; each command is named by the heading above its block."""
    markdown = "\n".join(
        [
            "# Title",
            "## Deploy",
            "```sh",
            "make up \\",
            "  STACK=dev   # deploy",
            "",
            "make help",
            "```",
            "```mermaid",
            "flowchart LR",
            "```",
        ]
    )
    assert readme_commands(markdown) == [
        Command("make up   STACK=dev", "Deploy"),
        Command("make help", "Deploy"),
    ]


def test_banner_commands_are_the_lines_under_try() -> None:
    """Only the lines between "Try" and "Stop with Ctrl-C." are the banner's commands."""
    banner = "\n".join(
        [
            "API  http://x   (make trace reads them)",
            "Try, in another terminal:",
            "  make help   # targets",
            "Stop with Ctrl-C.",
        ]
    )
    assert banner_commands(banner) == [Command("make help", "banner")]
