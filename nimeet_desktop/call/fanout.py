"""One producer, many consumers, each with a small queue of its own, so a slow consumer never stalls the others."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Subscription(Generic[T]):
    """A consumer's view. ``get()`` returns ``None`` once the producer ended or the subscription was closed."""

    def __init__(self, fanout: FanOut[T], maxsize: int) -> None:
        self._fanout = fanout
        self._items: deque[T] = deque()
        self._maxsize = maxsize
        self._ready = asyncio.Event()
        self.closed = False
        self.dropped = 0

    def _put(self, item: T) -> bool:
        """Queue an item; False when the queue overflowed (the oldest items were dropped to make room)."""
        overflow = len(self._items) >= self._maxsize
        if overflow:
            self.dropped += len(self._items)
            self._items.clear()
        self._items.append(item)
        self._ready.set()
        return not overflow

    def _end(self) -> None:
        self.closed = True
        self._ready.set()

    async def get(self) -> T | None:
        while not self._items:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def close(self) -> None:
        if not self.closed:
            self._end()
            self._fanout._unsubscribe(self)


class FanOut(Generic[T]):
    def __init__(self) -> None:
        self._subscriptions: list[Subscription[T]] = []
        self.ended = False

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def subscribe(self, maxsize: int) -> Subscription[T]:
        subscription = Subscription(self, maxsize)
        if self.ended:
            subscription._end()
        else:
            self._subscriptions.append(subscription)
        return subscription

    def _unsubscribe(self, subscription: Subscription[T]) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def publish(self, item: T) -> list[Subscription[T]]:
        """Hand ``item`` to every subscriber; returns those that had to drop older items to take it."""
        return [s for s in self._subscriptions if not s._put(item)]

    def end(self) -> None:
        """No more items: every subscriber's ``get()`` returns ``None`` once drained. Idempotent."""
        self.ended = True
        for subscription in self._subscriptions:
            subscription._end()
        self._subscriptions.clear()
