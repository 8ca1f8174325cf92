"""Read configuration YAML strictly: a key given twice is an error.

PyYAML keeps the last of two equal keys in a mapping and drops the first
without a word, so a second `trackers:` block hides the first one and the
problems reported then point elsewhere.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

# The key `<<` merges another mapping in; a merged key may be set again.
MERGE_TAG = "tag:yaml.org,2002:merge"


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses a key repeated in one mapping."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> Any:
        """Check the mapping's keys, then build it as the safe loader does."""
        refuse_repeated_keys(self, node)
        return super().construct_mapping(node, deep=deep)


def refuse_repeated_keys(loader: yaml.SafeLoader, node: MappingNode) -> None:
    """Raise a located ConstructorError for the first key seen twice."""
    first_lines: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            first = first_lines.get(key)
        except TypeError:
            continue  # an unhashable key: the safe loader refuses it itself
        if first is not None:
            lines = (
                f"on line {line}" if first == line else f"at lines {first} and {line}"
            )
            raise ConstructorError(
                problem=(
                    f"the key {key!r} is given twice in one mapping, {lines}; "
                    "only one can count, so merge the two into one"
                ),
                problem_mark=key_node.start_mark,
            )
        first_lines[key] = line


def load_yaml(text: str) -> Any:
    """Return the data of YAML text, refusing a key repeated in a mapping."""
    # StrictLoader is a SafeLoader: it builds plain data, never objects.
    return yaml.load(text, Loader=StrictLoader)
