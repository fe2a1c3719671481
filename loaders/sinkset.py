"""The sinks a run loads into: the configured ones (or the one ``--sink`` chose), each
opened on first use and closed together."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from loaders.config import DatasetConfig
from sinks import Sink


class OpenSinks(Mapping[str, Sink]):
    """Sinks by name, opened by ``new_sink`` when first looked up. Only the chosen names
    are in it: a dataset's sinks here are :meth:`of` it."""

    def __init__(self, names: Sequence[str], new_sink: Callable[[str], Sink]) -> None:
        self._names = tuple(names)
        self._new_sink = new_sink
        self._opened: dict[str, Sink] = {}

    def __getitem__(self, name: str) -> Sink:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._opened:
            self._opened[name] = self._new_sink(name)
        return self._opened[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def of(self, dataset: DatasetConfig) -> list[str]:
        """The dataset's sinks among these, in the dataset's order."""
        return [s for s in dataset.sinks if s in self._names]

    def close(self) -> None:
        """Close every sink opened so far; a later lookup opens it again."""
        for sink in self._opened.values():
            sink.close()
        self._opened.clear()
