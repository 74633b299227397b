"""Explicit prompt rules: word lists with context, per policy category.

`RuleSet.match(text)` normalises the prompt (`tenku.safety.normalize.variants`) and returns
every `RuleHit` (category + the words that fired), in `CATEGORIES` order. Per category:

- strong terms refuse on their own ("decapitated", "pipe bomb", "heil hitler");
- pairs refuse when two kinds of words occur close together, in order where that matters:
  an active harmful verb before a person ("stabs a man"), a person before a passive one ("a man
  is stabbed"), an instruction cue near a weapon or drug ("step-by-step guide ... meth"), a
  minor anywhere with a sexual word, a group next to a dehumanising claim;
- safe phrases are cut out before matching ("naked eye", "shot of espresso", "murder of crows",
  "bath bomb"), and some categories have benign contexts that switch their pairs off
  ("jumping off a bridge" with "bungee").

Real people (the documented rule): a prompt is refused when it names a listed public figure
(`lexicon.PUBLIC_FIGURES`); when it names a private person through a relation ("my neighbour
John", "my boss Sarah"); or when it contains a capitalised full name "Firstname Lastname" whose
first word is a common given name ("John Smith walking his dog"). A first name alone in a
generic role ("a man named Bob", "a girl called Alice") identifies no one and is allowed, and so
are long-dead historical figures (they are not on the list).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from tenku.safety import lexicon as lx
from tenku.safety.normalize import canonical, squeeze, variants

__all__ = ["ALWAYS_ON", "CATEGORIES", "RuleHit", "RuleSet"]

# Every policy category, most severe first: when several match, the first one is reported.
CATEGORIES = (
    "sexual_minors",
    "crime_weapons",
    "self_harm",
    "violence_gore",
    "sexual",
    "hate_extremism",
    "deception_elections",
    "real_people",
    "copyright_trademarks",
)
# Categories no policy file can switch off.
ALWAYS_ON = frozenset({"sexual_minors"})

_NUMBER_WORDS = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen"
_AGE = re.compile(
    r"(?<![a-z0-9])(\d{1,2}|" + "|".join(_NUMBER_WORDS.split()) + r") ?(?:years? ?old|yearold|yo|yrs? ?old)"
)
_MINOR_TOKEN = "minoraged"


@dataclass(frozen=True, kw_only=True)
class Pair:
    """Refuse when a `first` term and a `second` term occur within `window` words."""

    first: tuple[str, ...]
    second: tuple[str, ...]
    window: int  # words allowed between the two terms
    ordered: bool  # True: `second` must come after `first`


@dataclass(frozen=True, kw_only=True)
class CategoryRules:
    category: str
    strong: tuple[str, ...]  # any one refuses
    pairs: tuple[Pair, ...] = ()
    safe: tuple[str, ...] = ()  # benign phrases cut out before matching
    pair_blockers: tuple[str, ...] = ()  # benign contexts that switch the pairs off


@dataclass(frozen=True, kw_only=True)
class RuleHit:
    category: str
    terms: tuple[str, ...]  # the words that fired, as normalised

    @property
    def reason(self) -> str:
        return f"matched {self.category} rule: {' + '.join(repr(t) for t in self.terms)}"


def default_rules() -> tuple[CategoryRules, ...]:
    """The shipped rules, one entry per category in `CATEGORIES` order."""
    sexual_any = lx.SEXUAL_STRONG + lx.SEXUALISING
    return (
        CategoryRules(
            category="sexual_minors",
            strong=lx.SEXUAL_MINORS_STRONG,
            pairs=(Pair(first=lx.MINOR + (_MINOR_TOKEN,), second=sexual_any, window=40, ordered=False),),
            safe=lx.SEXUAL_SAFE,
        ),
        CategoryRules(
            category="crime_weapons",
            strong=lx.CRIME_STRONG,
            pairs=(
                Pair(first=lx.INSTRUCTION, second=lx.CRIME_OBJECT, window=8, ordered=False),
                Pair(first=lx.MAKE, second=lx.CRIME_OBJECT, window=3, ordered=True),
            ),
            safe=lx.CRIME_SAFE,
        ),
        CategoryRules(
            category="self_harm",
            strong=lx.SELF_HARM_STRONG,
            pairs=(Pair(first=lx.SELF_HARM_JUMP, second=lx.SELF_HARM_PLACE, window=4, ordered=True),),
            safe=lx.SELF_HARM_SAFE,
            pair_blockers=lx.SELF_HARM_SAFE,
        ),
        CategoryRules(
            category="violence_gore",
            strong=lx.VIOLENCE_STRONG,
            pairs=(
                Pair(first=lx.VIOLENCE_ACTIVE, second=lx.PERSON, window=3, ordered=True),
                Pair(first=lx.PERSON, second=lx.VIOLENCE_PASSIVE, window=4, ordered=True),
                Pair(first=lx.SHOOT, second=lx.VULNERABLE, window=3, ordered=True),
            ),
            safe=lx.VIOLENCE_SAFE,
        ),
        CategoryRules(category="sexual", strong=lx.SEXUAL_STRONG, safe=lx.SEXUAL_SAFE),
        CategoryRules(
            category="hate_extremism",
            strong=lx.HATE_STRONG,
            pairs=(Pair(first=lx.HATE_TARGET, second=lx.HATE_ATTRIBUTE, window=6, ordered=False),),
            safe=lx.HATE_SAFE,
        ),
        CategoryRules(
            category="deception_elections",
            strong=lx.DECEPTION_STRONG,
            pairs=(
                Pair(first=lx.DECEPTION_EVENT, second=lx.DECEPTION_CLAIM, window=12, ordered=False),
                Pair(first=lx.FAKE_CUE, second=lx.ELECTION + lx.DECEPTION_CLAIM, window=12, ordered=False),
            ),
            safe=lx.DECEPTION_SAFE,
        ),
        CategoryRules(
            category="real_people",
            strong=lx.PUBLIC_FIGURES,
            pairs=(Pair(first=lx.RELATION, second=lx.FIRST_NAMES, window=2, ordered=True),),
            safe=lx.PEOPLE_SAFE,
        ),
        CategoryRules(
            category="copyright_trademarks",
            strong=lx.CHARACTERS + lx.BRANDS,
            safe=lx.CHARACTER_SAFE,
        ),
    )


def _alternation(terms: tuple[str, ...], squeezed: bool) -> re.Pattern[str]:
    pieces = set()
    for term in terms:
        wildcard = term.endswith("*")
        words = canonical(term.rstrip("*"))
        if squeezed:
            words = squeeze(words)
        if words:
            pieces.add(re.escape(words) + ("[a-z0-9]*" if wildcard else ""))
    # Longest first so "a man" wins over "a" prefixes inside the alternation.
    body = "|".join(sorted(pieces, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


@dataclass(frozen=True, kw_only=True)
class _Compiled:
    rules: CategoryRules
    strong: re.Pattern[str] | None
    pairs: tuple[tuple[Pair, re.Pattern[str], re.Pattern[str]], ...]
    safe: re.Pattern[str] | None
    blockers: re.Pattern[str] | None


def _compile(rules: CategoryRules, squeezed: bool) -> _Compiled:
    def alt(terms: tuple[str, ...]) -> re.Pattern[str] | None:
        return _alternation(terms, squeezed) if terms else None

    pairs = tuple((p, _alternation(p.first, squeezed), _alternation(p.second, squeezed)) for p in rules.pairs)
    return _Compiled(
        rules=rules,
        strong=alt(rules.strong),
        pairs=pairs,
        safe=alt(rules.safe),
        blockers=alt(rules.pair_blockers),
    )


def _word_spans(pattern: re.Pattern[str], text: str, spaces: list[int]) -> list[tuple[int, int, str]]:
    """(first word index, last word index, matched text) of every match."""
    out = []
    for m in pattern.finditer(text):
        start = bisect.bisect_left(spaces, m.start())
        end = bisect.bisect_left(spaces, m.end() - 1)
        out.append((start, end, m.group()))
    return out


def _pair_hit(
    pair: Pair, first: re.Pattern[str], second: re.Pattern[str], text: str
) -> tuple[str, str] | None:
    spaces = [i for i, c in enumerate(text) if c == " "]
    a_spans = _word_spans(first, text, spaces)
    if not a_spans:
        return None
    for b0, b1, b in _word_spans(second, text, spaces):
        for a0, a1, a in a_spans:
            if a0 <= b1 and b0 <= a1 and a0 == b0 and a1 == b1:
                continue  # the same words cannot be both halves
            gap_after = b0 - a1 - 1  # words between a (first) and b (second)
            gap_before = a0 - b1 - 1
            if 0 <= gap_after <= pair.window or (not pair.ordered and 0 <= gap_before <= pair.window):
                return a, b
    return None


class RuleSet:
    """Compiled rules; `match` returns every category whose rules fire on the prompt."""

    def __init__(self, rules: tuple[CategoryRules, ...] | None = None):
        rules = default_rules() if rules is None else rules
        self._plain = tuple(_compile(r, squeezed=False) for r in rules)
        self._squeezed = tuple(_compile(r, squeezed=True) for r in rules)
        self._first_names = frozenset(lx.FIRST_NAMES)
        self._not_surnames = frozenset(lx.NOT_SURNAMES)
        self._historical = frozenset(lx.HISTORICAL_FIGURES)

    def match(self, text: str) -> list[RuleHit]:
        plain, squeezed = variants(text)
        plain = [_AGE.sub(lambda m: _age_token(m.group(1)), form) for form in plain]
        hits: dict[str, RuleHit] = {}
        for compiled_set, forms in ((self._plain, plain), (self._squeezed, squeezed)):
            for compiled in compiled_set:
                category = compiled.rules.category
                if category in hits:
                    continue
                for form in forms:
                    terms = _check(compiled, form)
                    if terms:
                        hits[category] = RuleHit(category=category, terms=terms)
                        break
        if "real_people" not in hits:
            name = self._full_name(text)
            if name:
                hits["real_people"] = RuleHit(category="real_people", terms=(name,))
        return [hits[c] for c in CATEGORIES if c in hits]

    def _full_name(self, text: str) -> str | None:
        """A capitalised "Firstname Lastname" in the original text, first name from the list."""
        for m in re.finditer(r"\b([A-Z][a-z]+)\s+([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b", text):
            first, last = m.group(1).lower(), m.group(2).lower()
            if f"{first} {last}" in self._historical:
                continue
            if (
                first in self._first_names
                and last not in self._not_surnames
                and last not in self._first_names
            ):
                return m.group()
        return None


def _age_token(number: str) -> str:
    words = _NUMBER_WORDS.split()
    age = int(number) if number.isdigit() else words.index(number) + 1
    return _MINOR_TOKEN if age < 18 else f"{number} year old"


def _check(compiled: _Compiled, form: str) -> tuple[str, ...] | None:
    text = compiled.safe.sub(" | ", form) if compiled.safe is not None else form
    text = " ".join(text.split())
    if compiled.strong is not None:
        m = compiled.strong.search(text)
        if m:
            return (m.group(),)
    if compiled.blockers is not None and compiled.blockers.search(form):
        return None
    for pair, first, second in compiled.pairs:
        hit = _pair_hit(pair, first, second, text)
        if hit:
            return hit
    return None
