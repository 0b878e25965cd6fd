"""Keep the message catalogue (search/locale/) in step with the code.

    python -m tools.catalogue update    # new msgids into fr/…/messages.po, gone ones dropped
    python -m tools.catalogue compile   # messages.po → messages.mo (both are committed)
    python -m tools.catalogue check     # what tests/test_i18n.py checks; exit 1 on a problem

The msgids come from Babel's extraction of the Python code (`_()`, `N_()`, `ngettext()`,
`plural_message()`…) and the templates (`_()`, `{% trans %}`), plus the help texts of every
`fouille` command and option (click keeps them as English strings; fouille/ui.py says them
in the reader's language). Babel is a tool of the tests and of this script; at run time the
standard library's gettext reads the compiled `.mo`.
"""

from __future__ import annotations

import gettext
import io
import re
import string
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = ROOT / "search" / "locale"
LANGUAGES = ("fr",)
#: gettext's classic rule (0 and 1 are singular), rather than CLDR's three forms.
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);"}
PACKAGES = ("search", "indexer", "web", "fouille")
KEYWORDS = {**DEFAULT_KEYWORDS, "plural_message": (1, 2)}
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {"templates/**.html": {"trimmed": "true"}}

_BRACE_FIELDS = string.Formatter()
_PERCENT_FIELD = re.compile(r"%\((\w+)\)[sdfr]")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def extract() -> Catalog:
    """Every msgid of the code, the templates and the commands' help."""
    catalog = Catalog(domain="messages", project="Fouille", fuzzy=False)
    for package in PACKAGES:
        found = extract_from_dir(
            ROOT / package,
            method_map=METHODS,
            options_map=OPTIONS,
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            catalog.add(
                message,
                locations=[(f"{package}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    for text in command_help():
        catalog.add(text, locations=[("fouille/cli.py", 0)])
    return catalog


def command_help() -> Iterator[str]:
    """The help texts of every `fouille` command and option, in English."""
    sys.path.insert(0, str(ROOT))
    from fouille.cli import main
    from fouille.ui import add_output_options, help_texts

    add_output_options(main)
    yield from help_texts(main)


def update() -> None:
    """Merge the code's msgids into each language's `.po` (new ones untranslated)."""
    template = extract()
    for lang in LANGUAGES:
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang)
        else:
            catalog = Catalog(
                locale=lang,
                domain="messages",
                project="Fouille",
                copyright_holder="the Fouille authors",
                fuzzy=False,
            )
        headers = dict(catalog.mime_headers)
        headers["Plural-Forms"] = PLURAL_FORMS[lang]
        catalog.mime_headers = list(headers.items())
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()
        _write_po(catalog, path)


def compile_all() -> None:
    """Write each `.mo` from its `.po`."""
    for lang in LANGUAGES:
        with mo_path(lang).open("wb") as f:
            write_mo(f, _read(lang), use_fuzzy=False)


def check() -> list[str]:
    """What is wrong with the catalogue: msgids of the code it lacks or no longer needs,
    translations missing, fuzzy or with other parameters, a `.mo` older than its `.po`."""
    problems: list[str] = []
    wanted = {_key(m) for m in extract() if m.id}
    for lang in LANGUAGES:
        catalog = _read(lang)
        have = {_key(m): m for m in catalog if m.id}
        problems += [
            f"{lang}: not in the catalogue: {key[0]!r}"
            for key in sorted(wanted - set(have), key=str)
        ]
        problems += [
            f"{lang}: no longer in the code: {key[0]!r}"
            for key in sorted(set(have) - wanted, key=str)
        ]
        for key, message in have.items():
            problems += [
                f"{lang}: {problem}: {key[0]!r}" for problem in _translation_problems(message)
            ]
        problems += _mo_problems(lang, catalog)
    return problems


def _translation_problems(message: Message) -> Iterator[str]:
    if message.fuzzy:
        yield "fuzzy translation"
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if not all(strings):
        yield "no translation"
        return
    if len(ids) == 1:
        if _fields(strings[0]) != _fields(ids[0]):
            yield f"parameters {sorted(_fields(strings[0]))} instead of {sorted(_fields(ids[0]))}"
        return
    # Plural forms: the last says what the English plural says; a singular form may leave
    # out the count ("un article"), or name what the English singular names.
    allowed = _fields(ids[0]) | _fields(ids[-1])
    if _fields(strings[-1]) != _fields(ids[-1]):
        yield f"parameters {sorted(_fields(strings[-1]))} instead of {sorted(_fields(ids[-1]))}"
    for text in strings[:-1]:
        if not _fields(text) <= allowed:
            yield f"parameters {sorted(_fields(text))} not among {sorted(allowed)}"


def _fields(text: str) -> set[str]:
    """The parameters a message names: `{name}` (str.format) and `%(name)s` (templates)."""
    names = set(_PERCENT_FIELD.findall(text))
    try:
        parsed = list(_BRACE_FIELDS.parse(text))
    except ValueError:
        return names | {"<unbalanced braces>"}
    return names | {f"{{{field}}}" for _lit, field, _spec, _conv in parsed if field is not None}


def _mo_problems(lang: str, catalog: Catalog) -> list[str]:
    fresh = io.BytesIO()
    write_mo(fresh, catalog, use_fuzzy=False)
    fresh.seek(0)
    try:
        with mo_path(lang).open("rb") as f:
            committed = gettext.GNUTranslations(f)
    except OSError:
        return [f"{lang}: {mo_path(lang).name} is missing: python -m tools.catalogue compile"]
    if gettext.GNUTranslations(fresh)._catalog != committed._catalog:  # type: ignore[attr-defined]
        return [
            f"{lang}: {mo_path(lang).name} is older than its .po: python -m tools.catalogue compile"
        ]
    return []


def _key(message: Message) -> tuple[str, str | None]:
    ident = message.id if isinstance(message.id, str) else message.id[0]
    return ident, message.context


def _read(lang: str) -> Catalog:
    with po_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def _write_po(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, include_lineno=False, omit_header=False)
    path.write_bytes(buffer.getvalue())


def main(argv: Iterable[str]) -> int:
    args = list(argv)
    command = args[0] if args else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        problems = check()
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
