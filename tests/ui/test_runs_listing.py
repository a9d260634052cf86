"""The runs page's listing: filtered and paged in the metadata store's query, newest first."""
from __future__ import annotations

import pytest

from sfncompile.exceptions import NotFoundError
from sfncompile.storage.interfaces import MetadataStore
from sfncompile.storage.sqlite_metadata import SqliteMetadataStore


@pytest.fixture
def md(tmp_path):
    store = SqliteMetadataStore(str(tmp_path / "store" / "metadata.sqlite"))
    for i in range(120):
        store.create_run("F", f"r{i:03d}", username="u", namespace="user:alice" if i % 2 else "user:bob",
                         tags=[f"t{i % 3}"] + (["user:carol"] if i == 7 else []),
                         parameters={"i": i}, created_at=f"2026-01-01T00:00:{i // 60:02d}.{i:06d}+00:00")
        if i % 4 == 0:
            store.update_run("F", f"r{i:03d}", status="FAILED")
    return store


@pytest.mark.parametrize("kw", [{}, {"status": "FAILED"}, {"tag": "t1"}, {"status": "FAILED", "tag": "t2"},
                                {"namespace": "user:alice"}, {"namespace": "user:carol"},
                                {"offset": 100, "limit": 50}, {"tag": "nope"}])
def test_sql_page_matches_the_generic_filter(md, kw):
    got, total = md.list_runs_page("F", **kw)
    want, want_total = MetadataStore.list_runs_page(md, "F", **kw)
    assert [r["run_id"] for r in got] == [r["run_id"] for r in want]
    assert total == want_total


def test_pages_are_newest_first(md):
    page, total = md.list_runs_page("F", limit=5)
    assert total == 120 and [r["run_id"] for r in page] == ["r119", "r118", "r117", "r116", "r115"]
    failed, n = md.list_runs_page("F", status="FAILED", tag="t0", limit=100)
    assert n == len(failed) == 10 and all(int(r["run_id"][1:]) % 12 == 0 for r in failed)
    assert md.list_runs_page("F", namespace="user:carol")[1] == 1


def test_client_listing_and_the_runs_page(md, monkeypatch, tmp_path):
    from sfncompile.client import backend, namespace
    from sfncompile.client.core import list_runs
    from sfncompile.ui.data import runs_page

    backend.reset()
    namespace("user:alice")
    runs, total = list_runs("F", limit=3)
    assert total == 60 and [r.id for r in runs] == ["r119", "r117", "r115"]
    namespace(None)
    page = runs_page("F", status="FAILED", page=99, per_page=20)
    assert page["total"] == 30 and page["pages"] == 2 and page["page"] == 2  # past the end: the last page
    assert [r["id"] for r in page["runs"]][:2] == ["r036", "r032"]
    assert page["runs"][0]["parameters"] == {"i": 36}
    with pytest.raises(NotFoundError, match="flow 'Nope' has no runs"):
        list_runs("Nope")
    assert list_runs("F", tag="nope") == ([], 0)
