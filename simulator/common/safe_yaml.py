"""YAML for untrusted scenario and model files: bounded size, bounded alias expansion and
nesting, and no duplicate keys (the last would silently win).

A 545-byte file of nested aliases can expand to millions of nodes (a "billion laughs"
document); Python's YAML composer and constructor recurse once per nesting level. Both are
refused before any object is built, with a message that says which limit was hit.
"""

from __future__ import annotations

import yaml

MAX_BYTES = 1_000_000  # the largest shipped scenario is about 10 kB
MAX_NODES = 200_000  # nodes after alias expansion
MAX_DEPTH = 60  # nesting levels


class YamlLimitError(ValueError):
    """The document is larger, deeper or more repetitive than a scenario file can be."""


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = (key_node.tag, key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value[:60]!r} on lines "
                                    f"{seen[key]} and {line} (the second would silently "
                                    "replace the first)", key_node.start_mark)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


# Dates stay text: YAML would turn 2020-01-02 into a date but 2020-13-02 into an error
# without a field path; the schema parses them and names the field.
_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        lambda loader, node: loader.construct_scalar(node))


def _check_size(root) -> None:
    """Walk the composed graph (aliases are shared nodes, so a shared node counts each time it
    is reached, as it would be built), without recursion."""
    count = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise YamlLimitError(f"more than {MAX_NODES:,} values once aliases are expanded "
                                 "(an alias bomb?)")
        if depth > MAX_DEPTH:
            raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))


_OPEN = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken,
         yaml.BlockSequenceStartToken, yaml.BlockMappingStartToken)
_CLOSE = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)


def _check_depth(text: str) -> None:
    """Nesting depth from the token stream (the scanner does not recurse; the composer does,
    so a deep document must be refused before it is composed)."""
    depth = 0
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, _OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep")
        elif isinstance(token, _CLOSE):
            depth -= 1


def read_text(path) -> str:
    """The text of a scenario or model file, reading at most ``MAX_BYTES`` + 1 bytes: a larger
    file is refused without being read whole (``/dev/zero`` or a sparse file of gigabytes
    would otherwise fill the memory before the size is checked). Newlines as ``read_text``
    gives them; raises ``YamlLimitError``, ``OSError`` or ``UnicodeDecodeError``."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise YamlLimitError(f"more than {MAX_BYTES:,} bytes; a scenario or model file may "
                             f"have at most {MAX_BYTES:,}")
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def load(text: str):
    """Parse one YAML document with the limits above; raises ``YamlLimitError`` or
    ``yaml.YAMLError`` (duplicate keys included)."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise YamlLimitError(f"{size:,} bytes; a scenario or model file may have at most "
                             f"{MAX_BYTES:,}")
    _check_depth(text)
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:  # pragma: no cover (_check_depth bounds the nesting first)
            raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep") from None
        if node is None:
            return None
        _check_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
