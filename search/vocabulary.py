"""Protected words and synonyms: what tech news writes on purpose, and its other names.

The shipped list is `search/data/vocabulary.toml`; `fouille.toml` adds to it
(`protected_words`, `synonyms`: `search.config.Settings`). Both apply at query time only,
so that changing them needs no reindex:

- a protected term is never stemmed nor corrected: each of its words matches as written
  (its exact form);
- a term of a synonym group, typed as consecutive plain words of a query, also finds the
  other terms of its group, a term of several words as a phrase (`search.plan`).

Terms are compared by their keys: each word run folded, elisions dropped and compounds
joined, so that `wifi 7`, `Wi-Fi 7` and `WI-FI 7` are one term, and `l'IA` is `IA`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .analysis import RUN_RE, _analyze_run, normalize
from .errors import ConfigError
from .i18n import N_

#: A term longer than this (in words) is not looked for in queries.
MAX_TERM_WORDS = 12
#: Terms a vocabulary holds at most (shipped and configured together).
MAX_TERMS = 10_000

Key = tuple[str, ...]


def run_key(run: str) -> str:
    """One word run as vocabulary keys know it: folded, elision dropped, compound joined."""
    items = _analyze_run(run, False)
    if not items:
        return ""
    start = min(s for _, _, s, _ in items)
    whole = [t for _, t, s, e in items if s == start and e == len(run)]
    return whole[-1] if whole else "".join(t for _, t, _, _ in items)


@lru_cache(maxsize=20_000)
def term_key(text: str) -> Key:
    """The key of a term or of a stretch of query text: the key of each word run."""
    return tuple(k for k in (run_key(r) for r in RUN_RE.findall(normalize(text))) if k)


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Protected terms and synonym groups, by key."""

    protected: frozenset[Key] = frozenset()
    #: key → the texts of every term of its group (itself included), in group order.
    groups: dict[Key, tuple[str, ...]] = field(default_factory=dict)
    #: The most words a term has (how far a query is scanned for one).
    longest: int = 0

    def is_protected(self, text: str) -> bool:
        """True when `text` is a protected term."""
        key = term_key(text)
        return bool(key) and key in self.protected

    def synonyms(self, key: Key) -> tuple[str, ...]:
        """The other terms of the group of `key` (none when it is in no group)."""
        group = self.groups.get(key, ())
        return tuple(t for t in group if term_key(t) != key)

    def find(self, words: Sequence[str]) -> int:
        """How many of the first `words` (query words, in order) make the longest known
        term, or 0."""
        limit = min(len(words), self.longest)
        for n in range(limit, 0, -1):
            key = tuple(k for text in words[:n] for k in term_key(text))
            if key and (key in self.protected or key in self.groups):
                return n
        return 0


EMPTY = Vocabulary()


def build(protected: Iterable[str], synonyms: Iterable[Iterable[str]]) -> Vocabulary:
    """A vocabulary of these protected terms and synonym groups (a term in several groups
    joins them)."""
    keys: set[Key] = set()
    groups: dict[Key, list[str]] = {}
    longest = 0
    for text in protected:
        key = term_key(text)
        if key and len(key) <= MAX_TERM_WORDS:
            keys.add(key)
            longest = max(longest, len(text.split()))
    for group in synonyms:
        terms = [t for t in group if term_key(t) and len(term_key(t)) <= MAX_TERM_WORDS]
        merged: list[str] = []
        for text in terms:
            for other in groups.get(term_key(text), [text]):
                if term_key(other) not in {term_key(m) for m in merged}:
                    merged.append(other)
        for text in merged:
            groups[term_key(text)] = merged
            longest = max(longest, len(text.split()))
    if len(keys) + len(groups) > MAX_TERMS:
        raise ConfigError(
            N_("protected_words, synonyms: a vocabulary holds at most {count} terms"),
            count=MAX_TERMS,
        )
    frozen = {key: tuple(terms) for key, terms in groups.items()}
    return Vocabulary(frozenset(keys), frozen, longest)


@lru_cache(maxsize=1)
def shipped() -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The protected terms and synonym groups of `search/data/vocabulary.toml`."""
    data = tomllib.loads(
        resources.files("search").joinpath("data/vocabulary.toml").read_text(encoding="utf-8")
    )
    return tuple(data.get("protected", ())), tuple(tuple(g) for g in data.get("synonyms", ()))


@lru_cache(maxsize=16)
def load(protected: tuple[str, ...] = (), synonyms: tuple[tuple[str, ...], ...] = ()) -> Vocabulary:
    """The shipped vocabulary with these protected terms and synonym groups added."""
    base_protected, base_synonyms = shipped()
    return build((*base_protected, *protected), (*base_synonyms, *synonyms))
