"""A private event loop in a thread of its own, for the async Graph SDK.

The MailGateway port is synchronous and is called from many worker threads;
the msgraph SDK is async and wants one client per event loop. One loop per
GraphMailbox, started on first use, serves every thread: the per-mailbox
semaphores live on it, so the concurrency limit holds across threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from mailroom.errors import RetryableError

T = TypeVar("T")

CLOSE_TIMEOUT = 10.0


class LoopThread:
    """Run coroutines on one event loop in a daemon thread."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run `coroutine` on the loop and wait for its result."""
        loop = self._started()
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("a Graph call cannot wait on its own event loop")

        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise RetryableError(
                f"a Graph call took longer than {timeout:.0f} s; if it keeps "
                "happening, check the network path to Graph"
            ) from exc

    def close(self, cleanup: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run `cleanup` on the loop, then stop the loop and its thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return

        if cleanup is not None:
            done = asyncio.run_coroutine_threadsafe(_awaited(cleanup), loop)
            done.result(CLOSE_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(CLOSE_TIMEOUT)
        loop.close()

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name=self._name, daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop


async def _awaited(cleanup: Callable[[], Awaitable[None]]) -> None:
    await cleanup()
