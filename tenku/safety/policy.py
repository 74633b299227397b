"""The safety policy: what the pipeline and the server call before and after generating.

    policy = Policy.load()                    # shipped defaults; Policy.load("my.toml") to change them
    policy.enforce_prompt(prompt)             # raises SafetyRefusal(decision) when refused
    policy.enforce_frames(frames, fps=24.0)   # input media and generated video, >= 1 frame per second
    decision = policy.check_prompt(prompt)    # Decision(allowed, category, score, reason)

Prompts go through three layers: normalisation (`normalize`), explicit rules (`rules`), and the
semantic classifier (`classifier`); frames go through a `FrameClassifier` (default open_nsfw).
Categories and thresholds come from a TOML policy file laid over `data/default_policy.toml`;
`ALWAYS_ON` categories (sexual content involving minors) cannot be disabled — a file that tries
raises ValueError.

Fails closed: a missing or corrupt classifier raises `SafetyUnavailable` from `Policy.load`
(prompt head) or from the first check that needs a model (text encoder, frame model); call
`warmup()` to load everything up front. Nothing touches the network.

Refusals are logged on the "tenku.safety" logger with the category, score and the prompt's
sha256 — the prompt text only when the policy sets `log_prompts = true`.
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tenku.safety.classifier import PromptClassifier, TextEmbedder
from tenku.safety.decision import Decision, SafetyRefusal, SafetyUnavailable
from tenku.safety.frames import FrameClassifier, OpenNSFW, sample_frame_indices
from tenku.safety.normalize import canonical
from tenku.safety.rules import ALWAYS_ON, CATEGORIES, RuleSet

__all__ = ["DATA_DIR", "DEFAULT_CLASSIFIER", "DEFAULT_POLICY", "CategorySettings", "Policy", "PolicyConfig"]

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_POLICY = DATA_DIR / "default_policy.toml"
DEFAULT_CLASSIFIER = DATA_DIR / "prompt_classifier.safetensors"
_FRAME_BATCH = 8

log = logging.getLogger("tenku.safety")


@dataclass(frozen=True, kw_only=True)
class CategorySettings:
    enabled: bool  # whether the category applies
    threshold: float  # classifier probability at or above which a prompt is refused


@dataclass(frozen=True, kw_only=True)
class PolicyConfig:
    log_prompts: bool  # log prompt text with refusals (else only its sha256)
    classifier: str  # prompt classifier head path; "" = the shipped one
    categories: dict[str, CategorySettings]  # every name in rules.CATEGORIES
    frame_thresholds: dict[str, float]  # frame classifier score at or above which a frame is refused

    @property
    def enabled(self) -> tuple[str, ...]:
        return tuple(c for c in CATEGORIES if self.categories[c].enabled)


def _merge(base: dict, override: dict, where: str) -> dict:
    out = dict(base)
    for key, value in override.items():
        if key not in base:
            raise ValueError(f"unknown policy key {where}{key!r}; allowed: {sorted(base)}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ValueError(f"policy key {where}{key!r} must be a table")
            out[key] = _merge(base[key], value, f"{where}{key}.")
        else:
            if type(value) is not type(base[key]) and not (
                isinstance(base[key], float) and isinstance(value, int)
            ):
                raise ValueError(
                    f"policy key {where}{key!r} must be {type(base[key]).__name__}, got {value!r}"
                )
            out[key] = value
    return out


def _config(raw: dict) -> PolicyConfig:
    categories = {}
    for name in CATEGORIES:
        entry = raw["categories"][name]
        if name in ALWAYS_ON and not entry["enabled"]:
            raise ValueError(f"category {name!r} is always on and cannot be disabled by a policy file")
        if not 0.0 < float(entry["threshold"]) <= 1.0:
            raise ValueError(f"categories.{name}.threshold must be in (0, 1], got {entry['threshold']}")
        categories[name] = CategorySettings(enabled=entry["enabled"], threshold=float(entry["threshold"]))
    frames = {k: float(v) for k, v in raw["frames"].items()}
    for name, value in frames.items():
        if not 0.0 < value <= 1.0:
            raise ValueError(f"frames.{name} must be in (0, 1], got {value}")
    return PolicyConfig(
        log_prompts=raw["log_prompts"],
        classifier=raw["classifier"],
        categories=categories,
        frame_thresholds=frames,
    )


def load_config(path: str | Path | None = None) -> PolicyConfig:
    """The shipped defaults, with the TOML file at `path` (if any) laid over them."""
    raw = tomllib.loads(DEFAULT_POLICY.read_text())
    if path is not None:
        try:
            override = tomllib.loads(Path(path).read_text())
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"policy file {path} is not valid TOML: {e}") from e
        raw = _merge(raw, override, "")
    return _config(raw)


def prompt_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Policy:
    """A loaded policy; holds the compiled rules and lazily loaded models (one per process is enough)."""

    def __init__(
        self,
        config: PolicyConfig,
        *,
        classifier: PromptClassifier,
        embedder: TextEmbedder | None = None,
        frame_classifier: FrameClassifier | None = None,
    ):
        unknown = set(classifier.categories) - set(CATEGORIES)
        if unknown:
            raise SafetyUnavailable(f"safety classifier has unknown categories {sorted(unknown)}")
        self.config = config
        self.rules = RuleSet()
        self.classifier = classifier
        self.embedder = embedder if embedder is not None else TextEmbedder()
        self.frame_classifier = frame_classifier if frame_classifier is not None else OpenNSFW()

    @classmethod
    def load(
        cls, path: str | Path | None = None, *, frame_classifier: FrameClassifier | None = None
    ) -> Policy:
        """Load the policy file (None = shipped defaults) and the prompt classifier head."""
        config = load_config(path)
        head_path = Path(config.classifier) if config.classifier else DEFAULT_CLASSIFIER
        return cls(config, classifier=PromptClassifier.load(head_path), frame_classifier=frame_classifier)

    def warmup(self) -> None:
        """Load every model now (text encoder, frame model) so the first check is fast and failures show early."""
        self.embedder(["warmup"])
        if self._frame_categories():
            self.frame_classifier.score(np.zeros((1, 32, 32, 3), dtype=np.uint8))

    # --- prompts -------------------------------------------------------------------------

    def check_prompt(self, text: str) -> Decision:
        if not isinstance(text, str):
            raise TypeError(f"prompt must be a str, got {type(text).__name__}")
        enabled = self.config.enabled
        for hit in self.rules.match(text):
            if hit.category in enabled:
                return self._refuse(
                    Decision(allowed=False, category=hit.category, score=1.0, reason=hit.reason), text
                )
        if not text.strip():
            return Decision(allowed=True, category=None, score=0.0, reason="empty prompt")
        probs = self.classifier.probabilities(self.embedder([canonical(text)]))[0]  # (C,)
        best, best_margin, top = None, -1.0, 0.0
        for i, category in enumerate(self.classifier.categories):
            if category not in enabled:
                continue
            p = float(probs[i])
            top = max(top, p)
            margin = p / self.config.categories[category].threshold
            if margin >= 1.0 and margin > best_margin:
                best, best_margin = category, margin
        if best is not None:
            p = float(probs[self.classifier.categories.index(best)])
            reason = f"semantic classifier: {best} probability {p:.2f}"
            return self._refuse(Decision(allowed=False, category=best, score=p, reason=reason), text)
        return Decision(allowed=True, category=None, score=top, reason="no policy category matched")

    def enforce_prompt(self, text: str) -> Decision:
        decision = self.check_prompt(text)
        if not decision.allowed:
            raise SafetyRefusal(decision)
        return decision

    # --- frames --------------------------------------------------------------------------

    def _frame_categories(self) -> tuple[str, ...]:
        enabled = self.config.enabled
        return tuple(
            c for c in self.frame_classifier.categories if c in enabled and c in self.config.frame_thresholds
        )

    def check_frames(self, frames: np.ndarray, *, per_second: float = 1.0, fps: float) -> Decision:
        """Check (T, H, W, 3) uint8 frames, sampling at least `per_second` frames per second of video."""
        from tenku.io import check_frames as validate

        frames = validate(frames)
        categories = self._frame_categories()
        if not categories:
            return Decision(allowed=True, category=None, score=0.0, reason="no frame category enabled")
        indices = sample_frame_indices(len(frames), fps=fps, per_second=per_second)
        top = 0.0
        for start in range(0, len(indices), _FRAME_BATCH):
            chunk = indices[start : start + _FRAME_BATCH]
            scores = self.frame_classifier.score(frames[chunk])
            for category in categories:
                values = np.asarray(scores[category], dtype=np.float64)  # (n,)
                worst = int(values.argmax())
                top = max(top, float(values[worst]))
                if values[worst] >= self.config.frame_thresholds[category]:
                    reason = f"frame {int(chunk[worst])}: {category} score {values[worst]:.2f}"
                    decision = Decision(
                        allowed=False, category=category, score=float(values[worst]), reason=reason
                    )
                    return self._refuse(decision, None)
        return Decision(allowed=True, category=None, score=top, reason=f"{len(indices)} frames checked")

    def check_image(self, image: np.ndarray) -> Decision:
        """Check one (H, W, 3) uint8 image."""
        image = np.asarray(image)
        if image.ndim != 3:
            raise ValueError(f"image must have shape (H, W, 3), got {image.shape}")
        return self.check_frames(image[None], fps=1.0)

    def enforce_frames(self, frames: np.ndarray, *, per_second: float = 1.0, fps: float) -> Decision:
        decision = self.check_frames(frames, per_second=per_second, fps=fps)
        if not decision.allowed:
            raise SafetyRefusal(decision)
        return decision

    def enforce_image(self, image: np.ndarray) -> Decision:
        decision = self.check_image(image)
        if not decision.allowed:
            raise SafetyRefusal(decision)
        return decision

    # --- logging -------------------------------------------------------------------------

    def _refuse(self, decision: Decision, text: str | None) -> Decision:
        source = "frames" if text is None else "prompt"
        if text is None:
            log.warning(
                "safety refusal: source=%s category=%s score=%.3f", source, decision.category, decision.score
            )
        elif self.config.log_prompts:
            log.warning(
                "safety refusal: source=%s category=%s score=%.3f sha256=%s prompt=%r",
                source, decision.category, decision.score, prompt_hash(text), text,
            )  # fmt: skip
        else:
            log.warning(
                "safety refusal: source=%s category=%s score=%.3f sha256=%s",
                source, decision.category, decision.score, prompt_hash(text),
            )  # fmt: skip
        return decision
