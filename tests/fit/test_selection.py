"""Choosing parameters to show: by name or entry, unknown names refused, a
readable default for many parameters."""

import pytest

from pgmsim.fit.selection import MAX_PANELS, left_out_note, parameter_entries, select_params

NAMES = ["mu", "tau", *(f"F[{k}]" for k in range(16)), "b", *(f"G[{k}]" for k in range(16))]


def test_entries_are_grouped_by_parameter_in_order():
    entries = parameter_entries(NAMES)
    assert list(entries) == ["mu", "tau", "F", "b", "G"]
    assert entries["F"] == list(range(2, 18)) and entries["b"] == [18]


def test_a_parameter_by_name_gives_all_its_entries_an_entry_itself():
    columns, left_out = select_params(NAMES, ["F", "b", "G[3]"])
    assert [NAMES[c] for c in columns] == [*(f"F[{k}]" for k in range(16)), "b", "G[3]"]
    assert left_out == []
    assert select_params(NAMES, "tau") == ([1], [])


def test_a_name_given_twice_is_shown_once():
    columns, _ = select_params(NAMES, ["F[2]", "F", "mu", "mu"])
    assert [NAMES[c] for c in columns] == ["F[2]", *(f"F[{k}]" for k in range(16) if k != 2),
                                           "mu"]


def test_unknown_names_are_refused_by_name():
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) 'sigma', 'F\[16\]'; the "
                                         r"parameters are mu, tau, F\[0\.\.15\], b, G\[0\.\.15\] "
                                         r"\(name one entry as F\[0\]\)"):
        select_params(NAMES, ["mu", "sigma", "F[16]"])


def test_empty_or_dict_params_are_refused():
    with pytest.raises(ValueError, match="params is empty"):
        select_params(NAMES, [])
    with pytest.raises(TypeError, match=r"pass true values as truths=\{\.\.\.\}"):
        select_params(NAMES, {"mu": 1.0})


def test_the_default_shows_everything_up_to_the_limit():
    names = NAMES[:MAX_PANELS]
    assert select_params(names) == (list(range(MAX_PANELS)), [])


def test_the_default_for_many_parameters_puts_the_scalars_first():
    columns, left_out = select_params(NAMES)
    shown = [NAMES[c] for c in columns]
    assert len(shown) == MAX_PANELS
    assert shown[:3] == ["mu", "tau", "b"]
    # then the first entries of each vector parameter, taken in turn
    assert shown[3:] == ["F[0]", "G[0]", "F[1]", "G[1]", "F[2]", "G[2]", "F[3]", "G[3]", "F[4]"]
    assert len(left_out) == len(NAMES) - MAX_PANELS
    assert set(shown).isdisjoint(left_out)


def test_more_scalars_than_the_limit_keeps_the_first_ones():
    names = [f"p{k}" for k in range(20)]
    columns, left_out = select_params(names, limit=5)
    assert columns == [0, 1, 2, 3, 4] and left_out == names[5:]


def test_the_note_names_what_was_left_out():
    assert left_out_note([]) == ""
    assert left_out_note(["F[5]"]) == "not shown: F[5]; choose with params=[...]"
    assert left_out_note([f"F[{k}]" for k in range(10)], limit=2) == (
        "not shown: F[0], F[1] and 8 more; choose with params=[...]")
