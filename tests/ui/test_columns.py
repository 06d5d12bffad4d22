"""Column widths for a narrow table: the widest give way first, down to a floor."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.ui.columns import fit_widths


def test_columns_that_fit_keep_their_widths() -> None:
    assert fit_widths([100, 50, 80], 400, 60) == [100, 50, 80]


def test_the_widest_columns_are_cut_to_one_width() -> None:
    assert fit_widths([100, 50, 300, 200], 400, 60) == [100, 50, 125, 125]


def test_no_column_is_cut_below_the_floor() -> None:
    assert fit_widths([200, 200, 200], 120, 60) == [60, 60, 60]


@given(
    st.lists(st.integers(min_value=60, max_value=400), min_size=1, max_size=10),
    st.integers(min_value=0, max_value=2000),
)
def test_fitted_widths_fill_the_room_when_the_floors_allow(natural: list[int], room: int) -> None:
    widths = fit_widths(natural, room, 60)
    assert all(60 <= w <= n for w, n in zip(widths, natural, strict=True))
    if sum(natural) <= room:
        assert widths == natural
    elif 60 * len(natural) <= room:
        assert room - len(natural) < sum(widths) <= room  # only rounding is lost
        # The order of widths is kept: a wider column is never cut narrower.
        for wide, cut_wide in zip(natural, widths, strict=True):
            for narrow, cut_narrow in zip(natural, widths, strict=True):
                assert wide < narrow or cut_wide >= cut_narrow
