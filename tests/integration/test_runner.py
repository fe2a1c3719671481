"""The runner end to end on a local lake and DuckDB: routing, validation, failures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from loaders.runner import Outcome, Runner
from manifests import ConfigError
from tests.conformance_rows import conversions
from tests.integration.project import Project

P8 = {"dt": "2026-11-28", "hour": "08"}
P9 = {"dt": "2026-11-28", "hour": "09"}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def run(project: Project, *refs: str, sink: str | None = None) -> list[Outcome]:
    runner = Runner(project.config(), only_sink=sink)
    try:
        return runner.load(list(refs))
    finally:
        runner.close()


def test_routes_each_manifest_to_its_dataset_and_partition(project: Project) -> None:
    a = project.lake.write(P8, "b1", conversions((1, 10), (2, 10)))
    b = project.lake.write(P9, "b1", conversions((3, 10)))
    out = run(project, a, b)
    assert sorted((o.sink, o.dataset, o.partition, o.action, o.rows) for o in out) == [
        ("local", "ad_server.conversion", "dt=2026-11-28/hour=08", "loaded", 2),
        ("local", "ad_server.conversion", "dt=2026-11-28/hour=09", "loaded", 1),
    ]
    assert project.query("SELECT conversion_id, dt, hour FROM raw.conversions ORDER BY 1") == [
        (1, "2026-11-28", "08"),
        (2, "2026-11-28", "08"),
        (3, "2026-11-28", "09"),
    ]


def test_accepts_file_urls_absolute_paths_and_relative_keys(project: Project) -> None:
    a = project.lake.write(P8, "b1", conversions((1, 10)))
    absolute = str(project.lake.root / a)
    url = project.lake.store.resolve(a)
    assert url.startswith("file://")
    out = run(project, a, absolute, url)
    assert [o.action for o in out] == ["loaded"]  # three spellings, one manifest, one unit
    assert project.query("SELECT count(*) FROM raw.conversions") == [(1,)]


def test_a_duplicate_delivery_is_skipped(project: Project) -> None:
    a = project.lake.write(P8, "b1", conversions((1, 10)))
    run(project, a)
    [again] = run(project, a)
    assert (again.action, again.rows) == ("skipped", 0)
    assert "already loaded" in again.reason


def test_manifest_keys_name_dataset_and_partition_when_the_key_does_not(project: Project) -> None:
    a = project.lake.write(P8, "b1", conversions((1, 10)))
    doc = project.lake.store.read(project.lake.store.resolve(a))[0].decode()
    body = doc[:-1] + ', "dataset": "ad_server.conversion", "partition": {"dt": "2026-11-28", "hour": "08"}}'
    other = project.lake.write_manifest("incoming/anything.json", body)
    [out] = run(project, other)
    assert (out.dataset, out.partition, out.action) == ("ad_server.conversion", "dt=2026-11-28/hour=08", "loaded")


def test_manifest_keys_that_contradict_the_key_are_refused(project: Project) -> None:
    a = project.lake.write(P8, "b1", conversions((1, 10)))
    doc = project.lake.store.read(project.lake.store.resolve(a))[0].decode()
    project.lake.write_manifest(a, doc[:-1] + ', "partition": {"dt": "2026-11-27", "hour": "08"}}')
    [out] = run(project, a)
    assert out.action == "failed" and out.error_class == "ManifestError"
    assert "b1.json" in (out.error or "") and "2026-11-27" in (out.error or "")
    assert project.query("SELECT count(*) FROM raw.conversions") == []


def test_a_key_matching_no_dataset_fails_with_a_clear_error(project: Project) -> None:
    key = project.lake.write_manifest("elsewhere/x.json", {"entries": []})
    [out] = run(project, key)
    assert (out.sink, out.dataset, out.action) == ("-", None, "failed")
    assert "x.json" in (out.error or "") and "no dataset" in (out.error or "")


@pytest.mark.parametrize(
    ("mutate", "error_class", "needle"),
    [
        (lambda doc: doc.replace('"entries"', '"entires"'), "ManifestError", "entries"),
        (lambda doc: doc[:-3], "ManifestError", "not valid JSON"),
        (lambda doc: doc.replace('"content_length": ', '"content_length": 1'), "SizeMismatchError", "b1-0.parquet"),
        (lambda doc: doc.replace('"url": "data/', '"url": "data/missing-'), "MissingFileError", "missing-"),
        (lambda doc: doc.replace('"url": "data/', '"url": "file:///etc/'), "ForeignURLError", "/etc/"),
        (lambda doc: doc.replace('"url": "data/', '"url": "data/../../../'), "ForeignURLError", ".."),
        (lambda doc: doc.replace('"url": "data/', '"url": "data/%2e%2e/'), "ForeignURLError", ".."),
        (lambda doc: doc.replace('"url": "data/', '"url": "s3://other-bucket/'), "ForeignURLError", "other-bucket"),
    ],
)
def test_bad_manifests_fail_and_change_nothing(
    project: Project, mutate: Callable[[str], str], error_class: str, needle: str
) -> None:
    good = project.lake.write(P8, "b0", conversions((1, 10)))
    run(project, good)
    before = project.query("SELECT * FROM raw.conversions ORDER BY 1")
    bad = project.lake.write(P8, "b1", conversions((2, 10)))
    doc = project.lake.store.read(project.lake.store.resolve(bad))[0].decode()
    project.lake.write_manifest(bad, mutate(doc))
    [out] = run(project, bad)
    assert (out.action, out.error_class) == ("failed", error_class)
    assert needle in (out.error or "") and "b1.json" in (out.error or "")
    assert project.query("SELECT * FROM raw.conversions ORDER BY 1") == before
    rows = project.query(
        "SELECT url, status FROM _loaders.manifests JOIN _loaders.partitions USING (dataset, partition_key)"
    )
    assert [u.rsplit("/", 1)[1] for u, _s in rows] == ["b0.json"]
    if error_class == "ManifestError":
        # a manifest that cannot be read says nothing about the partition: its state (data
        # and last attempt) is untouched; the failure is reported against the manifest
        assert out.manifest is not None and out.manifest.endswith("b1.json")
        assert project.query("SELECT status, rows_loaded, manifests, last_error FROM _loaders.partitions") == [
            ("loaded", 1, 1, None)
        ]
        return
    # a manifest that was read, whose files are wrong: the partition's attempt failed; its
    # data (rows, manifests applied) stays as it was
    assert project.query("SELECT status, rows_loaded, manifests FROM _loaders.partitions") == [("failed", 1, 1)]
    assert error_class in project.query("SELECT last_error FROM _loaders.partitions")[0][0]


def test_a_manifest_outside_the_store_is_refused_before_reading(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    [out] = run(project, str(outside))
    assert (out.action, out.error_class) == ("failed", "ForeignURLError")


def test_empty_manifest_refused_when_the_dataset_says_so(tmp_path: Path) -> None:
    project = Project(tmp_path, strategy="append", allow_empty=False)
    key = project.lake.write_manifest("manifests/ad_server/conversion/dt=2026-11-28/hour=08/e.json", {"entries": []})
    [out] = run(project, key)
    assert (out.action, out.error_class) == ("failed", "EmptyManifestError")


def test_replace_reloads_the_whole_partition_from_one_listing(tmp_path: Path) -> None:
    project = Project(tmp_path, strategy="replace")
    a = project.lake.write(P8, "b1", conversions((1, 10)))
    project.lake.write(P8, "b2", conversions((2, 10)))
    project.lake.write(P9, "b1", conversions((9, 10)))
    [out] = run(project, a)  # only b1 was announced; b2 is in the partition too
    assert (out.action, out.rows, out.manifests) == ("loaded", 2, 2)
    assert project.query("SELECT conversion_id FROM raw.conversions ORDER BY 1") == [(1,), (2,)]


def test_an_unknown_sink_is_a_configuration_error(project: Project) -> None:
    with pytest.raises(ConfigError, match="--sink nope"):
        Runner(project.config(), only_sink="nope")


def test_partitions_of_one_call_load_in_one_transaction(project: Project) -> None:
    keys = [project.lake.write({"dt": "2026-11-28", "hour": f"{h:02d}"}, "b1", conversions((h, 10))) for h in range(5)]
    out = run(project, *keys)
    assert [o.action for o in out] == ["loaded"] * 5
    assert project.query("SELECT count(DISTINCT load_id), count(*) FROM _loaders.partitions") == [(1, 5)]


def test_one_bad_partition_in_a_batch_fails_alone(project: Project) -> None:
    good = [project.lake.write({"dt": "2026-11-28", "hour": f"{h:02d}"}, "b1", conversions((h, 10))) for h in (1, 2)]
    bad = project.lake.write(P8, "b1", conversions((8, 10)))
    doc = project.lake.store.read(project.lake.store.resolve(bad))[0].decode()
    project.lake.write_manifest(bad, doc.replace('"record_count": 1', '"record_count": 5'))
    out = {o.partition: o for o in run(project, *good, bad)}
    assert out["dt=2026-11-28/hour=08"].error_class == "RecordCountError"
    assert [out[f"dt=2026-11-28/hour=0{h}"].action for h in (1, 2)] == ["loaded", "loaded"]
    assert project.query("SELECT conversion_id FROM raw.conversions ORDER BY 1") == [(1,), (2,)]
    assert project.query("SELECT partition_key, status FROM _loaders.partitions ORDER BY 1") == [
        ("dt=2026-11-28/hour=01", "loaded"),
        ("dt=2026-11-28/hour=02", "loaded"),
        ("dt=2026-11-28/hour=08", "failed"),
    ]


def test_manifests_of_one_load_share_the_listing_of_their_data_folder(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from manifests.store import LocalStore

    keys = [project.lake.write(P8, f"b{i}", conversions((i, 10))) for i in range(3)]
    listed: list[str] = []
    original = LocalStore.list

    def counted(store: LocalStore, prefix: str, *, versions: bool = False) -> list:  # type: ignore[type-arg]
        listed.append(prefix)
        return original(store, prefix, versions=versions)

    monkeypatch.setattr(LocalStore, "list", counted)
    out = run(project, *keys)
    assert [(o.action, o.rows) for o in out] == [("loaded", 3)]
    assert len(listed) == 1 and listed[0].endswith("/data/ad_server/conversion/dt=2026-11-28/hour=08/")
