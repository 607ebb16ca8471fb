import asyncio

from matrix_social.locks import KeyedLocks


async def test_one_holder_per_key_in_arrival_order_and_forgotten_after():
    locks = KeyedLocks()
    order: list[str] = []

    async def work(key: str, name: str) -> None:
        async with locks.hold(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(work("a", "first"), work("a", "second"), work("b", "other"))
    assert order.index("first out") < order.index("second in")
    assert order.index("other in") < order.index("first out")  # another key runs alongside
    assert len(locks) == 0 and not locks.locked("a")


async def test_a_cancelled_waiter_releases_its_place():
    locks = KeyedLocks()
    held = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("k"):
            held.set()
            await asyncio.sleep(0.05)

    async def waiter() -> None:
        async with locks.hold("k"):
            pass

    first = asyncio.create_task(holder())
    await held.wait()
    second = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    second.cancel()
    await asyncio.gather(first, second, return_exceptions=True)
    assert len(locks) == 0
