"""The SQL client: templates rendered and run through one port, engine errors translated.

A step is rendered from the dialect's templates (project ``sql/`` first) with the state
tables' names, and run as its statements in order (a dialect may run one step as
several). Each statement goes to the :class:`~sinks.sql.recording.Port`: on the engine
it is logged at DEBUG (secrets redacted) and sent with the sink's ``query``; an engine
error becomes a loader error through the sink's ``translate``. ``loaders compile`` swaps
in the :class:`~sinks.sql.recording.Recorder` (:meth:`SqlClient.recording`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from manifests import LoaderError
from manifests.secrets import redact
from sinks.base import Answer
from sinks.sql.recording import ENGINE, Port, Recorded, Recorder, Rows
from sinks.sql.templates import Templates

log = logging.getLogger("loaders.sql")


class SqlClient:
    """Renders and runs the steps of one sink (``name``) against its engine."""

    def __init__(
        self,
        name: str,
        templates: Templates,
        names: Mapping[str, Any],
        statements: Mapping[str, tuple[str, ...]],
        query: Callable[[str], Rows],
        translate: Callable[[Exception, str], LoaderError],
        renderer: Callable[..., str] | None = None,
    ) -> None:
        self.name = name
        self.templates = templates
        #: what every template may name: the state tables and their schema
        self.names = dict(names)
        self.statements = statements
        self.query = query
        self.translate = translate
        #: how a step becomes SQL (the sink's own ``render``, which a dialect may extend)
        self.renderer = renderer or self.render
        self.port: Port = ENGINE

    def render(self, step: str, **context: Any) -> str:
        return self.templates.render(step, **self.names, **context)

    def execute(self, step: str, context: dict[str, Any]) -> Rows:
        """Run ``step``: its statements (:attr:`statements`) in order; the last one's rows."""
        rows: Rows = []
        for statement in self.statements.get(step, (step,)):
            rows = self._execute_one(statement, context)
        return rows

    def _execute_one(self, step: str, context: dict[str, Any]) -> Rows:
        sql = self.renderer(step, **context)
        return self.port.statement(step, sql, lambda: self.templates.source(step), context, self._runner(step, context))

    def _runner(self, step: str, context: dict[str, Any]) -> Callable[[str], Rows]:
        def run(sql: str) -> Rows:
            log.debug("sink=%s load_id=%s step=%s\n%s", self.name, context.get("load_id", "-"), step, redact(sql))
            try:
                return self.query(sql)
            except LoaderError:
                raise
            except Exception as exc:
                raise self.translate(exc, step) from exc

        return run

    def ask(self, question: str, context: dict[str, Any], compute: Callable[[], list[Any]]) -> list[Any]:
        """A question answered in Python rather than SQL, through the port."""
        return self.port.ask(question, context, compute)

    def effect(self, do: Callable[[], object]) -> None:
        """A side effect of a load (written, checked, remembered), through the port."""
        self.port.effect(do)

    @contextlib.contextmanager
    def recording(self, answer: Answer) -> Iterator[list[Recorded]]:
        """Render instead of run: every statement is kept, in order, and answered by
        ``answer`` instead of the engine, as is every question; side effects are skipped."""
        recorder = Recorder(answer)
        saved, self.port = self.port, recorder
        try:
            yield recorder.kept
        finally:
            self.port = saved
