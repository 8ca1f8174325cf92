"""Read configuration YAML strictly: a key given twice is an error.

PyYAML keeps the last of two equal keys in a mapping and drops the first
without a word, so a second `trackers:` block hides the first one and the
problems reported then point elsewhere. Every repeated key of a document is
reported at once, as the other problems of a configuration are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.error import Mark
from yaml.nodes import MappingNode

# The key `<<` merges another mapping in; a merged key may be set again.
MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class RepeatedKey:
    """A key given more than once in one mapping, and the lines it is on."""

    key: Any
    lines: list[int]
    # Where the key is given again the first time: where the error points.
    mark: Mark


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader that notes each key repeated in one mapping."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.repeated: list[RepeatedKey] = []

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> Any:
        """Note the mapping's repeated keys, then build it as the safe loader does."""
        self.repeated += repeated_keys(self, node)
        return super().construct_mapping(node, deep=deep)


def repeated_keys(loader: yaml.SafeLoader, node: MappingNode) -> list[RepeatedKey]:
    """Return each key given more than once in the mapping `node`."""
    found: dict[Any, RepeatedKey] = {}
    repeated: list[RepeatedKey] = []
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            seen = found.get(key)
        except TypeError:
            continue  # an unhashable key: the safe loader refuses it itself
        if seen is None:
            found[key] = RepeatedKey(key, [line], key_node.start_mark)
            continue
        if len(seen.lines) == 1:
            seen.mark = key_node.start_mark
            repeated.append(seen)
        seen.lines.append(line)
    return repeated


def repeated_keys_error(repeated: list[RepeatedKey]) -> ConstructorError:
    """Return the error that names every repeated key and its lines."""
    ordered = sorted(repeated, key=lambda found: found.lines)
    if len(ordered) == 1:
        [found] = ordered
        merge = "the two" if len(found.lines) == 2 else "them"
        return ConstructorError(
            problem=(
                f"the key {found.key!r} is given {times(found)} in one mapping, "
                f"{where(found.lines)}; only one can count, so merge {merge} into one"
            ),
            problem_mark=found.mark,
        )
    listed = "; ".join(f"{found.key!r} {where(found.lines)}" for found in ordered)
    return ConstructorError(
        problem=(
            f"{len(ordered)} keys are given more than once in one mapping: "
            f"{listed}; only one of each can count, so merge each into one"
        )
    )


def times(found: RepeatedKey) -> str:
    """Say how often a key is given: twice, or a count."""
    count = len(found.lines)
    return "twice" if count == 2 else f"{count} times"


def where(lines: list[int]) -> str:
    """Say which lines a key stands on."""
    if len(set(lines)) == 1:
        return f"on line {lines[0]}"
    *rest, last = (str(line) for line in lines)
    return f"at lines {', '.join(rest)} and {last}"


def load_yaml(text: str) -> Any:
    """Return the data of YAML text, refusing a key repeated in a mapping."""
    # StrictLoader is a SafeLoader: it builds plain data, never objects.
    loader = StrictLoader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    if loader.repeated:
        raise repeated_keys_error(loader.repeated)
    return data
