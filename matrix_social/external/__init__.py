"""The external platforms' wing, shaped like matrix-hookshot's Connections: one interface
(platform.py), each platform one module in platforms/ declaring everything about itself, and
the machinery every platform shares: connecting (login, grants, tokens), reading (polling,
bridging into portal rooms as puppets), and cross-posting (listening to Posts, delivering)."""
