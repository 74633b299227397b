"""Prompt normalisation: undo the cheap tricks people use to slip words past a filter.

`variants(text)` returns the forms of a prompt that the rules match against (a match in any
form counts); `canonical(text)` is the main form, also fed to the semantic classifier.

Steps, in order:
1. Unicode NFKC (full-width letters, ligatures), zero-width characters dropped, accents
   stripped (NFKD minus combining marks), Cyrillic/Greek lookalikes mapped to Latin, case
   folded.
2. Leetspeak, only inside words that mix letters and digits/symbols ("s3x", "p0rn", "@ss",
   "k1ll"), so "1980s", "4k" and "12 year old" keep their digits. "1" is tried as both "i"
   and "l" (two variants).
3. Punctuation inside a word is dropped ("n.u.d.e" -> "nude", "self-harm" -> "selfharm"),
   and runs of three or more single letters are joined ("n u d e" -> "nude"); a leading "a"
   or "i" of such a run is also tried as a separate word ("a n u d e" -> "a nude").
4. A squeezed variant collapses repeated letters ("nuuuude" -> "nude"); the rules squeeze
   their terms the same way before matching it.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["canonical", "squeeze", "variants"]

# Lookalike letters that NFKC leaves alone (Cyrillic, Greek, a few symbols), mapped to Latin.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
        "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ı": "i", "ո": "n",
        "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
        "С": "c", "Т": "t", "У": "y", "Х": "x", "Ѕ": "s", "І": "i", "Ј": "j",
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "γ": "y", "μ": "u", "ς": "s",
        "Α": "a", "Β": "b", "Ε": "e", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
        "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "Ζ": "z",
        "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d",
    }
)  # fmt: skip
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

_LEET_I = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                         "$": "s", "!": "i", "8": "b", "9": "g", "+": "t", "|": "l"})  # fmt: skip
_LEET_L = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                         "$": "s", "!": "i", "8": "b", "9": "g", "+": "t", "|": "l"})  # fmt: skip
_LEET_CHARS = set("0134579@$!8+|")
# Words whose digits are real numbers: "1980s", "4k", "60fps", "3d", "12yo".
_NUMERIC_WORD = re.compile(r"\d+(st|nd|rd|th|s|k|p|d|fps|px|yo|yr|yrs|mm|cm|m|x)?")
_WORD_CHARS = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).translate(_CONFUSABLES)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold().translate(_CONFUSABLES)


def _leet(word: str, table: dict[int, str]) -> str:
    has_letter = any(c.isalpha() for c in word)
    core = _WORD_CHARS.sub("", word)
    if not has_letter or not any(c in _LEET_CHARS for c in word) or _NUMERIC_WORD.fullmatch(core):
        return word
    return word.translate(table)


def _words(folded: str, table: dict[int, str] | None) -> list[str]:
    words = []
    for raw in folded.split():
        word = _leet(raw, table) if table is not None else raw
        word = _WORD_CHARS.sub("", word)
        if word:
            words.append(word)
    return words


def _join_spelled(words: list[str], *, keep_article: bool) -> list[str]:
    """Join runs of >= 3 single-letter words: ["n", "u", "d", "e"] -> ["nude"]."""
    out: list[str] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and len(words[j]) == 1 and words[j].isalpha():
            j += 1
        if j - i >= 3:
            run = words[i:j]
            if keep_article and run[0] in ("a", "i") and j - i >= 4:
                out.append(run[0])
                run = run[1:]
            out.append("".join(run))
            i = j
        else:
            out.append(words[i])
            i += 1
    return out


def squeeze(text: str) -> str:
    """Collapse repeated letters: "nuuuude" -> "nude", "kill" -> "kil"."""
    return _REPEATS.sub(r"\1", text)


def canonical(text: str) -> str:
    """The main normal form: folded, punctuation-free words, spelled-out runs joined."""
    return " ".join(_join_spelled(_words(_fold(text), None), keep_article=True))


def variants(text: str) -> tuple[list[str], list[str]]:
    """All forms the rules check: (plain forms, squeezed forms), deduplicated, canonical first."""
    folded = _fold(text)
    plain: list[str] = []
    for table in (None, _LEET_I, _LEET_L):
        words = _words(folded, table)
        for keep_article in (True, False):
            form = " ".join(_join_spelled(words, keep_article=keep_article))
            if form not in plain:
                plain.append(form)
    squeezed = list(dict.fromkeys(squeeze(form) for form in plain))
    return plain, squeezed
