"""A central store that cannot be reached says so in one line, never with its password."""

from __future__ import annotations

import pytest

from app.bundle.target import BundleTarget
from app.store.errors import StoreError


def test_a_missing_database_or_a_server_that_is_down_is_one_clear_line(pg_url: str) -> None:
    missing = pg_url.replace("@/postgres?", "@/nowhere?")
    with pytest.raises(StoreError) as caught:
        BundleTarget.open_url(missing)
    message = str(caught.value)
    assert message.startswith("cannot open the central store postgresql://postgres@/nowhere?")
    assert 'database "nowhere" does not exist' in message and "\n" not in message

    down = "postgresql://samluat:secret-pw@127.0.0.1:1/study"
    with pytest.raises(StoreError) as caught:
        BundleTarget.open_url(down)
    message = str(caught.value)
    assert message.startswith("cannot open the central store postgresql://samluat:***@127.0.0.1:1")
    assert "secret-pw" not in message and "Connection refused" in message
