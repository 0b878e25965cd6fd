"""Errors the web layer raises, and the one way they are rendered (HTML page or JSON)."""

from __future__ import annotations

from flask import Response, jsonify, render_template, request

# Paths whose clients read JSON: they get `{"error": {"code": …, "message": …}}`.
JSON_PREFIXES = ("/api/", "/healthz")

TITLES = {
    400: "Requête invalide",
    401: "Authentification requise",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    429: "Trop de tentatives",
    500: "Erreur interne",
    503: "Pas encore d’index",
}
# werkzeug's default descriptions are English; the pages speak French.
DEFAULT_MESSAGES = {
    404: "Cette page n’existe pas. Reprenez depuis l’accueil ou lancez une recherche.",
    405: "Cette adresse ne répond qu’aux requêtes GET.",
    500: "Erreur interne du serveur.",
}


class ParamError(ValueError):
    """A URL parameter the web layer cannot turn into an engine argument (becomes a 400)."""


def wants_json(path: str | None = None) -> bool:
    """Whether an error on this path should be JSON rather than an HTML page."""
    path = request.path if path is None else path
    return path.startswith(JSON_PREFIXES)


def render_error(code: int, message: str, *, title: str | None = None) -> Response:
    """The error as JSON for API paths, else as a French HTML page; status `code`."""
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        from .params import SearchParams

        # Keep what the reader typed in the search box, so a bad filter is one edit away.
        typed = request.args.get("q", "")[:200] if request.path.startswith("/search") else ""
        html = render_template(
            "error.html",
            code=code,
            title=title or TITLES.get(code, "Erreur"),
            message=message,
            no_index=code == 503 and title is None,
            params=SearchParams(q=typed),
        )
        response = Response(html, mimetype="text/html")
    response.status_code = code
    return response
