"""External platforms (X, Mastodon, GitHub, Instagram): one adapter each behind one interface
(base.py), OAuth with authlib, tokens encrypted at rest, polling, formatting, cross-posting."""
