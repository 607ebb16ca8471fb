"""Matrix side: appservice transactions, ingest into the index, rooms and intents."""
