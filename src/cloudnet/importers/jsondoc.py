"""What every cloud export importer needs: JSON files read with line numbers, values that know
where they are, typed access that reports (never raises) what is wrong, and model objects
placed at their source for provenance."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

from pydantic import ValidationError

from .. import yamlsource
from ..diagnostics import Diagnostic, InputError, SourceMap, format_path

TYPE_NAMES = {"dict": "an object", "list": "a list", "str": "a string", "int": "a number",
              "float": "a number", "bool": "true or false", "NoneType": "null"}


def kind_name(t: type) -> str:
    return TYPE_NAMES.get(t.__name__, t.__name__)


@dataclass(frozen=True)
class At:
    """A JSON value and where it is."""

    data: Any
    src: SourceMap
    path: tuple
    region: str | None = None

    def to(self, data: Any, *sub: str | int) -> At:
        return At(data, self.src, (*self.path, *sub), self.region)

    def get(self, key: str, default=None):
        return self.data.get(key, default) if isinstance(self.data, dict) else default


class JsonImporter:
    def __init__(self, folder: Path):
        self.folder = folder
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def files(self, root: Path) -> Iterator[tuple[Path, At]]:
        """Each JSON file under `root`, in name order, as a located value."""
        for f in sorted(root.rglob("*.json")):
            try:
                data, src = yamlsource.load(f, display=f.relative_to(self.folder).as_posix())
            except InputError as exc:  # JSON read by the YAML parser: say JSON
                self.errors += [replace(d, message=d.message.replace("malformed YAML",
                                                                     "malformed JSON"))
                                for d in exc.diagnostics]
                continue
            yield f, At(data, src, ())

    def _diag(self, at: At, sub: tuple, message: str, severity: str) -> Diagnostic:
        path = (*at.path, *sub)
        return Diagnostic(at.src.file, at.src.line(path), format_path(path), message, severity)

    def error(self, at: At, message: str, *sub: str | int) -> None:
        self.errors.append(self._diag(at, sub, message, "error"))

    def warn(self, at: At, message: str, *sub: str | int) -> None:
        self.warnings.append(self._diag(at, sub, message, "warning"))

    def check(self, at: At, key: str, value: Any, typ: type | tuple, required: bool) -> Any:
        """`value` (of `key` in `at`) if it has type `typ`; else report it and give None."""
        if value is None:
            if required:
                self.error(at, f"missing field {key}", key)
            return None
        if not isinstance(value, typ) or (isinstance(value, bool) and typ is not bool):
            want = " or ".join(kind_name(t) for t in (typ if isinstance(typ, tuple) else (typ,)))
            self.error(at, f"expected {want}, got {kind_name(type(value))}", key)
            return None
        return value

    def get(self, at: At, key: str, typ: type | tuple = str, required: bool = False) -> Any:
        return self.check(at, key, at.get(key), typ, required)

    def obj(self, at: At, key: str) -> At:
        return at.to(self.get(at, key, dict) or {}, key)

    def items(self, at: At, key: str | None = None) -> list[At]:
        """The objects of list field `key` (of `at` itself if None); a missing list is empty."""
        value = at.data if key is None else self.get(at, key, list)
        if key is None and not isinstance(value, list):
            self.error(at, f"expected a list, got {kind_name(type(value))}")
            return []
        sub = () if key is None else (key,)
        out = []
        for i, x in enumerate(value or []):
            child = at.to(x, *sub, i)
            if isinstance(x, dict):
                out.append(child)
            else:
                self.error(child, f"expected an object, got {kind_name(type(x))}")
        return out

    def make(self, cls, at: At, **fields):
        """A model object placed at `at`, or None (reported) if the values do not fit it."""
        try:
            obj = cls(**fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"]))
            self.error(at, f"cannot import as {cls.__name__}: "
                           f"{f'{where}: ' if where else ''}{first['msg']}")
            return None
        obj.place(at.src, at.path)
        return obj
