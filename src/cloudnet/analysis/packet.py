"""A packet's headers as the analyses see them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from ipaddress import IPv4Address

from ..ir.model import PROTO_NAMES, PROTO_NUMBERS, Match

DEFAULT_SPORT = 49152  # inside every OS's ephemeral range (Linux 32768-60999, Windows 49152+)


@dataclass(frozen=True, slots=True)
class Packet:
    src: IPv4Address
    dst: IPv4Address
    proto: int  # 0 stands for "any": a protocol only all-traffic rules match (as Batfish does)
    sport: int | None = None
    dport: int | None = None

    @property
    def has_ports(self) -> bool:
        return self.proto in (6, 17)

    def reply(self) -> Packet:
        return Packet(self.dst, self.src, self.proto, self.dport, self.sport)

    def with_(self, **kw) -> Packet:
        return replace(self, **kw)

    def describe(self) -> str:
        name = proto_name(self.proto)
        if self.has_ports:
            return f"{name} {self.src}:{self.sport} -> {self.dst}:{self.dport}"
        return f"{name} {self.src} -> {self.dst}"

    def to_json(self) -> dict:
        out = {"src": str(self.src), "dst": str(self.dst), "protocol": proto_name(self.proto)}
        if self.has_ports:
            out.update(src_port=self.sport, dst_port=self.dport)
        return out


def proto_name(n: int) -> str:
    return PROTO_NAMES.get(n, "any" if n == 0 else str(n))


def parse_proto(text: str) -> int:
    t = text.lower()
    if t in PROTO_NUMBERS:
        return PROTO_NUMBERS[t]
    if t in ("any", "all", "-1"):
        return 0
    if not t.isdigit() or int(t) > 255:
        raise ValueError(f"protocol {text!r} is not tcp, udp, icmp, any or a number 0-255")
    return int(t)


def make_packet(src: IPv4Address, dst: IPv4Address, proto: int, dport: int | None = None,
                sport: int | None = None) -> Packet:
    if proto in (6, 17):
        return Packet(src, dst, proto, sport if sport is not None else DEFAULT_SPORT,
                      dport if dport is not None else 80)
    return Packet(src, dst, proto)


def matches(m: Match, p: Packet) -> bool:
    if m.protocols and p.proto not in m.protocols:
        return False
    if m.src and not any(p.src in n for n in m.src):
        return False
    if m.dst and not any(p.dst in n for n in m.dst):
        return False
    if m.dst_ports and (p.dport is None or not any(p.dport in r for r in m.dst_ports)):
        return False
    if m.src_ports and (p.sport is None or not any(p.sport in r for r in m.src_ports)):
        return False
    return True
