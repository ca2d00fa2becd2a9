"""An Overlay derived by any sequence of changes reads exactly like a dict changed the same way."""

from __future__ import annotations

import itertools
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.overlay import Overlay

keys = st.integers(min_value=0, max_value=40)
steps = st.lists(st.tuples(st.dictionaries(keys, st.integers(), max_size=8), st.lists(keys, max_size=8)),
                 max_size=40)


def _same(overlay: Overlay[int, int], expected: dict[int, int]) -> None:
    assert len(overlay) == len(expected)
    assert dict(overlay) == expected
    assert overlay == expected
    assert list(overlay.values()) == [overlay[k] for k in overlay]  # in the keys' order
    assert list(overlay.items()) == [(k, overlay[k]) for k in overlay]
    assert sorted(overlay.values()) == sorted(expected.values())
    for k in range(-1, 42):
        assert (k in overlay) == (k in expected)
        assert overlay.get(k, "none") == expected.get(k, "none")


@settings(max_examples=200, deadline=None)
@given(start=st.dictionaries(keys, st.integers(), max_size=30), steps=steps)
def test_derived_maps_read_like_dicts_changed_alike(start: dict[int, int], steps: list[tuple[dict[int, int],
                                                                                        list[int]]]) -> None:
    overlay = Overlay(start)
    expected = dict(start)
    history = [(overlay, dict(expected))]
    for put, drop in steps:
        overlay = overlay.derive(put, drop)
        for k in drop:
            expected.pop(k, None)
        expected.update(put)
        history.append((overlay, dict(expected)))
    for derived, wanted in history:  # deriving never changes the maps derived from
        _same(derived, wanted)
    for (one, one_dict), (other, other_dict) in itertools.pairwise(history):
        keys = one.differing(other)
        if keys is not None:  # a superset of the keys whose values differ
            assert {k for k in one_dict.keys() | other_dict.keys()
                    if one_dict.get(k, "none") != other_dict.get(k, "none")} <= keys


def test_a_dropped_key_is_gone_and_a_stored_overlay_is_flat() -> None:
    base = Overlay({"a": 1, "b": 2})
    derived = base.derive({"c": 3}, ["a", "a", "x"])
    assert dict(derived) == {"b": 2, "c": 3}
    assert list(derived) == ["b", "c"]
    assert dict(base) == {"a": 1, "b": 2}
    try:
        derived["a"]
    except KeyError:
        pass
    else:
        raise AssertionError("a dropped key is still there")
    loaded = pickle.loads(pickle.dumps(derived))
    assert isinstance(loaded, Overlay) and dict(loaded) == {"b": 2, "c": 3}


def test_many_small_changes_keep_the_overlay_shallow() -> None:
    overlay = Overlay({i: i for i in range(1000)})
    for n in range(500):
        overlay = overlay.derive({1000 + n: n}, [n])
        assert len(overlay._top) <= 64 + 2
    assert len(overlay) == 1000 and overlay.get(1499) == 499 and 0 not in overlay
