"""The assessment benchmark still runs (a very short pass, so it cannot rot unnoticed)."""

import asyncio

from events import devissuer
from tests.bench import assessment as bench


def test_a_short_pass_of_the_benchmark_prints_a_row_for_every_measurement(tmp_path, monkeypatch):
    monkeypatch.setenv(devissuer.DIR_ENV, str(tmp_path))
    rows = bench.direct_rows(0.02) + asyncio.run(bench.http_rows(0.02, concurrency=2))
    assert len(rows) == len(bench.SAFETY_CASES) + 2 + 2 * len(bench.HTTP_PLANS)
    assert all(row.calls > 0 and row.rate > 0 for row in rows)
    lines = bench.table(rows).splitlines()
    assert lines[0].split(" | ")[0].strip() == "what"
    assert len(lines) == len(rows) + 2


def test_the_http_rows_measure_answers_of_the_status_each_plan_expects(tmp_path, monkeypatch):
    monkeypatch.setenv(devissuer.DIR_ENV, str(tmp_path))
    rows = asyncio.run(bench.http_rows(0.02, concurrency=1))
    statuses = {row.what.rsplit(", ", 1)[0]: row.status for row in rows}
    assert statuses == {
        "HTTP safety-risk: nothing rated (A)": 200,
        "HTTP safety-risk: B.2, B.3 (B)": 200,
        "HTTP safety-risk: 422 problem": 422,
        "HTTP family-education-hours": 200,
    }
