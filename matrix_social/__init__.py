"""matrix-social: a Matrix application service that turns a homeserver into a social network."""

__version__ = "0.1.0"
