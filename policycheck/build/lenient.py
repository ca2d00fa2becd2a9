"""YAML as kustomize's parser reads it where PyYAML's safe loader refuses: a plain `=` is text,
and an anchor defined twice names its latest node (YAML 1.2 parsers accept both)."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent


class _Lenient(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            return Composer.compose_node(self, parent, index)
        event = self.peek_event()  # type: ignore[no-untyped-call]
        anchor = event.anchor if isinstance(event, (ScalarEvent, SequenceStartEvent, MappingStartEvent)) else None
        if anchor is not None:
            self.anchors.pop(anchor, None)  # a later definition replaces the earlier one
        return Composer.compose_node(self, parent, index)


_Lenient.add_constructor("tag:yaml.org,2002:value", _Lenient.construct_yaml_str)  # type: ignore[type-var]


def load_lenient(text: str) -> list[Any]:
    """Every document of the stream; raises yaml.YAMLError as PyYAML does for anything else."""
    return list(yaml.load_all(text, Loader=_Lenient))
