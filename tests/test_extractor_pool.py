"""The extraction worker pool (pipelines/extractor_pool.py): pages on every core, a hard
per-page timeout, crashed workers replaced, workers recycled after K pages."""

from __future__ import annotations

import asyncio
import os
import time

import psutil
import pytest

from pipelines.extractor_pool import ExtractorPool

pytestmark = pytest.mark.timeout(120)
TARGET = "tests.pool_targets:behave"


def run(pool: ExtractorPool, bodies: list[bytes]) -> list[dict]:
    async def main() -> list[dict]:
        try:
            return await asyncio.gather(*(
                pool.extract(body, url=f"https://example.test/{i}", content_type="text/html", parser="generic")
                for i, body in enumerate(bodies)
            ))  # fmt: skip
        finally:
            pool.close()

    return asyncio.run(main())


def test_pages_are_spread_over_the_workers_and_come_back_in_order():
    pool = ExtractorPool(workers=2, timeout=30, target=TARGET)
    results = run(pool, [b"slow" + b"x" * n for n in range(200)])
    assert [r["length"] for r in results] == [4 + n for n in range(200)]
    assert [r["url"] for r in results] == [f"https://example.test/{i}" for i in range(200)]
    assert len({r["pid"] for r in results}) == 2  # both workers took pages
    assert os.getpid() not in {r["pid"] for r in results}
    assert pool.restarts == 0 and pool.started == 2


def test_a_hanging_page_times_out_and_only_its_worker_is_replaced():
    pool = ExtractorPool(workers=2, timeout=1.5, target=TARGET)
    started = time.monotonic()
    results = run(pool, [b"hang"] + [b"ok"] * 50)
    assert results[0] == {
        "problem": "extract-timeout",
        "problem_detail": "extraction took longer than 1.5 s",
    }
    assert all(r["length"] == 2 for r in results[1:])  # the other pages went on meanwhile
    assert time.monotonic() - started < 20
    assert pool.restarts == 1 and pool.started == 3


def test_a_crashed_worker_is_replaced_and_its_page_tried_again(tmp_path):
    marker = tmp_path / "crashed"
    pool = ExtractorPool(workers=2, timeout=30, target=TARGET)
    results = run(pool, [f"crash-once:{marker}".encode(), b"crash", b"boom", b"fine"])
    assert marker.exists() and results[0]["length"] > 0  # second try worked
    assert (
        results[1]["problem"] == "extract-error" and "died (3 times" in results[1]["problem_detail"]
    )
    assert results[2] == {
        "problem": "extract-error",
        "problem_detail": "RuntimeError: extractor bug",
    }
    assert results[3]["length"] == 4
    assert pool.restarts == 4  # one crash-once, three crashes


def test_workers_are_recycled_after_max_pages():
    pool = ExtractorPool(workers=1, timeout=30, max_tasks_per_child=3, target=TARGET)
    results = run(pool, [b"p"] * 10)
    pids = [r["pid"] for r in results]
    assert len(set(pids)) == 4  # 3 + 3 + 3 + 1
    assert all(pids.count(pid) <= 3 for pid in set(pids))
    assert pool.restarts == 0 and pool.started == 4


def test_close_leaves_no_worker_behind():
    pool = ExtractorPool(workers=2, timeout=30, target=TARGET)
    holder: list[int] = []

    async def main() -> None:
        await pool.extract(b"a", url="u", content_type=None, parser="generic")
        holder.extend(pool.pids())
        pool.close()

    asyncio.run(main())
    assert len(holder) == 2
    for pid in holder:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_ctrl_c_is_left_to_the_crawl():
    """Ctrl-C reaches the whole process group: workers ignore it (the crawl stops them)."""
    import signal

    pool = ExtractorPool(workers=2, timeout=30, target=TARGET)

    async def main() -> list[dict]:
        try:
            await pool.extract(b"slow", url="u", content_type=None, parser="generic")
            while not all(w.ready for w in pool._pool):
                await asyncio.sleep(0.05)
            for pid in pool.pids():
                os.kill(pid, signal.SIGINT)
            await asyncio.sleep(0.3)
            return await asyncio.gather(*(
                pool.extract(b"slow", url=f"u{i}", content_type=None, parser="generic") for i in range(10)
            ))  # fmt: skip
        finally:
            pool.close()

    results = asyncio.run(main())
    assert all(r["length"] == 4 for r in results)
    assert pool.restarts == 0 and pool.started == 2


def test_pages_on_workers_are_answered_when_the_pool_gives_up():
    """Workers that cannot start fail every page — queued ones and ones being extracted —
    with an error: no page is left waiting for ever."""
    pool = ExtractorPool(workers=1, timeout=30, target="tests.pool_targets:no_such_function")
    results = run(pool, [b"a", b"b", b"c"])
    assert all(
        r["problem"] == "extract-error" and "die at start-up" in r["problem_detail"]
        for r in results
    )


def test_the_default_is_one_worker_per_core_up_to_four(monkeypatch):
    import pipelines.extractor_pool as pool_module

    for cores, expected in ((1, 1), (2, 2), (4, 4), (64, 4), (None, 1)):
        monkeypatch.setattr(pool_module.os, "cpu_count", lambda cores=cores: cores)
        assert ExtractorPool().workers == expected
    assert ExtractorPool(workers=12).workers == 12  # asked for: not capped
