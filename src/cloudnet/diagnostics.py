"""Problems in user input, each naming file, line and field; collected, never raised one by one."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int | None
    field: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        where = f"{loc}: {self.field}:" if self.field else f"{loc}:"
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where} {prefix}{self.message}"


class InputError(Exception):
    """Raised once with every problem found; the CLI prints them and exits 2."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


@dataclass
class SourceMap:
    """Line numbers (1-based) of every mapping key and sequence item of one file."""

    file: str
    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        # Walk up to the nearest ancestor with a known line (e.g. a missing key's parent).
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


@dataclass
class Reporter:
    """Collects diagnostics against one source map."""

    source: SourceMap
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, path: Path, message: str) -> None:
        self.diagnostics.append(
            Diagnostic(self.source.file, self.source.line(path), format_path(path), message))

    def warn(self, path: Path, message: str) -> None:
        self.diagnostics.append(Diagnostic(
            self.source.file, self.source.line(path), format_path(path), message, "warning"))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InputError(self.diagnostics)


def did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
