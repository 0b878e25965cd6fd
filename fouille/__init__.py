"""The `fouille` command line, above the three layers it drives.

`search` (the core), `indexer` (feeds → index) and `web` (the Flask app) never import this
package; it imports them. `cli` holds the click group and the options its commands share;
each command lives in its own module (`search_cmd`, `reindex_cmd`, `serve_cmd`).
"""
