"""The one scoring model: BM25, the same for every kind of query.

For a term t of a field f, in a document d:

    bm25_f(t, d) = idf(t) · (K1 + 1) · tf / (tf + K1 · (1 − B + B · len_f(d) / avglen_f))
    idf(t)       = ln(1 + (N − df + 0.5) / (df + 0.5))

- tf: the occurrences of t in f (counted up to 255), len_f(d): the document's length in f
  as Whoosh stores it (one byte, `whoosh.util.numeric.byte_to_length`), avglen_f: the exact
  total length of f over the index divided by N; N and df count every document of the index,
  deleted ones included, as Whoosh's statistics do.
- Evidence from the exact fields (words as written, folded) weighs EXACT_WEIGHT, the title
  EXACT_TITLE_WEIGHT times the body there; evidence from the stemmed fields weighs 1, the
  title TITLE_WEIGHT times the text. For a pseudo-term x of the exact fields:
      exact(x, d) = EXACT_WEIGHT
                    · [bm25_body_exact(x, d) + EXACT_TITLE_WEIGHT · bm25_title_exact(x, d)]
- A plain word w: its stem, for recall (any of its spellings s, scored by the best), plus
  its own forms F, for precision:
      max_s [bm25_text(s, d) + TITLE_WEIGHT · bm25_title(s, d)] + exact(F, d)
  `text` holds the title twice, the tags and the body, stemmed; `title` the title alone.
  F is the word as typed and its true inflections (`search.analysis.inflections`:
  données → donnée, journal → journaux), folded, as one pseudo-term: tf the sum of their
  occurrences, df the documents holding any of them. So an article that holds the word
  itself ranks above one that only shares its Snowball stem (`données` above `donner`,
  `parti` above `partie`), and still matches when it has only the stem; the forms match
  on their own too (Snowball keeps `euros` apart from `euro`). When the stems are too
  short to tell words apart (under `analysis.MIN_STEM` letters: `don` for données, donner
  and don), the stem part only counts — and matches — in documents whose title, body or
  tags hold a word that begins like w and has one of its stems (`analysis.narrowing`:
  données → donnée…, not donner). EXACT_WEIGHT was chosen on the tuning half of
  `bench/ambiguity.json` (`python -m bench.precision`, BENCHMARKS.md).
- A protected word (`search.vocabulary`: RGPD, Windows) is never stemmed: exact(F, d)
  with F the word alone.
- A phrase, or a word in quotes, is a pseudo-term of the exact fields, exact(p, d): for a
  phrase, tf is the number of times the words follow each other, df the documents where
  they do.
- A prefix scores as the best of the exact words it stands for (each as a quoted word).
- `titre:`/`title:` keeps only the title's parts, with weight 1 in `title` and
  EXACT_WEIGHT in `title_exact`.
- Clauses joined by AND or OR add up; alternatives (spellings, synonyms) take the best;
  an exclusion adds nothing; tag, author and feed clauses match without scoring.
- The "fresh" sort multiplies a score by 1 + 2^(−age / half-life).

`tests/test_scoring.py` checks a word's score against a brute-force computation over the
text of a small index.
"""

from __future__ import annotations

import math

import numpy as np

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 2.0
#: How much the exact fields count, next to the stemmed ones (see the docstring).
EXACT_WEIGHT = 8.0
#: The title's weight in the exact fields: `body_exact` does not hold the title, where
#: `text` holds it `TITLE_REPEAT` times, so `title_exact` makes up for both.
EXACT_TITLE_WEIGHT = 4.0

#: The (stemmed, exact) field pairs: the body-side field and the title-side field.
STEMMED = ("text", "title")
EXACT = ("body_exact", "title_exact")


def idf(df: int, count: int) -> float:
    """BM25's inverse document frequency of a term found in `df` of `count` documents."""
    return math.log(1 + (count - df + 0.5) / (df + 0.5))


def bm25(tf: np.ndarray, norms: np.ndarray, weight: float) -> np.ndarray:
    """BM25 of frequencies `tf` in documents whose length norms are `norms`, times `weight`
    (the idf and any field weight), as float32."""
    tf = tf.astype(np.float32, copy=False)
    scores: np.ndarray = np.float32(weight * (K1 + 1)) * tf / (tf + norms)
    return scores.astype(np.float32, copy=False)


def freshness(
    scores: np.ndarray, published_us: np.ndarray, now_us: int, half_life_days: float
) -> np.ndarray:
    """Scores times 1 + 2^(−age / half-life): today's article counts double."""
    half_life = max(half_life_days, 0.01) * 86400e6
    age = np.maximum(now_us - published_us, 0).astype(np.float64)
    fresh: np.ndarray = scores * (1 + np.exp2(-age / half_life))
    return fresh.astype(np.float32)
