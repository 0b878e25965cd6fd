"""What the command line says, and how: its language (English or French) and its colours.

The language is `--lang`, else `FOUILLE_LANG`, else the `lang` of the config file, else the
locale (`LC_ALL`, `LC_MESSAGES`, `LANG`; `LANGUAGE` too, as GNU gettext reads it), else
English. Every text comes from search/i18n.py's catalogue: ours through `_()` and
`ngettext()`, the core's errors through `say()`, and click's own (`Usage:`, `Error:`…)
through the `gettext` module, which click calls and which reads the language from
`LANGUAGE`: `speaking()` points it at our catalogue for the time of a command.

Colour (bold highlights) follows `--color auto|always|never`; with `auto`, a non-empty
`NO_COLOR` (https://no-color.org) turns it off, and so does an output that is not a
terminal.
"""

from __future__ import annotations

import gettext as _gettext
import inspect
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

import click

from search.i18n import (
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    gettext,
    language_from_environ,
    language_of,
    localize,
)
from search.i18n import ngettext as _ngettext

COLORS = ("auto", "always", "never")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class _State:
    lang: str = "en"
    color: str = "auto"
    #: True once `--lang` (or FOUILLE_LANG) chose: the config file's `lang` then yields.
    chosen: bool = False
    #: The `--lang` of this run, if one was given.
    option_lang: str | None = None


STATE = _State()


def _(msgid: str, **params: object) -> str:
    """`msgid` in the command line's language, its `{name}` parameters filled."""
    text = gettext(STATE.lang, msgid)
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, count: int, **params: object) -> str:
    """The form for `count` (a parameter too) in the command line's language."""
    text = _ngettext(STATE.lang, singular, plural, count)
    return text.format(count=count, **params)


def say(text: object) -> str:
    """A `Message` (an error of the core, a feed's reason) in the command line's language;
    any other text as it is."""
    return localize(text, STATE.lang)


def language_asked(environ: Mapping[str, str]) -> tuple[str, bool]:
    """The language the environment asks for, and whether `FOUILLE_LANG` chose it."""
    chosen = language_of(environ.get("FOUILLE_LANG"))
    if chosen:
        return chosen, True
    return language_from_environ(environ), False


def set_language(lang: str, *, chosen: bool = True) -> None:
    """Speak `lang` from now on (and relabel the commands' help)."""
    STATE.lang = lang
    STATE.chosen = STATE.chosen or chosen
    os.environ["LANGUAGE"] = lang  # click's own messages: see `speaking`


def adopt_setting(lang: str) -> None:
    """The config file's `lang`: it decides unless `--lang` or `FOUILLE_LANG` did."""
    if lang and not STATE.chosen and lang != STATE.lang:
        set_language(lang, chosen=False)
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            localize_command(ctx.find_root().command)


@contextmanager
def speaking(environ: Mapping[str, str]) -> Iterator[None]:
    """The language and colour of one run of the command line, from the environment (the
    options change them as they are read); the process's `LANGUAGE` is restored after."""
    before = os.environ.get("LANGUAGE")
    _gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    lang, chosen = language_asked(environ)
    STATE.chosen = False
    STATE.color = "auto"
    STATE.option_lang = None
    set_language(lang, chosen=chosen)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = before


# --- colour ----------------------------------------------------------------------------------


def use_color(stream: TextIO) -> bool:
    """Whether to style what goes to `stream`: `--color`, else `NO_COLOR`, else a terminal."""
    if STATE.color == "always":
        return True
    if STATE.color == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _click_color() -> bool | None:
    """click.echo's own `color` (it strips styles off what is not a terminal)."""
    if STATE.color == "always":
        return True
    if STATE.color == "never" or os.environ.get("NO_COLOR"):
        return False
    return None


# --- the options every command has ----------------------------------------------------------


def _lang_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        STATE.option_lang = value
        set_language(value)
        localize_command(ctx.find_root().command)
        localize_command(ctx.command)


def _color_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        STATE.color = value
    ctx.color = _click_color()


def output_options() -> list[click.Option]:
    """`--lang fr|en` and `--color auto|always|never`, read before the other options."""
    return [
        _eager_choice(
            "--lang",
            LANGUAGES,
            _lang_callback,
            "Language of the messages [env FOUILLE_LANG; the locale's, else en].",
        ),
        _eager_choice(
            "--color",
            COLORS,
            _color_callback,
            "Bold highlights: auto (on a terminal, unless NO_COLOR is set), always, never.",
        ),
    ]


def _eager_choice(
    flag: str, choices: Sequence[str], callback: Callable[..., None], help: str
) -> click.Option:
    """An option read before the others, whose callback sets the output state (the command
    never sees its value)."""
    return click.Option(
        [flag],
        type=click.Choice(choices),
        expose_value=False,
        is_eager=True,
        callback=callback,
        help=help,
    )


def add_output_options(command: click.Command) -> None:
    """Give `command` (and its subcommands) `--lang` and `--color`, once."""
    names = {name for param in command.params for name in getattr(param, "opts", ())}
    if "--lang" not in names:
        command.params.extend(output_options())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_output_options(sub)


# --- help in the reader's language ------------------------------------------------------------

_ORIGINALS = "_fouille_msgids"


def localize_command(command: click.Command) -> None:
    """Say `command`'s help (its text, its options', its subcommands') in the current
    language. The English texts are the msgids; they are kept to translate again."""
    originals: dict[str, str | None] = command.__dict__.setdefault(
        _ORIGINALS, {"help": _clean(command.help), "short_help": _clean(command.short_help)}
    )
    for key, text in originals.items():
        setattr(command, key, _(text) if text else text)
    for param in command.params:
        if isinstance(param, click.Option):
            original = param.__dict__.setdefault(_ORIGINALS, param.help)
            param.help = _(original) if original else original
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize_command(sub)


def _clean(text: str | None) -> str | None:
    """A docstring as click shows it (and as the catalogue holds it): no indentation."""
    return inspect.cleandoc(text) if text else text


def help_texts(command: click.Command) -> Iterator[str]:
    """Every help text of `command` and below, in English (for the catalogue)."""
    originals = command.__dict__.get(_ORIGINALS, {"help": _clean(command.help)})
    for key in ("help", "short_help"):
        if originals.get(key):
            yield originals[key]
    for param in command.params:
        if isinstance(param, click.Option):
            text = param.__dict__.get(_ORIGINALS, param.help)
            if text:
                yield text
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from help_texts(sub)
