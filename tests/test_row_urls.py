"""`url_of` gives exactly what Django's reverse gives, for every URL the list pages use."""

import pytest
from django.urls import NoReverseMatch, reverse

from gridmgmt.templatetags.row_urls import url_of

NAMES = [
    "grids:household",
    "grids:resident",
    "grids:resident_unmask",
    "grids:resident_update",
    "grids:resident_move_out",
    "patrols:detail",
    "care:person",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("value", [0, 7, 918273645, 2**40])
def test_the_path_is_what_reverse_gives(name, value):
    assert url_of(value, name) == reverse(name, args=[value])


def test_other_values_go_through_reverse():
    assert url_of("GL-01-01-01", "grids:detail") == reverse("grids:detail", args=["GL-01-01-01"])
    with pytest.raises(NoReverseMatch):
        url_of(-1, "grids:household")
    with pytest.raises(NoReverseMatch):
        url_of("x/y", "grids:household")


def test_a_script_prefix_is_kept(settings):
    from django.urls import set_script_prefix

    set_script_prefix("/sub/")
    try:
        assert url_of(5, "grids:household") == reverse("grids:household", args=[5])
        assert url_of(5, "grids:household").startswith("/sub/")
    finally:
        set_script_prefix("/")
