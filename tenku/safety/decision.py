"""What a safety check returns and raises: `Decision`, `SafetyRefusal`, `SafetyUnavailable`."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["REFUSAL_EXIT_CODE", "UNAVAILABLE_EXIT_CODE", "Decision", "SafetyRefusal", "SafetyUnavailable"]

# `tenku` exit codes: 3 when the policy refuses a prompt or media, 4 when safety cannot load.
REFUSAL_EXIT_CODE = 3
UNAVAILABLE_EXIT_CODE = 4


@dataclass(frozen=True, kw_only=True)
class Decision:
    allowed: bool
    category: str | None  # the refusing category (None when allowed)
    score: float  # 1.0 for a rule match, else the classifier's highest probability
    reason: str  # short and printable; never contains the prompt

    def to_dict(self) -> dict:
        return asdict(self)


class SafetyRefusal(Exception):
    """The policy refused a prompt, image or video; `decision` says why."""

    def __init__(self, decision: Decision):
        super().__init__(f"refused by the safety policy ({decision.category}): {decision.reason}")
        self.decision = decision


class SafetyUnavailable(RuntimeError):
    """A safety model or policy file could not be loaded; generation must stop (fail closed)."""
