"""HTTP validators for search answers: an ETag named after the index state and the request.

A search's answer changes only when the index does (a commit, a rebuild) or the request
does, so the ETag hashes both; a browser, feed reader or proxy that sends it back in
`If-None-Match` gets a 304 and nothing is searched. `Cache-Control` keeps answers fresh for
a short while only: a reindex should show within a minute.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

from flask import Response, current_app, make_response, request

from search import VERSION

from . import language

MAX_AGE = 30
P = ParamSpec("P")


def conditional(view: Callable[P, Any]) -> Callable[P, Response]:
    """Answer `view` with an ETag and a short max-age; 304 when the client has it."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        version = current_app.extensions["fouille"].get().version()
        # The answer's language (a parameter, a cookie or Accept-Language) is part of it.
        key = f"{VERSION}\n{version}\n{request.full_path}\n{language.current()}"
        etag = hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=12).hexdigest()
        if request.if_none_match.contains(etag):
            response = Response(status=304)
        else:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
        response.set_etag(etag)
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
        return response

    return wrapper
