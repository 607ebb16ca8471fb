"""SQL: the index of social events and the bridge's own state. One module per table."""

from .upgrade import upgrade_table

__all__ = ["upgrade_table"]
