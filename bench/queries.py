"""The benchmark's queries: short queries for latency and known-item queries for quality.

Both are drawn with a fixed seed from the first articles of the pool (present at every size), so
that every system and every size sees exactly the same queries.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass

from .corpus import Record

# A reader's French function words: never the words one remembers of a title.
_STOPWORDS_TEXT = """
    a à au aux avec c ça ce ces cet cette d dans de des du elle elles en et eux il ils je j l la le
    les leur leurs lui m ma mais me même mes moi mon n ne ni nos notre nous on ou où par pas pour
    qu que qui s sa se ses si son sont sur t ta te tes toi ton tu un une vos votre vous y est été
    être avoir ont fait plus moins très tout tous toute toutes comme après avant contre entre sans
    sous chez vers selon depuis pendant lors quand dont alors aussi encore déjà bien non oui
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
ELISIONS = ("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu")
APOSTROPHES = "'’"

WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
ELIDED_RE = re.compile(rf"^({'|'.join(ELISIONS)})(['’])(.+)$", re.IGNORECASE)
# A section's boilerplate that ends 2,258 OrangeSum titles: nobody remembers a title by it.
BOILERPLATE_RE = re.compile(r"\s*:\s*actualité automobile, infos, scoop\s*$", re.IGNORECASE)
# Endings of verb forms, whose "plural" a reader would not type (the -ment/-dent nouns excepted).
VERB_ENDINGS = ("ait", "aient", "ont", "ent", "er", "ez", "ir")
NOUN_ENDINGS = ("ment", "dent", "gent", "ier")


def strip_accents(text: str) -> str:
    """Drop diacritics (é → e, ç → c) but keep every other character, apostrophes included."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def norm_key(text: str) -> str:
    """A title's identity for duplicate detection: lowercase, no accents, words only."""
    return " ".join(WORD_RE.findall(strip_accents(text).lower()))


def content_words(text: str) -> list[str]:
    """Words of `text` a reader may remember: no function words, no single letters.

    An elided word (l'État) is kept whole; it counts if its word part is a content word.
    """
    out = []
    for token in WORD_RE.findall(text):
        match = ELIDED_RE.match(token)
        core = match.group(3) if match else token
        if "'" in core or "’" in core:  # aujourd'hui and the like: keep as typed
            core = token
        if len(core) < 2 or core.lower() in STOPWORDS or (core.isdigit() and len(core) < 4):
            continue
        out.append(token)
    return out


def latency_queries(
    records: Sequence[Record], count: int, seed: int = 5, *, exclude: Collection[str] = ()
) -> list[str]:
    """`count` distinct queries of 1–3 consecutive content words, from titles and bodies,
    lowercase; none of them in `exclude`."""
    rng = random.Random(seed)
    out: list[str] = []
    seen = set(exclude)
    words_of: dict[str, list[str]] = {}  # thousands of queries come from the same texts
    while len(out) < count:
        rec = rng.choice(records)
        text = rec["title"] if rng.random() < 0.5 or not rec["body"] else rec["body"]
        words = words_of.get(text)
        if words is None:
            words = [ELIDED_RE.sub(r"\3", w) for w in content_words(text)]
            words_of[text] = words
        if not words:
            continue
        size = rng.randint(1, 3)
        start = rng.randrange(max(1, len(words) - size + 1))
        query = " ".join(words[start : start + size]).lower()
        if query and query not in seen:
            seen.add(query)
            out.append(query)
    return out


@dataclass(frozen=True)
class KnownItem:
    """A remembered-title query and the article it should find."""

    query: str
    target: str  # the canonical id
    title: str
    changes: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def toggle_number(word: str) -> str | None:
    """The other grammatical number of a common noun or adjective, roughly as a reader says it."""
    lower = word.lower()
    if len(word) < 4 or not word.isalpha() or word[0].isupper():
        return None
    if lower.endswith(VERB_ENDINGS) and not lower.endswith(NOUN_ENDINGS):
        return None
    if lower.endswith("eaux"):
        return word[:-1]
    if lower.endswith("eau"):
        return word + "x"
    if lower.endswith("aux"):
        return word[:-3] + "al"
    if lower.endswith("al"):
        return word[:-2] + "aux"
    if lower.endswith("eux") or lower.endswith("z"):
        return None
    if lower.endswith(("s", "x")):
        return word[:-1]
    return word + "s"


def remember(title: str, rng: random.Random) -> tuple[str, tuple[str, ...]] | None:
    """Turn a title into what a reader types when they look for it again, or None if it is too
    short. Keeps 2–4 content words in order, then drops accents, changes singular/plural, and
    drops an elided article or types it with the other apostrophe (at least one change when the
    words allow one)."""
    words = content_words(BOILERPLATE_RE.sub("", title))
    if len(words) < 2:
        return None
    size = min(len(words), rng.randint(2, 4))
    chosen = set(rng.sample(range(len(words)), size))
    elided = [i for i, w in enumerate(words) if ELIDED_RE.match(w)]
    if elided and not chosen & set(elided) and rng.random() < 0.7:
        chosen.discard(rng.choice(sorted(chosen)))
        chosen.add(rng.choice(elided))
    picked = [words[i] for i in sorted(chosen)]
    changes: list[str] = []

    def elision(word: str, force: bool = False) -> str:
        match = ELIDED_RE.match(word)
        if not match or not (force or rng.random() < 0.6):
            return word
        if rng.random() < 0.5:
            changes.append("elision-dropped")
            return match.group(3)
        other = "’" if match.group(2) == "'" else "'"
        changes.append("apostrophe-swapped")
        return f"{match.group(1)}{other}{match.group(3)}"

    def number(word: str, force: bool = False) -> str:
        other = toggle_number(word)
        if other is None or not (force or rng.random() < 0.35):
            return word
        changes.append("number-changed")
        return other

    picked = [number(elision(w)) for w in picked]
    query = " ".join(picked)
    if rng.random() < 0.5 and strip_accents(query) != query:
        query = strip_accents(query)
        changes.append("accents-dropped")
    if not changes:  # force one change where possible
        if strip_accents(query) != query:
            query = strip_accents(query)
            changes.append("accents-dropped")
        else:
            for i, word in enumerate(picked):
                changed = number(elision(word, force=True), force=True)
                if changes:
                    picked[i] = changed
                    break
            query = " ".join(picked)
    if rng.random() < 0.5:
        query = query.lower()
    return query, tuple(changes)


def known_items(records: Sequence[Record], count: int, seed: int = 7) -> list[KnownItem]:
    """`count` known-item queries for random articles whose title is unique in `records`."""
    rng = random.Random(seed)
    titles = Counter(norm_key(r["title"]) for r in records)
    candidates = [r for r in records if r["title"] and titles[norm_key(r["title"])] == 1]
    rng.shuffle(candidates)
    out: list[KnownItem] = []
    for rec in candidates:
        made = remember(rec["title"], rng)
        if made is None:
            continue
        out.append(KnownItem(made[0], rec["canon"], rec["title"], made[1]))
        if len(out) >= count:
            break
    return out


def reciprocal_rank(ranked: Sequence[str], target: str, depth: int = 10) -> float:
    """1/rank of `target` in the first `depth` ids, else 0."""
    for rank, ident in enumerate(ranked[:depth], 1):
        if ident == target:
            return 1.0 / rank
    return 0.0


def canonical(ident: str) -> str:
    """The canonical id of a possibly repeated article (`<id>~r<k>` → `<id>`)."""
    return ident.split("~r", 1)[0]
