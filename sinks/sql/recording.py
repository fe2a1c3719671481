"""The one port a SQL sink's statements and questions go through, and its two ends.

A load runs statements (rendered templates) and asks questions it answers in Python (a
file's columns, the rows it streamed, whether the database file exists). Both go through
a :class:`Port`:

    Engine     runs a statement on the connection, computes an answer, does a side effect
    Recorder   what ``loaders compile`` swaps in: keeps each statement (:class:`Recorded`),
               answers statements and questions alike from fixed answers (:data:`Answer`),
               and skips side effects (a COPY manifest written, a file's columns checked)

So the load logic itself decides what is compiled, and never asks which port it has.
:func:`sample_answers` are the fixed answers every SQL sink gives a recording; a sink whose
engine answers more (Snowflake's COPY) extends them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sinks.base import Answer, CompileSample
from sinks.rules import FILE_COLUMN

Rows = list[tuple[Any, ...]]
#: the state tables a database holds once loaders has written to it
STATE_TABLES = ("partitions", "manifests", "schemas")


@dataclass(frozen=True)
class Recorded:
    """One statement a load would run, in order (``loaders compile``)."""

    step: str
    sql: str
    template: str


class Port(Protocol):
    """Where a client's statements, questions and side effects go."""

    def statement(
        self, step: str, sql: str, template: Callable[[], str], context: dict[str, Any], run: Callable[[str], Rows]
    ) -> Rows:
        """Run ``sql`` (the rendered ``step``) with ``run``, or keep it and answer."""
        ...

    def ask(self, question: str, context: dict[str, Any], compute: Callable[[], list[Any]]) -> list[Any]:
        """The answer to ``question``: computed, or a fixed answer."""
        ...

    def effect(self, do: Callable[[], object]) -> None:
        """Do something beside the statements (write a file, check one, remember a fact)."""
        ...


class Engine:
    """The port of a real load: everything runs."""

    def statement(
        self, step: str, sql: str, template: Callable[[], str], context: dict[str, Any], run: Callable[[str], Rows]
    ) -> Rows:
        return run(sql)

    def ask(self, question: str, context: dict[str, Any], compute: Callable[[], list[Any]]) -> list[Any]:
        return compute()

    def effect(self, do: Callable[[], object]) -> None:
        do()


ENGINE = Engine()


class Recorder:
    """The port of ``loaders compile``: statements kept in order and answered by
    ``answer``, questions answered by it too, side effects skipped. Nothing connects."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.kept: list[Recorded] = []

    def statement(
        self, step: str, sql: str, template: Callable[[], str], context: dict[str, Any], run: Callable[[str], Rows]
    ) -> Rows:
        self.kept.append(Recorded(step, sql, template()))
        return self.answer(step, context)

    def ask(self, question: str, context: dict[str, Any], compute: Callable[[], list[Any]]) -> list[Any]:
        return self.answer(question, context)

    def effect(self, do: Callable[[], object]) -> None:
        pass


def sample_answers(sample: CompileSample) -> Answer:
    """The engine's side of a recorded load: state and target (with the sample's target
    columns) there or not, staging finding the sample's columns, duplicate keys assumed
    (so the de-duplicating MERGE shows) and no NULL key. ``sample.legacy``: the state holds
    a manifest by that absolute URL, as versions before manifests were known by their keys
    wrote, so the load rewrites the state's manifests as keys (``keys_to_migrate``)."""
    exists, counts = sample.exists, sample.counts
    replies: dict[str, Rows] = {
        "state_tables": [(t,) for t in STATE_TABLES] if exists else [],
        "describe": [*sample.columns, (FILE_COLUMN, "VARCHAR")],
        "staged_counts": list(counts),
        "target_columns": [(n,) for n in dict.fromkeys([*(c for c, _t in sample.target), *sample.fields])]
        if exists
        else [],
        "keys_to_migrate": [(True,)] if sample.legacy else [],
    }

    def answer(step: str, context: dict[str, Any]) -> Rows:
        if step == "add_column":  # the target has it from now on, as the engine's would
            replies["target_columns"] = [*replies["target_columns"], (context["column"],)]
        if step == "staged_counts":  # and a value in every text column it asks about
            return [(path, n, *([max(n, 1)] * len(context.get("text_columns", [])))) for path, n in counts]
        if step == "applied" and sample.legacy:
            return [(key, sample.legacy, "<version>") for key in context["partition_keys"]]
        if step == "states" and context.get("partition_keys"):  # reset: a failed partition
            key = context["partition_keys"][0]
            return [(context["dataset"], key, "failed", 10, 1, 2, "<error>", sample.load_id, sample.now, sample.now)]
        if step == "duplicate_keys":  # keys repeat; no row is NULL in any key column
            return [(True, *[0] * len(context["keys"]))]
        return replies.get(step, [])

    return answer
