"""After refusing transactions, the service asks Synapse to deliver again (MSC2659 ping)
instead of waiting out Synapse's doubling backoff (up to 8.5 minutes, with every to-device
event for us dropped meanwhile)."""

from __future__ import annotations

import asyncio

from matrix_social.matrix.ingest import ingest as ingest_module

from .harness import api_ok, appservice_not_down, eventually


async def test_refused_transactions_are_asked_for_again_once_the_cause_is_gone(
        stack, monkeypatch):
    alice, feed = await _alice_with_a_feed_delivered_normally(stack)
    recovery = stack.bridge.services.delivery_recovery
    pings_before = recovery.pings
    real_write = ingest_module.write_batch
    refusing = asyncio.Event()
    refusing.set()
    refused: list[str] = []

    async def unreachable_database(db, pending, processed_txn):
        if refusing.is_set():
            refused.append(str(processed_txn))
            raise ConnectionError("the database is unreachable (test)")
        return await real_write(db, pending, processed_txn)

    monkeypatch.setattr(ingest_module, "write_batch", unreachable_database)
    sent = await stack.nio(alice).room_send(feed, "m.room.message",
                                            {"msgtype": "m.text", "body": "while it refuses"})
    await eventually(lambda: _true(len(refused) >= 2), timeout=60,
                     what="Synapse retried the refused transaction")
    assert not await appservice_not_down(stack), "Synapse marked the appservice down"
    # A quiet spell while Synapse waits out its backoff: the service asks it to deliver again
    # (each ask is answered by another refusal while the cause lasts).
    await eventually(lambda: _true(recovery.pings > pings_before), timeout=60,
                     what="the service asked Synapse to deliver again")
    refusing.clear()

    await eventually(lambda: appservice_not_down(stack), timeout=120,
                     what="Synapse delivering again")
    # What was refused is not lost: the post Synapse held is indexed.
    db = stack.bridge.services.db
    await eventually(lambda: db.fetchval("SELECT 1 FROM post WHERE event_id=$1",
                                         sent.event_id), what="the refused post indexed")


async def _alice_with_a_feed_delivered_normally(stack):
    alice = await stack.register("alice")
    feed = (await api_ok(stack, "POST", "/posts", alice, json={"text": "a feed room"}))[
        "room_id"]
    await eventually(lambda: appservice_not_down(stack), timeout=180,
                     what="Synapse delivering to the appservice (before the test)")
    return alice, feed


async def _true(value: bool) -> bool:
    return value


async def test_a_reaction_that_times_out_every_time_does_not_hold_up_the_stream(
        stack, monkeypatch):
    """A listener's call that times out on one event, every time (a remote server that never
    answers): the transaction is sent again a few times, then the event goes on without that
    reaction, and everything behind it is indexed."""
    from matrix_social.matrix.dispatch import MAX_REACTION_ATTEMPTS

    alice, feed = await _alice_with_a_feed_delivered_normally(stack)
    reaction = stack.bridge.services.bio_topic
    real_reaction = reaction.on_event
    tries: list[str] = []

    async def times_out_on_one_event(raw):
        if (raw.get("content") or {}).get("body") == "never answered":
            tries.append(raw["event_id"])
            raise TimeoutError("a call that never answers (test)")
        await real_reaction(raw)

    monkeypatch.setattr(reaction, "on_event", times_out_on_one_event)
    client = stack.nio(alice)
    stuck = await client.room_send(feed, "m.room.message",
                                   {"msgtype": "m.text", "body": "never answered"})
    after = await client.room_send(feed, "m.room.message",
                                   {"msgtype": "m.text", "body": "behind it"})
    db = stack.bridge.services.db
    # It fails the transaction MAX_REACTION_ATTEMPTS times; the next try lets the event go on.
    # (The events are indexed at the first try already: a failed reaction leaves the batch
    # written and only the transaction unmarked, so the count alone says nothing of retries.)
    await eventually(lambda: _true(len(tries) > MAX_REACTION_ATTEMPTS), timeout=180,
                     what="the transaction sent again until the reaction was given up")
    await eventually(lambda: db.fetchval("SELECT COUNT(*) = 2 FROM post WHERE event_id IN "
                                         "($1, $2)", stuck.event_id, after.event_id),
                     timeout=180, what="the stream went on past the reaction never answered")
    await eventually(lambda: appservice_not_down(stack), timeout=180,
                     what="Synapse delivering normally again")
    assert set(tries) == {stuck.event_id} and len(tries) == MAX_REACTION_ATTEMPTS + 1, tries


async def test_a_listener_that_fails_for_good_does_not_keep_the_event_from_the_others():
    from matrix_social.matrix.dispatch import EventDispatcher

    heard: list[str] = []

    class Broken:
        async def on_event(self, raw):
            raise ValueError("a bug in one reaction")

    class Index:
        async def on_event(self, raw):
            heard.append(f"index {raw['event_id']}")

    class Reaction:
        async def on_event(self, raw):
            heard.append(f"reaction {raw['event_id']}")

    dispatcher, index = EventDispatcher(), Index()
    dispatcher.subscribe(Broken(), index, Reaction(), essential=(index,))
    await dispatcher.dispatch({"event_id": "$one"})
    assert heard == ["index $one", "reaction $one"]

    class IndexDown:
        async def on_event(self, raw):
            raise ConnectionError("the database is unreachable")

    down = EventDispatcher()
    essential = IndexDown()
    down.subscribe(essential, Reaction(), essential=(essential,))
    for _ in range(5):  # the index fails the event every time: nothing it must write is lost
        try:
            await down.dispatch({"event_id": "$two"})
        except ConnectionError:
            continue
        raise AssertionError("the index's transient failure must fail the event")
