"""The event content of the public schema: what users may write in a field, how our events
are composed, and how any client's events are read back. Used by ingest and by the rules."""
