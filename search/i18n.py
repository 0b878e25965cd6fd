"""Messages for people, in English or in French, from one gettext catalogue.

The code's messages are English msgids (`"no index in {index_dir}: …"`, named parameters in
braces); `locale/fr/LC_MESSAGES/messages.po` says each in French, compiled beside it to
`messages.mo` (both committed; `tools/catalogue.py` keeps them in step with the code, and
tests/test_i18n.py fails when they are not).

The core never translates: its errors carry a `Message`, a `str` that is the English
sentence and also keeps its template and parameters, so that each front end (the command
line, the web pages, the API) can say it in its reader's language with `localize`. Only
the standard library's `gettext` is used at run time; Babel is a tool of the tests.
"""

from __future__ import annotations

import gettext as _gettext
import re
import string
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

#: The languages messages exist in; the msgids are English.
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).with_name("locale")

_LOCALE_NAME = re.compile(r"^([A-Za-z]{2,3})(?:[_-][A-Za-z0-9]+)?(?:[.@].*)?$")
_Param = str | int | float


def N_(msgid: str) -> str:
    """Mark `msgid` for the catalogue without translating it (gettext's `gettext_noop`):
    the text is said in the reader's language later, where the reader is known."""
    return msgid


class Message(str):
    """A sentence for a person: the English text (this `str`), with the msgid it was made
    from and its parameters, so that a front end can say it in another language.

    `Message(N_("no index in {index_dir}"), index_dir=path)`; with `plural`, the English
    and the translation choose their form by the `count` parameter. A parameter may be a
    `Message` itself (a feed error's reason): it is translated too. No parameter may hold
    a secret: a message is printed, logged and stored.
    """

    template: str
    plural: str | None
    params: Mapping[str, object]

    def __new__(cls, template: str, /, *, plural: str | None = None, **params: object) -> Message:
        chosen = template if plural is None or params.get("count") == 1 else plural
        self = super().__new__(cls, _fill(chosen, params))
        self.template = template
        self.plural = plural
        self.params = MappingProxyType(dict(params))
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.template, self.plural, dict(self.params)))

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"

    def map(self, change: Callable[[str], str]) -> Message:
        """The same message with `change` applied to each text parameter (nested ones too):
        how a secret is scrubbed from what a message quotes."""
        params = {
            key: value.map(change)
            if isinstance(value, Message)
            else change(value)
            if isinstance(value, str)
            else value
            for key, value in self.params.items()
        }
        return Message(self.template, plural=self.plural, **params)

    def to_json(self) -> dict[str, Any]:
        """A JSON form (to store a feed's last error, say) that `from_json` reads back."""
        params = {
            key: value.to_json() if isinstance(value, Message) else _plain(value)
            for key, value in self.params.items()
        }
        data: dict[str, Any] = {"template": self.template, "params": params}
        if self.plural is not None:
            data["plural"] = self.plural
        return data

    @classmethod
    def from_json(cls, data: object) -> Message | None:
        """The message `to_json` wrote, or None for anything else (a file from an older
        version, or damaged). Templates may name parameters, nothing more."""
        if not isinstance(data, Mapping):
            return None
        template, plural, raw = data.get("template"), data.get("plural"), data.get("params")
        if not isinstance(template, str) or not isinstance(raw, Mapping):
            return None
        if plural is not None and not isinstance(plural, str):
            return None
        params: dict[str, object] = {}
        for key, value in raw.items():
            if isinstance(value, Mapping):
                nested = cls.from_json(value)
                if nested is None:
                    return None
                params[str(key)] = nested
            elif isinstance(value, _Param) and not isinstance(value, bool):
                params[str(key)] = value
            else:
                return None
        if not all(_plain_fields(t, params) for t in (template, plural) if t is not None):
            return None
        try:
            return cls(template, plural=plural, **params)
        except (KeyError, IndexError, ValueError):
            return None


def plural_message(singular: str, plural: str, count: int, /, **params: object) -> Message:
    """A `Message` whose form depends on `count` (a parameter too): `skipped {count}
    unreadable entry` / `… entries`. Its own name, so that the catalogue's extraction
    pairs the two forms (as it does `ngettext`)."""
    return Message(singular, plural=plural, count=count, **params)


def _rebuild(template: str, plural: str | None, params: dict[str, object]) -> Message:
    return Message(template, plural=plural, **params)


def _plain(value: object) -> _Param:
    return value if isinstance(value, _Param) and not isinstance(value, bool) else str(value)


def _plain_fields(template: str, params: Mapping[str, object]) -> bool:
    """Whether every `{field}` of `template` is a parameter's bare name (no attribute or
    index lookups: a stored template must not reach into its parameters)."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError:
        return False
    return all(name in params for name in fields)


def _fill(template: str, params: Mapping[str, object]) -> str:
    """`template` with its parameters; a message without parameters is used as it is."""
    return template.format(**params) if params else template


# --- languages -----------------------------------------------------------------------------


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalogue of `lang` (English, the msgids' language, needs none)."""
    if lang == DEFAULT_LANGUAGE or lang not in LANGUAGES:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, [lang], fallback=True)


def language_of(name: str | None) -> str | None:
    """The language a locale or language tag names, when messages exist in it:
    `fr_FR.UTF-8`, `fr-CA`, `FR` → "fr"; `en_GB` → "en"; `C`, `POSIX`, `de_DE` → None."""
    match = _LOCALE_NAME.match((name or "").strip())
    if not match:
        return None
    lang = match.group(1).lower()
    return lang if lang in LANGUAGES else None


def language_from_environ(environ: Mapping[str, str]) -> str:
    """The language of a program's messages, as the locale variables say it (POSIX and GNU
    gettext): `LC_ALL`, else `LC_MESSAGES`, else `LANG` names the locale; unless it is `C`
    or `POSIX`, the first language of `LANGUAGE` that messages exist in comes first.
    English when nothing asks for French."""
    locale = next(
        (environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(name)), ""
    )
    if not locale or locale.split(".")[0] in ("C", "POSIX"):
        return DEFAULT_LANGUAGE
    for name in environ.get("LANGUAGE", "").split(":"):
        lang = language_of(name)
        if lang:
            return lang
    return language_of(locale) or DEFAULT_LANGUAGE


def gettext(lang: str, msgid: str) -> str:
    """`msgid` in `lang` (itself when the catalogue lacks it)."""
    return translations(lang).gettext(msgid)


def ngettext(lang: str, singular: str, plural: str, count: int) -> str:
    """The form of `singular`/`plural` for `count`, in `lang`."""
    return translations(lang).ngettext(singular, plural, count)


def pgettext(lang: str, context: str, msgid: str) -> str:
    """`msgid` in `lang`, as meant in `context` (a word said two ways in French)."""
    return translations(lang).pgettext(context, msgid)


def localize(text: object, lang: str) -> str:
    """`text` in `lang`: a `Message` is translated (its message parameters too) and
    filled; anything else is only made a string. A translation whose parameters do not
    fit falls back to the English sentence rather than fail."""
    if not isinstance(text, Message):
        return str(text)
    if lang == DEFAULT_LANGUAGE:
        return str.__str__(text)
    params = {
        key: localize(value, lang) if isinstance(value, Message) else value
        for key, value in text.params.items()
    }
    if text.plural is None:
        template = gettext(lang, text.template)
    else:
        template = ngettext(lang, text.template, text.plural, _count(params))
    try:
        return _fill(template, params)
    except (KeyError, IndexError, ValueError):
        return str.__str__(text)


def message_of(error: BaseException) -> str:
    """What an exception says: its `Message` when it carries one (every `FouilleError`
    does), else its text."""
    message = getattr(error, "message", None)
    return message if isinstance(message, Message) else str(error)


def _count(params: Mapping[str, object]) -> int:
    value = params.get("count", 0)
    return value if isinstance(value, int) else 0
