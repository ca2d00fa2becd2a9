"""Label selectors against Namespace manifests, and what cannot be told."""

from __future__ import annotations

from resolver.resolverkit import namespace, state_of

from policycheck.resolver.namespaces import Namespaces, selector_matches


def test_match_labels_and_expressions() -> None:
    labels = {"team": "a", "env": "prod"}
    assert selector_matches({"matchLabels": {"team": "a"}}, labels)
    assert not selector_matches({"matchLabels": {"team": "b"}}, labels)
    assert selector_matches({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "x"]}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]},
                                labels)
    assert selector_matches({"matchExpressions": [{"key": "team", "operator": "Exists"}]}, labels)
    assert selector_matches({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, labels)
    assert selector_matches({}, labels)


def test_malformed_selector_selects_nothing() -> None:
    assert not selector_matches("team=a", {"team": "a"})
    assert not selector_matches({"matchLabels": ["team"]}, {"team": "a"})
    assert not selector_matches({"matchExpressions": [{"key": "team", "operator": "Bogus"}]}, {"team": "a"})


def test_metadata_name_label_is_implicit() -> None:
    ns = Namespaces(state_of(namespace("web", "team: a")))
    assert ns.selects({"matchLabels": {"kubernetes.io/metadata.name": "web"}}, "web") is True


def test_unknown_namespace_is_undecided_unless_only_name_label() -> None:
    ns = Namespaces(state_of(namespace("web")))
    assert ns.selects({"matchLabels": {"team": "a"}}, "elsewhere") is None
    assert ns.selects({"matchLabels": {"kubernetes.io/metadata.name": "elsewhere"}}, "elsewhere") is True
    assert ns.selects({"matchLabels": {"kubernetes.io/metadata.name": "web"}}, "elsewhere") is False
