"""`fouille passwd` and `fouille token`: who may open the web site when it has a password."""

from __future__ import annotations

import sys

import click

from search import FouilleError
from web.passwords import hash_password
from web.tokens import TokenStore

from .cli import config_option, echo_json, fail, index_option, json_option, load_settings
from .ui import _


@click.command("passwd")
def passwd() -> None:
    """Print a scrypt hash of a password, for `web_password` (so the file need not hold it).

    Asks twice on a terminal; otherwise reads one line from standard input.
    """
    if sys.stdin.isatty():
        password = click.prompt(
            _("Password for the web site"), hide_input=True, confirmation_prompt=True, err=True
        )
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail(_("empty password: nothing to hash"))
    click.echo(hash_password(password))
    click.echo(
        _('Put it in fouille.toml as web_password = "…", or in FOUILLE_WEB_PASSWORD.'), err=True
    )


@click.group("token")
def token() -> None:
    """Tokens for scripts and feed readers: `Authorization: Bearer TOKEN`, HTTP Basic with the
    token as password, or `?token=TOKEN` on an Atom URL."""


@token.command("create")
@click.argument("name")
@index_option
@config_option
def create(name: str, index_dir: str | None, config: str | None) -> None:
    """Make a token called NAME and print it (the only time it is shown)."""
    store = TokenStore.in_index(load_settings(config, index_dir=index_dir).index_dir)
    try:
        value = store.create(name)
    except FouilleError as exc:
        fail(exc.message)
    click.echo(value)
    click.echo(
        _("Token {name!r} created; it is shown this once: keep it now.", name=name), err=True
    )


@token.command("revoke")
@click.argument("name")
@index_option
@config_option
def revoke(name: str, index_dir: str | None, config: str | None) -> None:
    """Revoke the token called NAME: it stops working at once, also in a running server."""
    store = TokenStore.in_index(load_settings(config, index_dir=index_dir).index_dir)
    try:
        store.revoke(name)
    except FouilleError as exc:
        fail(exc.message)
    click.echo(_("Token {name!r} revoked.", name=name))


@token.command("list")
@index_option
@config_option
@json_option
def list_tokens(index_dir: str | None, config: str | None, as_json: bool) -> None:
    """The tokens' names and creation times (never the tokens)."""
    tokens = TokenStore.in_index(load_settings(config, index_dir=index_dir).index_dir).list()
    if as_json:
        echo_json({"tokens": [{"name": t.name, "created": t.created} for t in tokens]})
        return
    if not tokens:
        click.echo(_("No token yet: `fouille token create NAME` makes one."))
    for info in tokens:
        click.echo(_("{name}  (created {time})", name=info.name, time=info.created))
