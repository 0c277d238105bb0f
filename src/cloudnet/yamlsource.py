"""Read YAML (and JSON, a subset of it) into plain data plus a map of line numbers.

PyYAML's C parser composes the node tree (fast enough for 10,000-instance files); we build
the Python objects ourselves so every key and item keeps its line, and duplicate keys
are reported instead of silently overwritten.
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

import yaml

from .diagnostics import Diagnostic, InputError, Path, SourceMap, format_path

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_scalars = yaml.constructor.SafeConstructor()


def load(path: str | FsPath, display: str | None = None) -> tuple[Any, SourceMap]:
    name = display or str(path)
    try:
        text = FsPath(path).read_text()
    except OSError as exc:
        raise InputError([Diagnostic(name, None, "", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        what = f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
        raise InputError([Diagnostic(name, line, "", what)]) from None
    return loads(text, name)


def loads(text: str, name: str) -> tuple[Any, SourceMap]:
    smap = SourceMap(name)
    problems: list[Diagnostic] = []
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        msg = getattr(exc, "problem", None) or str(exc)
        raise InputError([Diagnostic(name, line, "", f"malformed YAML: {msg}")]) from None
    if node is None:
        return None, smap
    smap.lines[()] = node.start_mark.line + 1
    data = _build(node, (), smap, problems)
    if problems:
        raise InputError(problems)
    return data, smap


def _build(node: yaml.Node, path: Path, smap: SourceMap, problems: list[Diagnostic]) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged = _build(value_node, path, smap, problems)
                for item in merged if isinstance(merged, list) else [merged]:
                    for k, v in (item or {}).items():
                        out.setdefault(k, v)
                continue
            key = _scalars.construct_object(key_node) if isinstance(
                key_node, yaml.ScalarNode) else str(key_node.value)
            sub = (*path, key)
            if key in out:
                problems.append(Diagnostic(smap.file, key_node.start_mark.line + 1,
                                           format_path(sub), "duplicate key"))
            smap.lines[sub] = key_node.start_mark.line + 1
            out[key] = _build(value_node, sub, smap, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            sub = (*path, i)
            smap.lines[sub] = item.start_mark.line + 1
            items.append(_build(item, sub, smap, problems))
        return items
    return _scalars.construct_object(node)

