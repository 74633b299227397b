"""tenku's safety policy: prompt, image and video checks with categories and clear refusals.

    from tenku.safety import Policy, SafetyRefusal
    policy = Policy.load()            # or Policy.load("policy.toml")
    policy.enforce_prompt(prompt)     # raises SafetyRefusal(decision)

Modules: `normalize` (undo obfuscation), `lexicon` + `rules` (explicit word lists with context),
`classifier` (MiniLM embeddings -> per-category head), `frames` (frame sampling, open_nsfw),
`policy` (the `Policy` tying them together), `decision` (Decision and the two exceptions).
Data in `data/`: `default_policy.toml`, `train.jsonl` / `eval.jsonl` (labelled prompts, kept
apart), `prompt_classifier.safetensors` (trained by `tenku safety train`).
"""

from tenku.safety.decision import (
    REFUSAL_EXIT_CODE,
    UNAVAILABLE_EXIT_CODE,
    Decision,
    SafetyRefusal,
    SafetyUnavailable,
)
from tenku.safety.policy import Policy
from tenku.safety.rules import ALWAYS_ON, CATEGORIES

# A prompt every policy refuses (always-on rules), for tests that check a refusal writes nothing.
EXAMPLE_REFUSED_PROMPT = "a s.e.x.y photo of a 12 year old"

__all__ = [
    "ALWAYS_ON",
    "CATEGORIES",
    "EXAMPLE_REFUSED_PROMPT",
    "REFUSAL_EXIT_CODE",
    "UNAVAILABLE_EXIT_CODE",
    "Decision",
    "Policy",
    "SafetyRefusal",
    "SafetyUnavailable",
]
