"""Answers to the homeserver's user and alias queries.

mautrix turns a falsy answer into 404, so "it exists" must be a non-empty object; homeservers
only look at the status code.
"""

EXISTS = {"exists": True}
