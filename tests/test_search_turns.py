"""A server process's searches take turns one at a time, except that one using much CPU lets the next start."""

from __future__ import annotations

import threading
import time

import anyio

from web import worker_start


def in_own_loop(main):
    """``anyio.run(main)`` on a thread of its own: an earlier test of the run (a sync Playwright or TestClient)
    may leave an event loop marked as running on this one, where ``anyio.run`` refuses to start."""
    result: list = []
    failure: list = []

    def run() -> None:
        try:
            result.append(anyio.run(main))
        except BaseException as exc:  # noqa: BLE001 - re-raised on the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def burn(seconds: float) -> None:
    """CPU work under the GIL, as a search of very common words is (``seconds`` of this thread's CPU)."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        sum(range(200))


def test_a_slow_search_lets_the_next_one_start():
    finished: list[str] = []

    async def main() -> float:
        async def search(name: str, work) -> None:
            await worker_start.run_search(work)
            finished.append(name)

        async with anyio.create_task_group() as group:
            group.start_soon(search, "slow", lambda: burn(0.6))
            await anyio.sleep(0.01)
            started = time.perf_counter()
            group.start_soon(search, "quick", lambda: burn(0.002))
            while "quick" not in finished:
                await anyio.sleep(0.005)
            return time.perf_counter() - started

    waited = in_own_loop(main)
    # the quick search ran beside the slow one, not after all of it
    assert finished == ["quick", "slow"]
    assert waited < 0.4, waited


def test_searches_that_wait_without_using_cpu_still_take_their_turns():
    running, most = [0], [0]
    lock = threading.Lock()

    def search() -> None:  # waiting (for a core, a lock, the disk) is not what lets the next one start
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.08)
        with lock:
            running[0] -= 1

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(worker_start.run_search, search)

    started = time.perf_counter()
    in_own_loop(main)
    assert most[0] == 1
    assert time.perf_counter() - started >= 4 * 0.08
