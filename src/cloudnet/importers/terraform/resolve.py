"""What both Terraform front ends (plan/state JSON, .tf sources) hand to the provider mappings.

A front end turns its input into `Resource`s: one per resource instance, its attributes as
plain data where known and `Unknown` where Terraform knows them only after apply, every
attribute placed in a SourceMap under the path (address, attribute, ...) so a diagnostic
names file, line and e.g. `aws_security_group.web.ingress[1]`.  The provider mappings
(aws.py, later azure.py, gcp.py) read only these and write into `Report`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from ...diagnostics import Diagnostic, SourceMap, format_path

# A resource instance's address inside a reference: aws_subnet.a, aws_subnet.a[0],
# aws_subnet.a["x"], module.m.aws_vpc.v; data sources keep their data. prefix.
ADDRESS = re.compile(r'((?:module\.[\w-]+(?:\[[^\]]+\])?\.)*(?:data\.)?[a-z][a-z0-9_]*\.[\w-]+)'
                     r'(\[(?:\d+|"[^"]*")\])?')


@dataclass(frozen=True)
class Unknown:
    """A value known only after apply; `refs` are the resource instances it comes from."""

    refs: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"(known after apply{': from ' + ', '.join(self.refs) if self.refs else ''})"


@dataclass
class Resource:
    address: str  # aws_subnet.a[0], module.net.aws_vpc.main
    type: str
    mode: str  # managed or data
    values: dict[str, Any]
    src: SourceMap
    index: int | str | None = None

    def line(self, *sub: str | int) -> int | None:
        return self.src.line((self.address, *sub))

    @property
    def module(self) -> str:
        """The module path prefix of the address ('' at the root, else 'module.x.')."""
        return self.address[: len(self.address) - len(self.local)]

    @property
    def local(self) -> str:
        """The address without its module path: aws_subnet.a[0]."""
        m = re.search(r'(?:data\.)?[a-z][a-z0-9_]*\.[\w-]+(?:\[(?:\d+|"[^"]*")\])?$', self.address)
        return m.group(0) if m else self.address

    @property
    def base(self) -> str:
        """The address without the instance key: aws_subnet.a."""
        return re.sub(r'\[(?:\d+|"[^"]*")\]$', "", self.address)


def instance_address(base: str, key: int | str | None) -> str:
    if key is None:
        return base
    return f"{base}[{key}]" if isinstance(key, int) else f'{base}["{key}"]'


@dataclass
class Report:
    """What an import did not take over as it is: the basis of its exit code."""

    skipped: list[Diagnostic] = field(default_factory=list)  # resources or parts not modelled
    placeholders: list[Diagnostic] = field(default_factory=list)  # values known after apply
    findings: list[Diagnostic] = field(default_factory=list)  # conflicts Terraform users hit
    notes: list[Diagnostic] = field(default_factory=list)  # how something was read

    def _add(self, bucket: list, res: Resource, sub: tuple, message: str) -> None:
        path = (res.address, *sub)
        bucket.append(Diagnostic(res.src.file, res.src.line(path), format_path(path), message,
                                 "warning"))

    def skip(self, res: Resource, why: str, *sub: str | int) -> None:
        self._add(self.skipped, res, sub, f"not modelled ({res.type}): {why}")

    def placeholder(self, res: Resource, message: str, *sub: str | int) -> None:
        self._add(self.placeholders, res, sub, f"known after apply: {message}")

    def finding(self, res: Resource, message: str, *sub: str | int) -> None:
        self._add(self.findings, res, sub, message)

    def note(self, res: Resource, message: str, *sub: str | int) -> None:
        self._add(self.notes, res, sub, message)

    def diagnostics(self) -> list[Diagnostic]:
        return self.skipped + self.placeholders + self.findings + self.notes


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def placeholder_ip(key: str, pool: IPv4Network, taken: set[IPv4Address],
                   skip_first: int = 0, skip_last: int = 0) -> IPv4Address:
    """An address of `pool` derived from `key` (stable across runs), avoiding `taken`."""
    size = pool.num_addresses - skip_first - skip_last
    start = stable_hash(key) % size
    for k in range(size):
        ip = pool.network_address + skip_first + (start + k) % size
        if ip not in taken:
            taken.add(ip)
            return ip
    raise ValueError(f"no free address left in {pool}")


def ref_addresses(refs, module: str = "") -> list[str]:
    """The resource instance addresses a list of Terraform reference strings names."""
    out: list[str] = []
    for r in refs:
        if r.startswith(("var.", "local.", "count.", "each.", "path.", "self.", "terraform.")):
            continue
        m = ADDRESS.match(r)
        if m:
            addr = module + m.group(1) + (m.group(2) or "")
            if addr not in out:
                out.append(addr)
    return out
