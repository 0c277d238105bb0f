"""Base of every topology model object: strict fields, and a memory of where it was written."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr

from ..diagnostics import Diagnostic, Path, SourceMap, format_path
from ..ir.model import Provenance


class ModelObject(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    _source: SourceMap | None = PrivateAttr(default=None)
    _path: Path = PrivateAttr(default=())

    def place(self, source: SourceMap, path: Path) -> None:
        self._source, self._path = source, path

    def at(self, *sub: str | int) -> tuple[SourceMap | None, Path]:
        return self._source, (*self._path, *sub)

    def provenance(self, what: str, *sub: str | int) -> Provenance:
        source, path = self.at(*sub)
        if source is None:
            return Provenance(what)
        return Provenance(what, source.file, source.line(path), format_path(path))

    def diagnostic(self, message: str, *sub: str | int, severity: str = "error") -> Diagnostic:
        source, path = self.at(*sub)
        file = source.file if source else "<model>"
        line = source.line(path) if source else None
        return Diagnostic(file, line, format_path(path), message, severity)


def place_tree(obj: Any, source: SourceMap, path: Path = ()) -> None:
    """Record the source position of every model object nested in `obj` (after validation)."""
    if isinstance(obj, ModelObject):
        obj.place(source, path)
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            if value is not None:
                place_tree(value, source, (*path, name))
    elif isinstance(obj, dict):
        for key, value in obj.items():
            place_tree(value, source, (*path, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            place_tree(value, source, (*path, i))
