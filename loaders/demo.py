"""``loaders demo``: a travel ad network's lake, loaded into DuckDB one delivery at a time.

The demo is the first thing a new user runs and also an end-to-end check: it builds a
small, realistic lake (hourly Parquet conversions merged on ``conversion_id``, daily CSV
clicks appended), replays what production throws at a loader — a first delivery, SNS
re-delivering the same manifests, a late batch, a corrected record racing a stale one,
a broken manifest — and checks after each step that the warehouse holds what it should.
Every delivery opens its own Runner, as each Lambda invocation would. It returns 1 with
one line of explanation when an expectation fails, so ``make demo`` cannot lie.
"""

from __future__ import annotations

import functools
import json
import random
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console

from loaders.config import load_config
from loaders.outcome import Outcome
from loaders.report import print_states, print_units
from loaders.runner import Runner

SEED = 20261129
CONVERSION, CLICK = "ad_server.conversion", "ad_server.click"
TABLES = {CONVERSION: "raw.conversions", CLICK: "raw.clicks"}
FORMATS = {CONVERSION: "parquet", CLICK: "csv"}
HOURS = ("07", "08", "09")  # hourly conversion partitions per day; "10" is the broken one
ADVERTISERS = ("Lufthansa", "KLM", "Air France", "easyJet", "Iberia", "Marriott", "Hilton", "Accor", "Hertz", "Sixt")
AIRPORTS = ("FRA", "AMS", "CDG", "LHR", "MAD", "BCN", "FCO", "JFK", "LIS", "ATH", "DXB", "SIN")
PLACEMENTS = ("search_top", "search_side", "hotel_page", "flight_results", "newsletter")
DEVICES, COUNTRIES = ("mobile", "mobile", "desktop", "tablet"), ("DE", "FR", "NL", "ES", "IT", "GB", "US")
TEXT, TS = pa.string(), pa.timestamp("us")  # a naive timestamp: event_ts becomes TIMESTAMP in the warehouse
CONVERSION_FIELDS: list[tuple[str, pa.DataType]] = [
    ("conversion_id", TEXT),
    ("click_id", TEXT),
    ("campaign_id", pa.int64()),
    ("advertiser", TEXT),
    ("destination", TEXT),
    ("booking_value", pa.decimal128(12, 2)),
    ("currency", TEXT),
    ("event_ts", TS),
]
CLICK_FIELDS: list[tuple[str, pa.DataType]] = [
    ("click_id", TEXT),
    ("campaign_id", pa.int64()),
    ("placement", TEXT),
    ("device", TEXT),
    ("country", TEXT),
    ("event_ts", TS),
]
CONVERSION_SCHEMA, CLICK_SCHEMA = pa.schema(CONVERSION_FIELDS), pa.schema(CLICK_FIELDS)
CONFIG = """\
# Written by `loaders demo`: a local folder stands in for S3, DuckDB for the warehouse.
[store]
root = "./lake"

[sinks.local]
type = "duckdb"
url = "duckdb:///warehouse.duckdb"

[datasets."ad_server.conversion"]
table = "raw.conversions"
format = "parquet"
manifests = "manifests/ad_server/conversion/dt={dt}/hour={hour}/{batch}.json"
partition = ["dt", "hour"]
strategy = "merge"
keys = ["conversion_id"]
order_by = "event_ts"
lookback = "3d"

[datasets."ad_server.click"]
table = "raw.clicks"
format = "csv"
manifests = "manifests/ad_server/click/dt={dt}/{batch}.json"
partition = ["dt"]
strategy = "append"
lookback = "3d"
"""


class DemoFailed(Exception):
    """An expected behaviour did not happen; the message is the one line the user sees."""


@dataclass(frozen=True)
class Batch:
    """One producer batch: the rows behind one manifest, in one partition, split into files."""

    dataset: str
    partition: tuple[tuple[str, str], ...]
    name: str
    table: pa.Table

    @property
    def folder(self) -> str:
        return self.dataset.replace(".", "/") + "/" + self.partition_key

    @property
    def key(self) -> str:
        """The manifest's key relative to the store root, as an S3 notification names it."""
        return f"manifests/{self.folder}/{self.name}.json"

    @property
    def partition_key(self) -> str:
        return "/".join(f"{k}={v}" for k, v in self.partition)


@dataclass(frozen=True)
class DemoData:
    """Every batch the demo delivers, and what the warehouse must hold afterwards."""

    initial: tuple[Batch, ...]
    late: Batch
    correction: Batch
    bad: Batch
    corrected: dict[str, Any]  # the newer version of a conversion: it must win
    stale: dict[str, Any]  # an older version of another conversion: it must lose
    stale_original: dict[str, Any]  # ...to this row, loaded first

    def expected_rows(self) -> dict[str, int]:
        """Final row counts: each conversion once (merge), each click once (append)."""
        return rows_by_table((*self.initial, self.late))


def rows_by_table(batches: Sequence[Batch]) -> dict[str, int]:
    """Rows per target table when each batch's rows land exactly once."""
    return {t: sum(b.table.num_rows for b in batches if TABLES[b.dataset] == t) for t in TABLES.values()}


def generate(today: date) -> DemoData:
    """The demo's data set: seeded, so row counts never change; dates end on ``today``."""
    rng = random.Random(SEED)
    days = [today - timedelta(days=n) for n in (2, 1, 0)]
    initial: list[Batch] = []
    clicks: dict[date, list[dict[str, Any]]] = {}
    for day in days:
        clicks[day] = [_click(rng, day) for _ in range(rng.randint(450, 650))]
        initial.append(_batch(day, None, "batch-0001", clicks[day]))
        for hour in HOURS:
            rows = [_conversion(rng, day, hour, rng.choice(clicks[day])) for _ in range(rng.randint(120, 220))]
            initial.append(_batch(day, hour, "batch-0001", rows))
    late = [_conversion(rng, days[0], HOURS[2], rng.choice(clicks[days[0]])) for _ in range(37)]
    fixed = next(b for b in initial if b.partition_key == f"dt={days[1]}/hour={HOURS[1]}").table.to_pylist()
    corrected = {
        **fixed[0],
        "booking_value": (fixed[0]["booking_value"] * Decimal("0.85")).quantize(Decimal("0.01")),
        "event_ts": fixed[0]["event_ts"] + timedelta(hours=3),
    }  # partial refund, booked later
    stale = {
        **fixed[1],
        "booking_value": fixed[1]["booking_value"] + Decimal("100.00"),
        "event_ts": fixed[1]["event_ts"] - timedelta(minutes=45),
    }  # a quote superseded long ago
    bad = [_conversion(rng, days[2], "10", rng.choice(clicks[days[2]])) for _ in range(60)]
    return DemoData(
        initial=tuple(initial),
        late=_batch(days[0], HOURS[2], "late-0001", late),
        correction=_batch(days[1], HOURS[1], "correction-0001", [corrected, stale]),
        bad=_batch(days[2], "10", "batch-0001", bad),
        corrected=corrected,
        stale=stale,
        stale_original=fixed[1],
    )


def _batch(day: date, hour: str | None, name: str, rows: list[dict[str, Any]]) -> Batch:
    """A daily click batch (no hour) or an hourly conversion batch."""
    if hour is None:
        return Batch(CLICK, (("dt", day.isoformat()),), name, pa.Table.from_pylist(rows, CLICK_SCHEMA))
    table = pa.Table.from_pylist(rows, CONVERSION_SCHEMA)
    return Batch(CONVERSION, (("dt", day.isoformat()), ("hour", hour)), name, table)


def _click(rng: random.Random, day: date) -> dict[str, Any]:
    campaign = 1000 + rng.randrange(40)
    return {
        "click_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "campaign_id": campaign,
        "placement": rng.choice(PLACEMENTS),
        "device": rng.choice(DEVICES),
        "country": rng.choice(COUNTRIES),
        "event_ts": datetime(day.year, day.month, day.day) + timedelta(seconds=rng.randrange(7 * 3600)),
    }


def _conversion(rng: random.Random, day: date, hour: str, click: dict[str, Any]) -> dict[str, Any]:
    campaign = click["campaign_id"]
    return {
        "conversion_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "click_id": click["click_id"],
        "campaign_id": campaign,
        "advertiser": ADVERTISERS[campaign % len(ADVERTISERS)],
        "destination": rng.choice(AIRPORTS),
        "booking_value": Decimal(rng.randint(3_500, 180_000)).scaleb(-2),
        "currency": rng.choice(("EUR", "EUR", "USD", "GBP")),
        "event_ts": datetime(day.year, day.month, day.day, int(hour)) + timedelta(seconds=rng.randrange(3600)),
    }


def write_batch(lake: Path, batch: Batch, *, truncate: bool = False) -> str:
    """Write a batch as a producer does: two data files, then the manifest naming them.

    With ``truncate`` the second file loses its tail after the manifest recorded its
    size, like an upload cut short, so the manifest's content_length no longer matches.
    """
    fmt = FORMATS[batch.dataset]
    folder = lake / "data" / batch.folder
    folder.mkdir(parents=True, exist_ok=True)
    first = len(list(folder.iterdir()))  # a later batch adds files beside the earlier ones
    half, entries = batch.table.num_rows // 2, []
    for n, part in enumerate((batch.table.slice(0, half), batch.table.slice(half)), start=first):
        path = folder / f"part-{n}.{fmt}"
        if fmt == "parquet":
            pq.write_table(part, path)
        else:
            pacsv.write_csv(part, path)
        entries.append(
            {
                "url": str(path.relative_to(lake)),
                "mandatory": True,
                "meta": {"content_length": path.stat().st_size, "record_count": part.num_rows},
            }
        )
    if truncate:
        with path.open("r+b") as fh:
            fh.truncate(path.stat().st_size // 2)
    doc = {"entries": entries, "dataset": batch.dataset, "partition": dict(batch.partition), "format": fmt}
    (lake / batch.key).parent.mkdir(parents=True, exist_ok=True)
    (lake / batch.key).write_text(json.dumps(doc, indent=2))
    return batch.key


def reset(root: Path) -> None:
    """Remove what an earlier demo left here (only the demo's own files), then write the config."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(root / "lake", ignore_errors=True)
    for path in [root / "loaders.toml", *root.glob("warehouse.duckdb*")]:
        path.unlink(missing_ok=True)
    (root / "loaders.toml").write_text(CONFIG)


def deliver(root: Path, refs: Sequence[str], step: str, action: str) -> list[Outcome]:
    """One delivery through its own Runner, as one Lambda invocation; prints and checks the units."""
    with Runner(load_config(str(root / "loaders.toml"))) as runner:
        outcomes = runner.load(list(refs))
    print_units(outcomes, False)
    expect(bool(outcomes), f"{step}: the runner reported no units at all")
    for o in outcomes:
        expect(
            o.action == action,
            f"{step}: {o.dataset} {o.partition} was {o.action}, expected {action} ({o.error or o.reason})",
        )
    return outcomes


def query(root: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the warehouse directly, with every Runner closed (DuckDB allows one writer)."""
    import duckdb

    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def counts(root: Path, step: str, expected: dict[str, int]) -> dict[str, int]:
    """Row counts per table, which must be ``expected`` after ``step``."""
    tables = list(TABLES.values())
    found = query(root, "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables))[0]
    now = dict(zip(tables, map(int, found), strict=True))
    expect(now == expected, f"{step}: the tables hold {now} rows, expected {expected}")
    return now


def version_of(root: Path, row: dict[str, Any]) -> tuple[Decimal, datetime]:
    """(booking_value, event_ts) of ``row``'s conversion, which must be in the table once."""
    found = query(
        root, "SELECT booking_value, event_ts FROM raw.conversions WHERE conversion_id = ?", row["conversion_id"]
    )
    expect(len(found) == 1, f"conversion {row['conversion_id']} is in raw.conversions {len(found)} times")
    return found[0][0], found[0][1]


def expect(ok: bool, message: str) -> None:
    if not ok:
        raise DemoFailed(message)


def run_demo(directory: str | PathLike[str]) -> int:
    """Build the lake in ``directory``, replay five deliveries, check each; 0 when all behaved."""
    console = Console()
    root = Path(directory).resolve()
    started = time.perf_counter()
    reset(root)
    try:
        play(console, root, generate(datetime.now(UTC).date()))
    except DemoFailed as exc:
        console.print(f"[bold red]demo failed:[/] {exc}")
        return 1
    console.print(
        f"\n[green]Everything behaved as expected[/] in {time.perf_counter() - started:.1f} s. "
        f"Look around: [bold]loaders status --config {root / 'loaders.toml'}[/]"
    )
    return 0


def play(console: Console, root: Path, data: DemoData) -> None:
    """The five deliveries and the final status; raises DemoFailed at the first surprise."""
    lake = root / "lake"
    step = functools.partial(_step, console)

    step(
        "1. First delivery",
        f"The ad server wrote {len(data.initial)} batches over 3 days (hourly Parquet "
        f"conversions, daily CSV clicks) into {lake}; one S3 notification per manifest reaches loaders.",
    )
    refs = [write_batch(lake, b) for b in data.initial]
    deliver(root, refs, "first delivery", "loaded")
    first = counts(root, "first delivery", rows_by_table(data.initial))

    step("2. Duplicate delivery", "SNS delivers at least once: the same manifests arrive again.")
    deliver(root, refs, "duplicate delivery", "skipped")
    counts(root, "duplicate delivery", first)

    late = data.late
    step(
        "3. Late batch",
        f"{late.table.num_rows} conversions of {late.partition_key} reach S3 only now; "
        "the old partition takes the new batch beside the one it already has.",
    )
    outcomes = deliver(root, [write_batch(lake, late)], "late batch", "loaded")
    expect([o.partition for o in outcomes] == [late.partition_key], f"late batch: went to {outcomes[0].partition}")
    after_late = counts(root, "late batch", data.expected_rows())

    new, old = data.corrected, data.stale
    step(
        "4. A correction and a stale version",
        f"Conversion {new['conversion_id']} was partly refunded: "
        f"booking_value {new['booking_value']} at a newer event_ts. In the same batch, a stale version of "
        f"{old['conversion_id']} (older event_ts) turns up late. Merge keeps the newest event_ts of each.",
    )
    deliver(root, [write_batch(lake, data.correction)], "correction", "loaded")
    counts(root, "correction", after_late)
    got, kept = version_of(root, new), version_of(root, old)
    expect(got == (new["booking_value"], new["event_ts"]), f"correction: the newer version did not win ({got})")
    original = (data.stale_original["booking_value"], data.stale_original["event_ts"])
    expect(kept == original, f"correction: the stale version overwrote the newer one ({kept}, expected {original})")
    console.print(
        f"[green]✓[/] {new['conversion_id']}: {got[0]} (updated); {old['conversion_id']}: "
        f"{kept[0]} (stale {old['booking_value']} ignored)"
    )

    bad = data.bad
    step(
        "5. A broken manifest",
        f"An upload to {bad.partition_key} was cut short: its second file is smaller "
        "than the manifest's content_length says. Nothing of that manifest may be loaded.",
    )
    outcomes = deliver(root, [write_batch(lake, bad, truncate=True)], "broken manifest", "failed")
    error, cut = outcomes[0].error or "", json.loads((lake / bad.key).read_text())["entries"][-1]["url"]
    expect(bad.key in error and cut in error, f"broken manifest: the error names neither it nor {cut}: {error}")
    if console.is_terminal:  # the table above cuts long URLs short; pipes already got the whole line
        console.print(f"[red]✗[/] refused, as it should be: {outcomes[0].error_class}: {error}", soft_wrap=True)
    counts(root, "broken manifest", after_late)
    status(console, root, data)


def _step(console: Console, title: str, story: str) -> None:
    console.print()
    console.rule(f"[bold]{title}", align="left")
    console.print(story)


def status(console: Console, root: Path, data: DemoData) -> None:
    """The last step: only the broken partition failed, and the warehouse holds every row."""
    _step(console, "6. Status", "What loaders knows about every partition, and what the warehouse holds.")
    with Runner(load_config(str(root / "loaders.toml"))) as runner:
        states = runner.states()
    print_states(states, False)
    failed = sorted((s.dataset, s.partition) for _sink, s in states if s.status != "loaded")
    broken = [(CONVERSION, data.bad.partition_key)]
    expect(failed == broken, f"status: expected only the broken partition failed: {failed}")
    for table, rows in counts(root, "status", data.expected_rows()).items():
        console.print(f"  [bold]{table}[/]: {rows} rows")
