"""click's own messages that `fouille` users read (`Usage:`, `Error: …`, `--help`'s help),
listed so that the catalogue says them in French too.

click looks them up itself, through the `gettext` module, which fouille/ui.py points at our
catalogue; this module is never imported when a command runs. tests/test_i18n.py checks that
the installed click still uses each of these msgids.
"""

from __future__ import annotations

from search.i18n import N_


def ngettext(singular: str, plural: str, count: int = 2) -> tuple[str, str]:
    """Mark a pair of forms for the catalogue (as click's own `ngettext` calls are)."""
    return singular, plural


MESSAGES = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Aborted!"),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("default: {default}"),
    N_("Missing command."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("Option {name!r} does not take a value."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."),
)

PLURALS = (
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    ngettext(
        "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."
    ),
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
)
