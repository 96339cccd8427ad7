"""The system prompt: a user-owned file, ``prompts/system.md`` unless configured otherwise."""

from __future__ import annotations

import os
from pathlib import Path

from governed_assistant.runtime.model.constants import DEFAULT_SYSTEM_PROMPT_PATH
from governed_assistant.runtime.model.exceptions import PromptNotFoundError
from governed_assistant.wire import ENV_SYSTEM_PROMPT_PATH


def load_system_prompt(path: str | Path | None = None) -> str:
    """The prompt text from ``path``, else $GOVERNED_SYSTEM_PROMPT_PATH, else ``prompts/system.md``."""
    resolved = Path(path or os.environ.get(ENV_SYSTEM_PROMPT_PATH) or DEFAULT_SYSTEM_PROMPT_PATH)
    try:
        text = resolved.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise PromptNotFoundError(
            f"System prompt cannot be read, path={resolved}, error={error.strerror}; create it or set "
            f"{ENV_SYSTEM_PROMPT_PATH} to its path"
        ) from error
    if not text:
        raise PromptNotFoundError(
            f"System prompt is empty, path={resolved}; write the assistant's instructions into it"
        )
    return text
