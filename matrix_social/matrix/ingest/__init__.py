"""The index: one set of rules for every event, a writer that batches within an appservice
transaction, and a quarantine for events that can never be indexed."""

from .ingest import Ingest
from .quarantine import Quarantine
from .rules import IndexRules

__all__ = ["Ingest", "IndexRules", "Quarantine"]
