"""Turn pydantic's validation errors into diagnostics that name file, line and field."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from ..diagnostics import Diagnostic, Path, SourceMap, did_you_mean, format_path


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        models = [a for a in args if typing.get_origin(a) in (list, dict) or
                  (isinstance(a, type) and issubclass(a, BaseModel))]
        return models[0] if len(models) == 1 else (args[0] if len(args) == 1 else tp)
    return tp


def _fields_at(root: type[BaseModel], path: Path) -> list[str]:
    """The keys allowed at `path`, following model fields, list items and dict values."""
    tp: Any = root
    for part in path:
        tp = _strip_optional(tp)
        origin = typing.get_origin(tp)
        if origin in (list, dict):
            tp = typing.get_args(tp)[-1]
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return []
            tp = field.annotation
        else:
            return []
    tp = _strip_optional(tp)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _real_path(data: Any, loc: tuple) -> Path:
    """pydantic appends union member names (e.g. 'str', 'int') to locations: drop them."""
    out: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            if isinstance(node, dict) or not out:
                out.append(part)  # a missing or unknown key: name it
            break
        out.append(part)
    return tuple(out)


def pydantic_diagnostics(err: ValidationError, source: SourceMap, data: Any,
                         root: type[BaseModel]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[str] = set()
    for e in err.errors():
        path = _real_path(data, tuple(e["loc"]))
        kind = e["type"]
        if kind == "extra_forbidden":
            key = str(path[-1])
            msg = f"unknown key '{key}'" + did_you_mean(key, _fields_at(root, path[:-1]))
        elif kind == "missing":
            msg = f"missing required key '{path[-1]}'"
        else:
            msg = e["msg"].removeprefix("Value error, ")
            if "input" in e and not isinstance(e["input"], (dict, list)):
                msg = f"{e['input']!r}: {msg}"
        field = format_path(path)
        if field in seen:  # one message per field, even when several union members failed
            continue
        seen.add(field)
        out.append(Diagnostic(source.file, source.line(path), field, msg))
    return sorted(out, key=lambda d: d.line or 0)
