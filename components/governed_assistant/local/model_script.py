"""The scripted model: ``local/model-script.yaml`` rules -> Converse responses, as botocore parses them.

A rule matches the text of the last user message (its ``text`` and ``guardContent`` blocks: the
question and any passages retrieval put before it) with a regular expression (``when``) and answers
with a tool use (``tool_use: {name, input}``), a plain answer (``answer``) or a Bedrock error
(``error: ThrottlingException``); ``usage`` gives its token counts (estimated when absent). The
first matching rule wins. With ``defaults: true`` (the default) the spec adds, after the file's
rules, one rule per action (the words of its name in order, e.g. "issue ... refund") and a plain
answer for anything else.

Placeholders in a rule's strings: ``{tenant}`` and the named groups of its ``when``. ``{tenant}``
is the tenant the conversation names (the reasoning step's ``tenant_context_text`` block; the
tool schema is the same for every tenant). That is all a real model knows of the tenant: the
scripted model never sees the token, and a rule may still name another tenant outright to play
a model that was talked into one (the gate refuses it).

Like Bedrock, the scripted model refuses a ``toolConfig`` whose strict tools hold a schema
keyword strict mode does not support or exceed a request's limits: a ValidationException (400),
so ``make dev`` fails where a deployed assistant would (``runtime.actions.strict_subset``).
"""

from __future__ import annotations

import math
import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from governed_assistant.local.exceptions import ModelScriptError
from governed_assistant.local.samples import sample_parameters
from governed_assistant.runtime.actions.strict_subset import tool_config_problems
from governed_assistant.runtime.actions.tenants import tenant_in_text
from governed_assistant.spec.model import AssistantSpec

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_RULE_KEYS: Final = frozenset({"when", "tool_use", "answer", "error", "usage"})
# Bedrock's errors a script may ask for, with the HTTP status Bedrock answers them with.
ERROR_STATUS: Final = {
    "ThrottlingException": 429,
    "ServiceUnavailableException": 503,
    "ModelTimeoutException": 408,
    "InternalServerException": 500,
    "ModelNotReadyException": 429,
    "ValidationException": 400,
    "AccessDeniedException": 403,
}
DEFAULT_ANSWER: Final = (
    'This is the local scripted model. Ask for one of the assistant\'s actions (e.g. "{example}"), '
    "or edit local/model-script.yaml."
)


class ScriptedModelError(Exception):
    """When the script answers with a Bedrock error (``code``), or a request cannot be answered."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = ERROR_STATUS.get(code, 400)


@dataclass(frozen=True)
class Rule:
    """One scripted reply: when the message matches ``when``, answer this."""

    when: re.Pattern[str]
    tool_use: Mapping[str, Any] | None = None
    answer: str | None = None
    error: str | None = None
    usage: Mapping[str, int] | None = None

    @classmethod
    def parse(cls, raw: Any, where: str) -> Rule:
        if not isinstance(raw, Mapping) or "when" not in raw:
            raise ModelScriptError(f"a rule must be a mapping with a 'when' regex, rule={where}, got={raw!r}")
        unknown = set(raw) - _RULE_KEYS
        replies = [key for key in ("tool_use", "answer", "error") if key in raw]
        if unknown or len(replies) != 1:
            raise ModelScriptError(
                f"a rule needs exactly one of tool_use, answer, error and no other keys than "
                f"{sorted(_RULE_KEYS)}, rule={where}, replies={replies}, unknown={sorted(unknown)}"
            )
        try:
            when = re.compile(str(raw["when"]))
        except re.error as error:
            raise ModelScriptError(f"'when' is not a valid regex, rule={where}, error={error}") from error
        tool_use = raw.get("tool_use")
        if tool_use is not None and (
            not isinstance(tool_use, Mapping)
            or not isinstance(tool_use.get("name"), str)
            or not isinstance(tool_use.get("input"), Mapping)
        ):
            raise ModelScriptError(
                f"tool_use needs a name and an input mapping, rule={where}, got={tool_use!r}"
            )
        error_code = raw.get("error")
        if error_code is not None and error_code not in ERROR_STATUS:
            raise ModelScriptError(
                f"unknown error, rule={where}, error={error_code!r}; use one of {sorted(ERROR_STATUS)}"
            )
        usage = raw.get("usage")
        if usage is not None and not (
            isinstance(usage, Mapping)
            and all(isinstance(usage.get(k), int) for k in ("inputTokens", "outputTokens"))
        ):
            raise ModelScriptError(
                f"usage needs integer inputTokens and outputTokens, rule={where}, got={usage!r}"
            )
        rule = cls(
            when, tool_use, None if raw.get("answer") is None else str(raw["answer"]), error_code, usage
        )
        allowed = {"tenant", *when.groupindex}
        unknown_names = sorted(set(_PLACEHOLDER.findall(repr(tool_use) + (rule.answer or ""))) - allowed)
        if unknown_names:
            raise ModelScriptError(
                f"unknown placeholders {unknown_names}, rule={where}; use {{tenant}} or a named group of "
                f"'when' such as (?P<ticket>\\S+)"
            )
        return rule


def default_rules(spec: AssistantSpec) -> list[Rule]:
    """One rule per action (its name's words in order; "flaky"/"broken" pick a sample kind), and an answer."""
    rules: list[Rule] = []
    for action in spec.actions:
        words = r"\b.*\b".join(re.escape(word) for word in action.name.split("_"))
        when = re.compile(rf"(?is)\b{words}\b(?:.*\b(?P<kind>flaky|broken)\b)?")
        tool_input = {
            "resourceId": f"{{tenant}}-{action.resource_type}-{{kind}}",
            "tenantId": "{tenant}",
            "parameters": sample_parameters(action.parameters),
        }
        rules.append(Rule(when, tool_use={"name": action.name, "input": tool_input}))
    example = spec.actions[0].name.replace("_", " ") if spec.actions else "hello"
    rules.append(Rule(re.compile(r"(?s).*"), answer=DEFAULT_ANSWER.format(example=example)))
    return rules


def load_rules(path: Path | None, spec: AssistantSpec) -> list[Rule]:
    """The file's rules (if it exists), then the spec's defaults unless the file says ``defaults: false``."""
    document: Any = {}
    if path is not None and path.exists():
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise ModelScriptError(f"the model script cannot be read, path={path}, error={error}") from error
    if not isinstance(document, Mapping) or not isinstance(document.get("rules", []), list):
        raise ModelScriptError(f"the model script must be a mapping with a 'rules' list, path={path}")
    rules = [Rule.parse(raw, f"{path}#{index}") for index, raw in enumerate(document.get("rules") or [])]
    if document.get("defaults", True):
        rules += default_rules(spec)
    return rules


def conversation_tenant(messages: Sequence[Mapping[str, Any]]) -> str | None:
    """The tenant the conversation's user turns name (``tenant_context_text``), the last one wins."""
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            for block in message.get("content", []):
                if isinstance(block, Mapping) and (tenant := tenant_in_text(str(block.get("text", "")))):
                    return tenant
    return None


def block_text(block: Mapping[str, Any]) -> str | None:
    """A content block's text as the model reads it: a ``text`` block's, or a ``guardContent``'s."""
    if "text" in block:
        return str(block["text"])
    guarded = block.get("guardContent")
    if isinstance(guarded, Mapping) and isinstance(guarded.get("text"), Mapping):
        return str(guarded["text"].get("text", ""))
    return None


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The last user turn's text (passages included, as a model reads them), without the block naming
    the tenant: rules match what the model was given to read, as a real model would be swayed by it."""
    for message in reversed(messages):
        if message.get("role") == "user":
            texts = (block_text(block) for block in message.get("content", []))
            return "\n".join(text for text in texts if text is not None and tenant_in_text(text) is None)
    return ""


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), value)
    if isinstance(value, Mapping):
        return {key: _fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    return value


def _estimate_tokens(text: str) -> int:
    # About four characters per token in English: good enough for per-tenant usage demos.
    return max(1, math.ceil(len(text) / 4))


@dataclass
class ScriptedModel:
    """Answers Converse requests from the rules in ``path`` (re-read when the file changes)."""

    spec: AssistantSpec
    path: Path | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    _stamp: tuple[int, int] | None = None
    _rules: list[Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def rules(self) -> list[Rule]:
        with self._lock:
            stamp = (0, 0)
            if self.path is not None and self.path.exists():
                status = self.path.stat()
                stamp = (status.st_mtime_ns, status.st_size)
            if stamp != self._stamp or not self._rules:
                self._rules = load_rules(self.path, self.spec)
                self._stamp = stamp
            return self._rules

    def converse(self, model_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """The Converse response body; raises ``ScriptedModelError`` for a scripted or request error."""
        with self._lock:
            self.requests.append({"modelId": model_id, **request})
        messages = request.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ScriptedModelError("ValidationException", "messages must be a non-empty list")
        problems = tool_config_problems(request.get("toolConfig"))
        if problems:
            raise ScriptedModelError(
                "ValidationException",
                "The tool input schema is not supported by strict tool use: " + "; ".join(problems),
            )
        text = last_user_text(messages)
        rule, match = next(
            ((rule, found) for rule in self.rules() if (found := rule.when.search(text)) is not None),
            (None, None),
        )
        if rule is None or match is None:
            raise ScriptedModelError(
                "ValidationException",
                "no rule of the model script matches; add a catch-all rule (when: '.*')",
            )
        if rule.error is not None:
            raise ScriptedModelError(rule.error, f"scripted {rule.error} (local/model-script.yaml)")
        values = {name: value for name, value in match.groupdict().items() if value is not None}
        values.setdefault("kind", "1")
        tenant = conversation_tenant(messages)
        if tenant is not None:
            values["tenant"] = tenant
        if rule.tool_use is not None:
            tool_input = _fill(rule.tool_use["input"], values)
            if "{tenant}" in repr(rule.tool_use["input"]) and tenant is None:
                raise ScriptedModelError(
                    "ValidationException",
                    f"rule for tool {rule.tool_use['name']} uses {{tenant}} but the conversation names no "
                    "tenant; send converse_messages(..., tenant_id) as the reasoning step does",
                )
            content: list[dict[str, Any]] = [
                {
                    "toolUse": {
                        "toolUseId": f"tooluse_{secrets.token_hex(11)}",
                        "name": str(rule.tool_use["name"]),
                        "input": tool_input,
                    }
                }
            ]
            stop_reason = "tool_use"
        else:
            content = [{"text": _fill(rule.answer or "", values)}]
            stop_reason = "end_turn"
        usage = dict(rule.usage or {})
        input_tokens = int(usage.get("inputTokens") or _estimate_tokens(repr(request)))
        output_tokens = int(usage.get("outputTokens") or _estimate_tokens(repr(content)))
        return {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop_reason,
            "usage": {
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "totalTokens": input_tokens + output_tokens,
            },
            "metrics": {"latencyMs": 5},
        }
