"""The index: one set of rules for every event, a writer that batches within an appservice
transaction, a fence for our own follows in flight, and a quarantine for events that can never
be indexed."""

from .follow_fence import FollowFence
from .ingest import Ingest
from .quarantine import Quarantine, QuarantineLimits
from .rules import IndexRules

__all__ = ["FollowFence", "Ingest", "IndexRules", "Quarantine", "QuarantineLimits"]
