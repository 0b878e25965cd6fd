"""Errors the web layer raises, and the one way they are rendered (HTML page or JSON)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, render_template, request

from search.i18n import N_, Message

from .language import _, say

# Paths whose clients read JSON: they get `{"error": {"code": …, "message": …}}`.
JSON_PREFIXES = ("/api/", "/healthz")

TITLES = {
    400: N_("Bad request"),
    401: N_("Authentication required"),
    404: N_("Page not found"),
    405: N_("Method not allowed"),
    429: N_("Too many attempts"),
    500: N_("Internal error"),
    503: N_("No index yet"),
}
ERROR = N_("Error")
# werkzeug's default descriptions, as our pages say them (in the reader's language).
DEFAULT_MESSAGES = {
    404: N_("This page does not exist. Start again from the home page or run a search."),
    405: N_("This address only answers GET requests."),
    500: N_("Internal server error."),
}


class ParamError(ValueError):
    """A URL parameter the web layer cannot turn into an engine argument (becomes a 400).

    `ParamError(N_("the parameter {name} …"), name=…)`: its `message` is translated when shown.
    """

    def __init__(self, template: str, /, **params: Any) -> None:
        self.message = Message(template, **params)
        super().__init__(str.__str__(self.message))


def wants_json(path: str | None = None) -> bool:
    """Whether an error on this path should be JSON rather than an HTML page."""
    path = request.path if path is None else path
    return path.startswith(JSON_PREFIXES)


def render_error(code: int, message: str, *, title: str | None = None) -> Response:
    """The error as JSON for API paths, else as an HTML page; status `code`. A `Message`
    (`message` or `title`) is said in the request's language."""
    message = say(message)
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        from .params import SearchParams

        # Keep what the reader typed in the search box, so a bad filter is one edit away.
        typed = request.args.get("q", "")[:200] if request.path.startswith("/search") else ""
        html = render_template(
            "error.html",
            code=code,
            title=say(title) if title else _(TITLES.get(code, ERROR)),
            message=message,
            no_index=code == 503 and title is None,
            params=SearchParams(q=typed),
        )
        response = Response(html, mimetype="text/html")
    response.status_code = code
    return response
