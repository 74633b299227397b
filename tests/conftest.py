import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# ---- engine fixtures: tiny configs and a tiny local text encoder ----
import pytest  # noqa: E402


@pytest.fixture
def test_preset():
    """The tiny "test" ModelConfig: random-weight networks that run in milliseconds."""
    from tenku.config import PRESETS

    return PRESETS["test"]


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory):
    """A local Hugging Face BERT directory (random weights, 40-word vocabulary, width 32)."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path = tmp_path_factory.mktemp("tiny_bert")
    words = "a the red blue green ball box bounces rolls falls left right room over under fast slow".split()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(path / "vocab.txt")).save_pretrained(path)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(path)
    return path
