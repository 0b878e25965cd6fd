"""The French analysis chain, identical at index and query time.

Two flavours of one tokenizer:
- `stem=True` (the recall fields): elisions stripped, stop words dropped, Snowball French
  stems (PyStemmer, C), then accents, ligatures and case folded.
- `stem=False` (the exact fields): elisions stripped and folded, but every word kept as
  written; it serves "exact phrases" and the spelling dictionary.

Stems are folded *after* stemming because Snowball French expects accents. Compounds
(`Wi-Fi`, `peut-être`) give their parts and the joined word, so `wifi` finds `Wi-Fi`.

The tokenizer is pickled into the index schema: keep `FrenchTokenizer` importable here, and
run `fouille reindex --rebuild` after changing anything that alters the terms it emits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import Stemmer
from unidecode import unidecode
from whoosh.analysis import Token, Tokenizer

# Words with an apostrophe or hyphen inside stay one run; `C++` and `C#` keep their sign.
RUN_RE = re.compile(r"[^\W_]+(?:['’ʼ‘`´＇′\-‐‑][^\W_]+)*(?:\+\+|#(?!\w))?")
APOSTROPHES = str.maketrans(
    {"’": "'", "ʼ": "'", "‘": "'", "`": "'", "´": "'", "＇": "'", "′": "'", "‐": "-", "‑": "-"}
)
#: Invisible in a word: a soft hyphen (U+00AD, `&shy;`) marks where it may break.
SOFT_HYPHEN = "\u00ad"

ELISIONS = frozenset("l d j m n s t c qu jusqu lorsqu puisqu quoiqu quelqu presqu entr".split())

# Function words only: `été` (summer) and `est` (east) are content words and stay.
STOP_WORDS = frozenset(
    """
    a à au aux avec ce ces cet cette ça d dans de des du elle elles en et eux il ils
    je la le les leur leurs lui ma mais me mes moi mon ne ni nos notre nous on ou où
    par pas pour qu que qui sa se ses si son sur ta te tes toi ton tu un une vos votre
    vous y l j m n s t c sous chez ont sont dont
    """.split()
)

MAX_TOKEN_LENGTH = 64

_stemmer = Stemmer.Stemmer("french")


def _fold_table() -> dict[int, str]:
    """What `unidecode` makes of each Latin letter past ASCII, lower-cased, letters and
    digits only: `str.translate` then folds a French word in C."""
    table = {}
    for code in range(0x80, 0x250):
        folded = unidecode(chr(code)).lower()
        table[code] = "".join(ch for ch in folded if ch.isalnum() or ch in "+#")
    return table


_FOLD = _fold_table()
_ASCII_KEPT = {code: None for code in range(128) if not (chr(code).isalnum() or chr(code) in "+#")}


@lru_cache(maxsize=50_000)
def fold(text: str) -> str:
    """Lower-case, strip accents and expand ligatures: `Œuvre` → `oeuvre`, `ÉCOLE` → `ecole`."""
    if text.isascii():
        return text.lower()
    folded = text.translate(_FOLD)
    if folded.isascii():
        return folded.lower().translate(_ASCII_KEPT)
    folded = unidecode(text).lower()  # letters beyond Latin: unidecode knows them all
    return "".join(ch for ch in folded if ch.isalnum() or ch in "+#")


def snowball_stem(word: str) -> str:
    """The Snowball French stem as the algorithm defines it (accents kept, nothing folded)."""
    stemmed: str = _stemmer.stemWord(word)
    return stemmed


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """Snowball French stem of a lower-case word, then folded; numbers and codes kept whole."""
    if word.isalpha():
        return fold(_stemmer.stemWord(word))
    return fold(word)


def word_stems(word: str) -> tuple[str, ...]:
    """The stems one word gives in the stemmed fields (see `_stems`)."""
    return _stems(word)


def _stems(word: str) -> tuple[str, ...]:
    """The stem of the word as written and, when it differs, of its unaccented spelling.

    Snowball stems `sécurité` to `secur` but `securite` to `securit`: emitting both, at index
    and query time, lets a query typed without accents meet the accented text and back.
    """
    first = stem(word)
    if word.isascii():
        return (first,)
    second = stem(fold(word))
    return (first,) if second == first else (first, second)


#: A Snowball stem shorter than this says too little of its word: `don` is données, donner
#: and don; `ser` is série and sera. Such a word matches through its stem only in words that
#: also begin like it (`search.plan.Stems.narrow`).
MIN_STEM = 4


def narrowing(word: str, stems: tuple[str, ...] | list[str]) -> str:
    """The beginning a word's relatives must share when its stems are too short to tell
    them apart (see `MIN_STEM`), or "" when its stems are long enough.

    `données` (stems don, donne) → "donnee": donnée and données, not donner or don.
    """
    forms = inflections(word)
    shortest = min((len(s) for s in stems), default=MIN_STEM)
    if not forms or shortest >= MIN_STEM:
        return ""
    head = forms[0]
    for form in forms[1:]:
        while not form.startswith(head):
            head = head[:-1]
    # Three letters (`des`, `vie`) begin too many words to list them at query time.
    return head if len(head) > shortest and len(head) >= MIN_STEM else ""


#: Plural endings (folded) whose singular is not just the word without its last letter.
_PLURALS = (("eaux", "eau"), ("aux", "al"), ("eux", "eu"))
#: Masculine ↔ feminine endings of the same word (folded). Only endings that mark gender
#: alone: a bare `-e` (port/porte, parti/partie, droit/droite) or `-ée` (entré/entrée)
#: makes another word as often as not, so they are not inflections here.
_GENDERS = (
    # -ateur and -cteur take -trice (utilisatrice, actrice); another -teur may take either
    # (chanteuse, autrice), as -euse may be of -eur or of -eux (vendeuse, heureuse). A
    # guess that is no word matches nothing.
    ("ateur", ("atrice",)),
    ("atrice", ("ateur",)),
    ("cteur", ("ctrice",)),
    ("ctrice", ("cteur",)),
    ("teur", ("teuse", "trice")),
    ("trice", ("teur",)),
    ("euse", ("eur", "eux")),
    ("eur", ("euse",)),
    ("eux", ("euse",)),
    ("ive", ("if",)),
    ("if", ("ive",)),
    ("ienne", ("ien",)),
    ("ien", ("ienne",)),
)
#: Words this short have no inflection worth guessing (`pas`, `bus`, `gaz`).
MIN_INFLECTED = 4


@lru_cache(maxsize=50_000)
def inflections(word: str) -> tuple[str, ...]:
    """The folded word and its true inflections: singular and plural (-s, -x, -al/-aux,
    -eau/-eaux), and masculine/feminine where an ending marks gender alone
    (`utilisateur` → utilisatrice). What a plain word matches exactly (`search.scoring`).

    `données` → (donnees, donnee); `journal` → (journal, journals, journaux).
    """
    folded = fold(word)
    if len(folded) < MIN_INFLECTED or not folded.isalpha():
        return (folded,) if folded else ()
    singulars = {folded}
    for plural, singular in _PLURALS:
        if folded.endswith(plural):
            singulars.add(folded[: -len(plural)] + singular)
            break
    else:
        if folded.endswith(("s", "x")):
            singulars.add(folded[:-1])
    forms = {folded} | singulars
    for base in list(singulars):
        for ending, others in _GENDERS:
            if base.endswith(ending):
                forms.update(base[: -len(ending)] + other for other in others)
                break
    for base in list(forms):
        if base.endswith(("s", "x")):
            continue
        forms.add(base + "s")
        if base.endswith(("eau", "eu", "au")):
            forms.add(base + "x")
        elif base.endswith("al"):
            forms.add(base[:-2] + "aux")
    return (folded, *sorted(forms - {folded}))


def normalize(text: str) -> str:
    """NFC, so that combining accents become single characters the tokenizer sees as letters;
    soft hyphens dropped, so that `infor&shy;matique` is one word."""
    if text.isascii():
        return text
    if SOFT_HYPHEN in text:
        text = text.replace(SOFT_HYPHEN, "")
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=300_000)
def _analyze_run(run: str, stemming: bool) -> tuple[tuple[int, str, int, int], ...]:
    """Terms of one word run: (position offset, term, start, end) relative to the run."""
    lowered = run.lower().translate(APOSTROPHES)
    start = 0
    pieces = lowered.split("'")
    # Strip elided articles: l'école, qu'il, jusqu'aujourd'hui (aujourd'hui itself stays whole).
    while len(pieces) > 1 and pieces[0] in ELISIONS:
        start += len(pieces[0]) + 1
        pieces = pieces[1:]
    rest = "".join(pieces)  # aujourd'hui → aujourdhui, whichever apostrophe was typed
    offset = start
    parts = []
    for part in lowered[start:].split("-"):
        parts.append((part.replace("'", ""), offset, offset + len(part)))
        offset += len(part) + 1
    out: list[tuple[int, str, int, int]] = []
    for pos, (word, s, e) in enumerate(parts):
        if not word or len(word) > MAX_TOKEN_LENGTH:
            continue
        if stemming:
            if word in STOP_WORDS:
                continue
            out.extend((pos, term, s, e) for term in _stems(word))
        else:
            out.append((pos, fold(word), s, e))
    if len(parts) > 1:
        joined = rest.replace("-", "")
        if joined and len(joined) <= MAX_TOKEN_LENGTH:
            for term in _stems(joined) if stemming else (fold(joined),):
                out.append((len(parts) - 1, term, start, len(run)))
    return tuple((p, t, s, e) for p, t, s, e in out if t)


def compound_terms(run: str) -> tuple[list[str], list[list[str]]]:
    """Stemmed terms of one word run as (terms of the whole run, alternatives per part).

    A plain word has no parts; `Wi-Fi` gives (["wif"], [["wi"], ["fi"]]).
    """
    joined, parts, _, _ = compound_pieces(run)
    return joined, parts


def compound_pieces(run: str) -> tuple[list[str], list[list[str]], str, list[str]]:
    """`compound_terms` of a word run, with the exact (folded) word of the whole run and of
    each part beside them: `Wi-Fi` gives (["wif"], [["wi"], ["fi"]], "wifi", ["wi", "fi"])."""
    items = _analyze_run(run, True)
    if not items:
        return [], [], "", []
    exact = {(s, e): t for _, t, s, e in _analyze_run(run, False)}
    whole = (min(s for _, _, s, _ in items), len(run))
    joined = [t for _, t, s, e in items if (s, e) == whole]
    by_pos: dict[int, list[str]] = {}
    spans: dict[int, tuple[int, int]] = {}
    for pos, term, s, e in items:
        if (s, e) != whole:
            by_pos.setdefault(pos, []).append(term)
            spans[pos] = (s, e)
    word = exact.get(whole, "")
    if not by_pos and joined:
        return joined, [], word, []
    return joined, list(by_pos.values()), word, [exact.get(spans[p], "") for p in by_pos]


def analyze(text: str, *, stemming: bool = True) -> Iterator[tuple[int, str, int, int]]:
    """Yield (position, term, startchar, endchar) for `text`; offsets index `normalize(text)`."""
    pos = 0
    for match in RUN_RE.finditer(normalize(text)):
        run = match.group()
        base = match.start()
        terms = _analyze_run(run, stemming)
        width = 1
        for offset, term, s, e in terms:
            yield pos + offset, term, base + s, base + e
            width = max(width, offset + 1)
        pos += width if terms else 1


def tag_key(label: str) -> str:
    """The folded form tags are matched by: `Vie privée` and `vie-privee` are one tag."""
    words = (fold(w) for w in re.split(r"[^\w+#]+", normalize(label)) if w)
    return " ".join(" ".join(re.sub(r"[^a-z0-9+#]+", " ", w).split()) for w in words).strip()


def terms(text: str, *, stemming: bool = True) -> list[str]:
    """The terms of `text`, in order (handy in tests and query building)."""
    return [term for _, term, _, _ in analyze(text, stemming=stemming)]


class FrenchTokenizer(Tokenizer):  # type: ignore[misc]  # Whoosh is untyped
    """A Whoosh tokenizer running the whole French chain (see the module docstring)."""

    def __init__(self, stemming: bool = True) -> None:
        self.stemming = stemming

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrenchTokenizer) and other.stemming == self.stemming

    def __hash__(self) -> int:
        return hash((FrenchTokenizer, self.stemming))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, term, s, e in analyze(value, stemming=self.stemming):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[s:e]  # the word as written, as Whoosh defines it
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + s
                token.endchar = start_char + e
            yield token


def stem_analyzer() -> FrenchTokenizer:
    """The analyzer of the recall fields (stemmed, stop words dropped, folded)."""
    return FrenchTokenizer(stemming=True)


def exact_analyzer() -> FrenchTokenizer:
    """The analyzer of the exact fields (folded words as written)."""
    return FrenchTokenizer(stemming=False)
