"""Reading the index: one `State` per committed state of the live generation, shared by
every thread, and one `View` per thread (its own Whoosh searcher on that state's segments).

A state is checked for change through directory modification times (cheap enough for every
request) and re-read at least every `RECHECK_SECONDS`. A commit that replaces the table of
contents, or removes merged segments, while a state is being read makes the read start over.
"""

from __future__ import annotations

import os
import pickle
import threading
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
from isal import isal_zlib
from whoosh.codec.whoosh3 import STORED_COLUMN
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from . import scoring
from .arrays import ArrayFileError
from .explain import Recorder
from .filters import Filters
from .matching import Matcher
from .narrowing import NarrowCache
from .plan import compile_query
from .postings import IndexArrays
from .query import parse
from .spelling import Speller
from .storage import Storage
from .vocabulary import Vocabulary

#: Filter results kept per state (a filter is often repeated: paging, facets).
FILTER_CACHE = 64
#: A reader re-checks the table of contents at least this often, whatever the mtimes say.
RECHECK_SECONDS = 1.0
#: Tries to read a committed state that a concurrent commit keeps replacing.
READ_ATTEMPTS = 8


@dataclass
class State:
    """One committed state of one generation: its arrays and what is derived from them."""

    generation: str
    toc_generation: int
    segments: list[Any]
    arrays: IndexArrays
    #: The table of contents' schema (Whoosh's `FileIndex.schema` reads the table again).
    schema: Any
    allowed: OrderedDict[Filters, np.ndarray] = field(default_factory=OrderedDict)
    #: The matcher's cache of narrowed document sets (`Matcher._narrowed`).
    narrowed: NarrowCache = field(default_factory=dict)
    #: Near-duplicates as hits list them (`search.hits.version`), by document: a story
    #: told by several feeds comes back with each search that finds it.
    versions: dict[int, Any] = field(default_factory=dict)

    def allowed_docs(self, filters: Filters, matcher: Matcher) -> np.ndarray:
        found = self.allowed.get(filters)
        if found is None:
            found = matcher.allowed(filters)
            self.allowed[filters] = found
            while len(self.allowed) > FILTER_CACHE:
                self.allowed.popitem(last=False)
        return found


class View:
    """One thread's Whoosh searcher on a state (stored fields, term tables)."""

    def __init__(self, state: State, searcher: Searcher) -> None:
        self.state = state
        self.searcher = searcher
        # Each segment's stored-fields column, read by offset (`_StoredColumn`): Whoosh's
        # `stored_fields` goes through its file object (a seek and a read each time) and
        # filters every field through the schema, half the cost of reading a hit.
        self._columns: list[tuple[int, _StoredColumn | None]] = []
        reader = searcher.reader()
        leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
        for leaf, offset in leaves:
            self._columns.append((offset, _StoredColumn.of(leaf)))
        self._starts = [offset for offset, _ in self._columns]

    def stored(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields."""
        i = bisect_right(self._starts, docnum) - 1
        offset, column = self._columns[i] if i >= 0 else (0, None)
        if column is None:
            fields: dict[str, Any] = self.searcher.stored_fields(docnum)
            return fields
        return column.get(docnum - offset)

    def expand(self, fieldname: str, prefix: str) -> list[str]:
        """Words of a field starting with `prefix`, the most frequent first."""
        reader = self.searcher.reader()
        words = []
        for n, raw in enumerate(reader.expand_prefix(fieldname, prefix)):
            if n >= 5000:
                break
            word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            words.append((reader.doc_frequency(fieldname, word), word))
        words.sort(reverse=True)
        return [w for _, w in words]

    def words(self, fieldname: str, prefix: str) -> Iterator[str]:
        """Words of a field starting with `prefix`, in the term table's order (cheap: no
        frequencies)."""
        for n, raw in enumerate(self.searcher.reader().expand_prefix(fieldname, prefix)):
            if n >= 5000:
                break
            yield raw.decode("utf-8") if isinstance(raw, bytes) else raw

    def matcher(self) -> Matcher:
        return Matcher(self.state.arrays, self.expand, self.words, self.state.narrowed)

    def recorder(self) -> Recorder:
        """A matcher that records its evaluation, to explain it (`search.explain`)."""
        return Recorder(self.state.arrays, self.expand, self.words, self.state.narrowed)

    def speller(self, vocabulary: Vocabulary) -> Speller:
        return Speller(self.searcher.reader(), self.stored, self.state.arrays, vocabulary)

    def completion_context(self, vocabulary: Vocabulary) -> CompletionContext:
        """What completions after other words need (`spelling.Context`)."""
        return CompletionContext(self.matcher(), vocabulary)


class CompletionContext:
    """For completions: the documents some words find, and phrase counts."""

    def __init__(self, matcher: Matcher, vocabulary: Vocabulary) -> None:
        self.matcher = matcher
        self.vocabulary = vocabulary

    def docs(self, text: str) -> np.ndarray:
        found: np.ndarray = self.matcher.run(compile_query(parse(text), self.vocabulary).plan).docs
        return found

    def follows(self, words: tuple[str, ...], within: np.ndarray) -> int:
        found = [self.matcher.phrase(words, field, within) for field in scoring.EXACT]
        return len(np.union1d(*found))


class _StoredColumn:
    """One segment's stored fields: Whoosh's column of zlib-compressed pickles, its offsets
    and lengths as Whoosh's own reader read them, each document's bytes read from the file
    (`os.pread`: the kernel's page cache keeps them for every worker, where pages of a
    memory map, once touched, would count in each worker's memory) and inflated by ISA-L
    (`isal`: half zlib's time, the largest single cost of a result page at 100,000 articles)."""

    def __init__(self, file: BinaryIO, base: int, offsets: Any, lengths: Any) -> None:
        self._file = file
        self._fd = file.fileno()
        self._base = base
        self._offsets = offsets
        self._lengths = lengths

    @classmethod
    def of(cls, leaf: Any) -> _StoredColumn | None:
        """The stored column of a Whoosh segment reader (None when it is not the W3 layout
        this reads: Whoosh's own reader is used then)."""
        try:
            perdoc = leaf._perdoc
            column = perdoc._cached_reader("_stored", STORED_COLUMN)
            if column is None and leaf.doc_count_all():
                # Whoosh opens the column when first asked: a commit that merged the
                # segment away has deleted its file since the reader was made.
                raise FileNotFoundError("a merged segment's stored fields")
            raw = column._child
            path = os.path.join(leaf._storage.folder, raw._dbfile._name)
            file = open(path, "rb", buffering=0)  # noqa: SIM115 (lives with the column)
            return cls(file, raw._basepos, raw._offsets, raw._lengths)
        except FileNotFoundError:
            raise  # the view is made again from the newest state (`Snapshots.view`)
        except (AttributeError, OSError, ValueError, TypeError):
            return None

    def get(self, docnum: int) -> dict[str, Any]:
        length = int(self._lengths[docnum])
        if not length:
            return {}
        data = os.pread(self._fd, length, self._base + int(self._offsets[docnum]))
        fields: dict[str, Any] = pickle.loads(isal_zlib.decompress(data))
        return fields


class Snapshots:
    """The committed states of one index directory, and each thread's view of the latest."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._lock = threading.Lock()
        self._local = threading.local()
        self._states: OrderedDict[tuple[str, int], State] = OrderedDict()
        self._seen: tuple[Any, ...] | None = None
        self._checked = 0.0

    def state(self) -> State:
        """The state of the latest commit of the live generation."""
        stamp = self._stamp()
        now = time.monotonic()
        with self._lock:
            fresh = now - self._checked < RECHECK_SECONDS
            if stamp is not None and stamp == self._seen and fresh and self._states:
                return next(reversed(self._states.values()))
            for attempt in range(READ_ATTEMPTS):
                try:
                    state = self._load_state()
                    break
                except (FileNotFoundError, EOFError, ArrayFileError):
                    # A commit replaced the table of contents or removed a merged segment
                    # between our reading the directory and opening it: read again.
                    if attempt == READ_ATTEMPTS - 1:
                        raise
                    time.sleep(0.01 * (attempt + 1))
            self._seen, self._checked = stamp, now
            return state

    def _load_state(self) -> State:
        """Read the latest committed state (from the cache when already read)."""
        name = self._storage.require()
        ix = self._storage.open(name)
        toc = ix._read_toc()
        key = (name, toc.generation)
        state = self._states.get(key)
        if state is None:
            arrays = IndexArrays(self._storage.root / name, toc.segments)
            state = State(name, toc.generation, toc.segments, arrays, toc.schema)
            self._states[key] = state
            while len(self._states) > 2:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(key)
        return state

    def _stamp(self) -> tuple[Any, ...] | None:
        """What changes when a commit or a switch happens: the modification times of
        `CURRENT` (a switch replaces it) and of the generation last read (a commit writes a
        table of contents there). Two `stat` calls, cheap enough for every request."""
        latest = next(reversed(self._states.values()), None) if self._states else None
        if latest is None:
            return None  # nothing read yet: read it
        root = str(self._storage.root)  # not pathlib's `/`: this runs on every search
        try:
            current = os.stat(os.path.join(root, "CURRENT"))
            gen = os.stat(os.path.join(root, latest.generation))
        except OSError:
            return None  # gone or unreadable: reading it again says which
        return (current.st_mtime_ns, current.st_ino, gen.st_mtime_ns, gen.st_ino)

    def view(self) -> View:
        """This thread's view of the current state."""
        state = self.state()
        view: View | None = getattr(self._local, "view", None)
        if view is not None and view.state is state:
            return view
        if view is not None:
            view.searcher.close()
        for attempt in range(READ_ATTEMPTS):
            try:
                ix = self._storage.open(state.generation)
                reader = FileIndex._reader(
                    ix.storage, state.schema, state.segments, state.toc_generation
                )
                view = View(state, Searcher(reader))
            except FileNotFoundError:
                # The state's segments were merged away and deleted: read the newest one.
                if attempt == READ_ATTEMPTS - 1:
                    raise
                self._seen = None
                state = self.state()
            else:
                self._local.view = view
                return view
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Release this thread's searcher."""
        view = getattr(self._local, "view", None)
        if view is not None:
            view.searcher.close()
            self._local.view = None
