"""A sequence held packed, a batch at a time: how a plan holds a first sync's million changes.

A first sync plans about 500 changes a person (a year of working hours), 1.0 KiB each as Python objects: a
million at 2,000 people, more than the records read. `Packed` keeps them as batches of `BATCH` items, each
pickled and compressed (about 40 bytes a change), and the last batch open as a list; iterating unpacks one
batch at a time. A plan of fewer than `BATCH` changes (every steady-state run) is never packed: it is the
list it was. It is read-only once made (`Packed.of`, or `append` while a plan is built).

Pickle reads only what this process pickled itself, in memory: nothing read from a file or a service.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar, overload

T = TypeVar("T")

BATCH = 4096  # items a batch: 4 MiB of changes unpacked at a time, at most (tests make it smaller)
LEVEL = 1  # zlib's fastest: 36 bytes a change measured, against 31 at level 6 for three times the CPU


class Packed(Sequence[T]):
    """Items in order, the full batches packed."""

    __slots__ = ("_batch", "_packed", "_open", "_length", "_unpacked")

    def __init__(self, items: Iterable[T] = (), *, batch: int | None = None) -> None:
        self._batch = batch or BATCH
        self._packed: list[bytes] = []
        self._open: list[T] = []
        self._length = 0
        self._unpacked: tuple[int, list[T]] | None = None  # the batch last read by index
        self.extend(items)

    def append(self, item: T) -> None:
        self._open.append(item)
        self._length += 1
        if len(self._open) >= self._batch:
            self._packed.append(zlib.compress(pickle.dumps(self._open, pickle.HIGHEST_PROTOCOL), LEVEL))
            self._open = []

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.append(item)

    @property
    def packed(self) -> int:
        """How many batches are packed (0: the items are held as they are)."""
        return len(self._packed)

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return self._length > 0

    def __iter__(self) -> Iterator[T]:
        for number in range(len(self._packed)):
            yield from self._batch_at(number)
        yield from tuple(self._open)

    def _batch_at(self, number: int) -> list[T]:
        if self._unpacked is not None and self._unpacked[0] == number:
            return self._unpacked[1]
        items: list[T] = pickle.loads(zlib.decompress(self._packed[number]))
        return items

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        position = index + self._length if index < 0 else index
        if not 0 <= position < self._length:
            raise IndexError("Packed index out of range")
        number, within = divmod(position, self._batch)
        if number == len(self._packed):
            return self._open[within]
        if self._unpacked is None or self._unpacked[0] != number:
            self._unpacked = number, self._batch_at(number)
        return self._unpacked[1][within]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(mine == theirs for mine, theirs in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal to a tuple of the same items, so not hashable

    def __iadd__(self, items: Iterable[T]) -> Packed[T]:
        self.extend(items)
        return self

    def __add__(self, other: Iterable[T]) -> tuple[T, ...]:
        return (*self, *other)

    def __radd__(self, other: Iterable[T]) -> tuple[T, ...]:
        return (*other, *self)

    def __repr__(self) -> str:  # never the items: a first sync's are a million
        return f"Packed({self._length} items, {len(self._packed)} batches packed)"


class Where(Sequence[T]):
    """The items of `items` that `keep` keeps, in order, read as they are asked for: what outputs meant to be
    shared list of a first sync's packed changes, without a copy of them. `length`: how many it keeps."""

    __slots__ = ("_items", "_keep", "_length")

    def __init__(self, items: Sequence[T], keep: Callable[[T], bool], length: int) -> None:
        self._items, self._keep, self._length = items, keep, length

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[T]:
        return (item for item in self._items if self._keep(item))

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        return tuple(self)[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(mine == theirs for mine, theirs in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Where({self._length} of {len(self._items)} items)"
