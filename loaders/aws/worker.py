"""What a Lambda invocation does: deliveries in, loads run, each delivery judged.

A delivery (SNS record, SQS message, or an EventBridge event invoking the function) ends in one of three ways:

    done        every unit loaded or skipped (a re-delivery finds nothing new: the load
                state decides, not a cache in this container)
    terminal    a unit failed and retrying cannot help (bad manifest, missing file...):
                the record goes to the dead-letter queue with the reason, and the
                handler returns normally so AWS does not retry it
    transient   a unit failed and may succeed later (a lock, throttling, the network):
                SQS gets the message id in ``batchItemFailures``; SNS and EventBridge
                (asynchronous invocations, retried by Lambda) get an exception

Units that loaded before a failure stay loaded; the retry finds them applied.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from loaders.aws.dlq import DeadLetterQueue, Letter, Received
from loaders.aws.events import ManifestRequest, Message, PartitionRequest, messages
from loaders.config import Config, DatasetConfig
from loaders.freshness import Lag
from loaders.outcome import Outcome, as_failure, failure_outcome
from loaders.runner import Runner
from manifests import ConfigError, LoaderError, ManifestError, TerminalError, TransientError
from manifests.secrets import redact_all

#: JSON lines in Lambda (Powertools' Logger configures the ``loaders`` logger), plain
#: lines on stderr from the command line.
logger = logging.getLogger("loaders.aws")

#: Called with each delivery's outcomes and seconds spent: the Lambda's metrics.
Observer = Callable[[Sequence[Outcome], float], None]


@dataclass(frozen=True)
class Verdict:
    outcomes: tuple[Outcome, ...]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action == "failed"]

    @property
    def transient(self) -> bool:
        return any(o.transient for o in self.failed)

    @property
    def terminal(self) -> bool:
        return bool(self.failed) and not self.transient


class Worker:
    """Loads what deliveries ask for. ``dataset``/``sink`` scope a deployment to one
    dataset and one sink (``LOADERS_DATASET``/``LOADERS_SINK``, set by the Terraform
    module): requests for others are skipped, so one topic and one loaders.toml can
    serve several functions, each with its own role, package and concurrency."""

    def __init__(
        self, config: Config, observe: Observer | None = None, dataset: str | None = None, sink: str | None = None,
        watch: Callable[[Sequence[Lag]], None] | None = None,
    ) -> None:  # fmt: skip
        if dataset is not None and dataset not in config.datasets:
            raise ConfigError(f"LOADERS_DATASET={dataset}: no such dataset in {config.source}")
        if sink is not None and sink not in config.sinks:
            raise ConfigError(f"LOADERS_SINK={sink}: no such sink in {config.source}")
        self.config = config
        self.observe = observe
        #: the sweep's freshness of each dataset that declares it, per sink (a metric)
        self.watch = watch
        self.dataset = dataset
        self.sink = sink
        url = config.aws.get("dead_letter_queue")
        self.dlq = DeadLetterQueue(url) if url else None

    # -- deliveries ---------------------------------------------------------------------

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        """Judge each delivery of an SNS, SQS or EventBridge event; see the module docstring."""
        try:
            delivered = messages(event)
        except ValueError as exc:
            raise ConfigError(f"this function is subscribed to something it cannot read: {exc}") from None
        retry: list[str] = []
        summary = {"loaded": 0, "skipped": 0, "dead_lettered": 0, "retry": 0}
        with self.runner() as runner:
            verdicts = [(message, self.process(message, runner)) for message in delivered]
        for message, verdict in verdicts:
            summary["loaded"] += sum(o.action == "loaded" for o in verdict.outcomes)
            summary["skipped"] += sum(o.action == "skipped" for o in verdict.outcomes)
            if verdict.terminal:
                try:
                    self.dead_letter(message, verdict)
                    summary["dead_lettered"] += 1
                    continue
                except LoaderError as exc:  # a queue that is gone too: the delivery must not be lost
                    logger.error(
                        "could not dead-letter the delivery; AWS will retry it",
                        extra={"message_id": message.message_id, "error": str(exc)},
                    )
            if verdict.transient or verdict.terminal:
                retry.append(message.message_id)
        summary["retry"] = len(retry)
        if delivered and delivered[0].source == "sqs":
            return {"batchItemFailures": [{"itemIdentifier": m} for m in retry]}
        if retry:
            raise TransientError(f"{len(retry)} delivery(ies) failed transiently and will be retried: {retry}")
        return summary

    def process(self, message: Message, runner: Runner | None = None) -> Verdict:
        """Run the loads a delivery asks for; never raises for a load's failure. A runner
        given is shared with the other deliveries of the invocation (sinks opened once)."""
        started = time.monotonic()
        if message.problem is not None:
            outcomes = [failure_outcome("-", None, None, ManifestError(message.problem))]
        else:
            with contextlib.nullcontext(runner) if runner is not None else self.runner() as shared:
                try:
                    outcomes = [o for request in message.requests for o in self._run(shared, request)]
                except Exception as exc:  # a ConfigError too (a sink that cannot be opened): fix it, then redrive
                    # a bug is an InternalError, terminal: the same delivery would meet it again,
                    # so it goes to the dead-letter queue with the reason, not round the retries
                    manifest = next((r.url for r in message.requests if isinstance(r, ManifestRequest)), None)
                    outcomes = [failure_outcome("-", None, None, as_failure(exc, manifest=manifest))]
        report(outcomes, message.message_id)
        if self.observe is not None:
            self.observe(outcomes, time.monotonic() - started)
        return Verdict(tuple(outcomes))

    def runner(self) -> Runner:
        return Runner(self.config, only_sink=self.sink)

    def _run(self, runner: Runner, request: ManifestRequest | PartitionRequest) -> list[Outcome]:
        if isinstance(request, PartitionRequest):
            if self.dataset not in (None, request.dataset) or (self.sink and request.sink not in (None, self.sink)):
                logger.info("skipped: another deployment's request", extra={"dataset": request.dataset})
                return []
            return self._partition(runner, request)
        found = runner.match(runner.store.resolve(request.url))
        if found is None and request.notified:
            logger.info("skipped: the key matches no dataset's manifests pattern", extra={"manifest": request.url})
            return []
        dataset = found[0] if found is not None else None  # a direct request: its own keys may name it
        if self.dataset is not None and dataset is not None and dataset.name != self.dataset:
            logger.info("skipped: another deployment's dataset", extra={"manifest": request.url})
            return []
        if dataset is not None and not runner.sink_names(dataset):
            logger.info("skipped: the dataset does not load into this sink", extra={"manifest": request.url})
            return []
        return runner.load([request.url])

    def _partition(self, runner: Runner, request: PartitionRequest) -> list[Outcome]:
        from loaders.executor import execute
        from loaders.planner import Planner, Reprocess

        dataset = self.config.datasets.get(request.dataset)
        if dataset is None:
            raise ManifestError(f"dataset {request.dataset!r} is not configured in {self.config.source}")
        if dataset.partition_from == "files":  # one LIST of a partition's folder cannot find its manifests
            raise ManifestError(
                f'{dataset.name} takes its partitions from its files (partition_from = "files"): a partition'
                " request cannot find their manifests; send the manifest instead"
            )
        partition = dataset.partition_of(request.partition, "the request's partition")
        sinks = runner.sink_names(dataset)
        if request.sink is not None:
            if request.sink not in sinks:
                raise ManifestError(f"sink {request.sink!r} is not one of {dataset.name}'s sinks {sinks}")
            sinks = [request.sink]
        planner = Planner(runner.store, runner.sinks)
        plan = planner.decide_all(dataset, planner.views(dataset, [partition], sinks), Reprocess(request.reprocess))
        outcomes, _interrupted = execute(runner, plan)
        busy = {o.sink for o in outcomes}
        idle = [
            Outcome(s, dataset.name, partition.key, "skipped", reason="nothing new") for s in sinks if s not in busy
        ]
        return outcomes + idle

    def dead_letter(self, message: Message, verdict: Verdict) -> None:
        first = verdict.failed[0]
        manifest = next((r.url for r in message.requests if isinstance(r, ManifestRequest)), None)
        errors = list(dict.fromkeys(f"{o.sink}: {o.error}" if o.sink != "-" else str(o.error) for o in verdict.failed))
        letter = Letter(
            record=message.record,
            source=message.source,
            message_id=message.message_id,
            error_class=first.error_class or "TerminalError",
            error="; ".join(errors),
            dataset=first.dataset,
            partition=first.partition,
            manifest=manifest,
            sink=first.sink if first.sink != "-" else None,
        )
        self.send(letter)

    def send(self, letter: Letter) -> None:
        if self.dlq is None:
            logger.error(
                "terminal failure and no [aws] dead_letter_queue configured: it stays in this log and the state",
                extra={"error_class": letter.error_class, "error": letter.error},
            )
            return
        self.dlq.send(letter)
        logger.warning(
            "sent to the dead-letter queue",
            extra={"error_class": letter.error_class, "error": letter.error, "dataset": letter.dataset},
        )

    # -- the schedule -------------------------------------------------------------------

    def sweep(self) -> dict[str, Any]:
        """Each dataset over its own lookback, into each of its sinks."""
        started = time.monotonic()
        from datetime import UTC, datetime

        from loaders.executor import execute
        from loaders.planner import Planner, Reprocess, Window

        chosen = [d for d in self.config.datasets.values() if self.dataset in (None, d.name)]
        # failed partitions are retried with backoff, up to each dataset's max_attempts
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.runner() as runner:
            planner = Planner(runner.store, runner.sinks)
            plan, notes = planner.plan_windows(chosen, Window.lookback, Reprocess.MISSING, now)
            for note in notes:
                logger.info(note)
            outcomes, _interrupted = execute(runner, plan)
            if self.watch is not None:
                self.watch(self._lags(runner, chosen))
        report(outcomes, None)
        if self.observe is not None:
            self.observe(outcomes, time.monotonic() - started)
        failed = [o for o in outcomes if o.action == "failed"]
        if any(o.transient for o in failed):
            raise TransientError(f"{len(failed)} unit(s) of the sweep failed; the next sweep retries them")
        return redact_all({"units": [o.as_json() for o in outcomes], "failed": len(failed)})  # Lambda's answer

    @staticmethod
    def _lags(runner: Runner, chosen: Sequence[DatasetConfig]) -> list[Lag]:
        """The freshness of the chosen datasets that declare it, after the sweep's loads."""
        from loaders.report.freshness import lags

        sinks = runner.chosen_sinks()
        watched = {d.name for d in chosen if d.freshness is not None}
        states = [(name, s) for name, sink in sinks for d in watched for s in sink.states(d)]
        return lags(chosen, states, [name for name, _sink in sinks])

    # -- the dead-letter queue, by a person ---------------------------------------------

    def redrive(self, limit: int) -> list[tuple[Received, str]]:
        """Reload what the queue holds: delete each letter whose load now succeeds, send
        back those that still fail (one more attempt, the new reason)."""
        if self.dlq is None:
            raise ConfigError(f"{self.config.source}: no [aws] dead_letter_queue configured")
        done: list[tuple[Received, str]] = []
        with self.runner() as runner:  # one for every letter: each sink is opened once, not per letter
            for received in self.dlq.take(limit):
                done.append((received, self._redrive_one(received, runner)))
        return done

    def _redrive_one(self, received: Received, runner: Runner) -> str:
        """What became of one letter: deleted once it loads, sent back while it still fails."""
        assert self.dlq is not None
        letter = received.letter
        try:
            [message] = messages(letter.event())
        except (ValueError, KeyError) as exc:
            self.dlq.release(received)
            return f"kept: record unreadable ({exc})"
        verdict = self.process(message, runner)
        if verdict.transient:
            self.dlq.release(received)
            return f"kept: {verdict.failed[0].error}"
        if verdict.terminal:
            first = verdict.failed[0]
            self.dlq.send(letter.retried(first.error_class or "TerminalError", str(first.error)))
            self.dlq.delete(received)
            return f"still failing: {first.error}"
        self.dlq.delete(received)
        return f"loaded ({sum(o.rows for o in verdict.outcomes)} rows); deleted"


def report(outcomes: Sequence[Outcome], message_id: str | None) -> None:
    """One log line per unit, its fields as keys."""
    for o in outcomes:
        fields: dict[str, Any] = {
            "sink": o.sink,
            "dataset": o.dataset,
            "partition": o.partition,
            "action": o.action,
            "rows": o.rows,
            "manifests": o.manifests,
            "load_id": o.load_id,
        }
        if message_id is not None:
            fields["message_id"] = message_id
        if o.action == "failed":
            fields.update(error_class=o.error_class, error=o.error, transient=o.transient)
            logger.error("unit failed", extra=fields)
        else:
            logger.info(f"unit {o.action}", extra=fields)


__all__ = ["TerminalError", "Verdict", "Worker"]
