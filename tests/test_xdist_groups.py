"""`make test` runs with ``--dist=loadgroup``: each ``xdist_group`` stays on one pytest-xdist worker, so
its session fixtures (trained and exported runs) are built once, not once per worker."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.xdist_group("canary")


def test_a_grouped_test_carries_its_group_in_its_id_under_loadgroup(request):
    if not request.config.getoption("loadgroup", default=False):
        pytest.skip("not run by pytest-xdist with --dist=loadgroup")
    assert request.node.nodeid.endswith("@canary"), (
        f"pytest-xdist did not group {request.node.nodeid} (pytest {pytest.__version__}): every worker "
        "builds the grouped tests' fixtures again; install the versions pyproject.toml pins: "
        ".venv/bin/python -m pip install -e '.[dev]'"
    )
