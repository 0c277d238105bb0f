"""Reachability matrix: every endpoint pair, every service, each verdict from the tracer."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir.model import Network
from .endpoints import destination_address, endpoints, source_address
from .packet import make_packet
from .trace import Disposition, Tracer

DEFAULT_SERVICES = ["icmp", "tcp/22", "tcp/80", "tcp/443"]
MAX_MENTIONED = 8


def mentioned_services(net: Network) -> list[str]:
    """The common services plus single TCP/UDP ports the topology's filter rules name."""
    found: list[str] = []
    for flt in net.filters.values():
        for rule in flt.rules:
            m = rule.match
            for port in m.dst_ports:
                if port.lo == port.hi and len(m.protocols) == 1 and m.protocols[0] in (6, 17):
                    svc = f"{'tcp' if m.protocols[0] == 6 else 'udp'}/{port.lo}"
                    if svc not in found and svc not in DEFAULT_SERVICES:
                        found.append(svc)
    return DEFAULT_SERVICES + sorted(found, key=lambda s: (s[:3], int(s[4:])))[:MAX_MENTIONED]


def parse_services(text: str | None, net: Network | None = None) -> list[str]:
    """'22,80,udp/53,icmp' -> ['tcp/22', 'tcp/80', 'udp/53', 'icmp']."""
    if not text:
        return mentioned_services(net) if net is not None else list(DEFAULT_SERVICES)
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        if part.isdigit():
            part = f"tcp/{part}"
        proto, _, port = part.partition("/")
        if proto not in ("tcp", "udp", "icmp", "any") or (port and not port.isdigit()) or \
                (proto in ("tcp", "udp") and not port) or (port and int(port) > 65535):
            raise ValueError(f"bad service '{part}': use N, tcp/N, udp/N, icmp or any "
                             "(ports 0-65535)")
        out.append(part)
    return out


_PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "any": 0}


@dataclass
class Cell:
    src: str
    dst: str
    verdicts: dict[str, str] = field(default_factory=dict)  # service -> disposition

    @property
    def allowed(self) -> list[str]:
        return [s for s, d in self.verdicts.items() if d == Disposition.ACCEPTED.value]


def matrix(net: Network, services: list[str], nodes: list[str] | None = None) -> list[Cell]:
    tracer = Tracer(net)
    names = nodes or endpoints(net)
    cells = []
    for src in names:
        src_ip = source_address(net, src)
        for dst in names:
            if dst == src or (net.nodes[src].provider == "internet" and
                              net.nodes[dst].provider == "internet"):
                continue
            dst_ip = destination_address(net, dst, src)
            cell = Cell(src, dst)
            for svc in services:
                proto, _, port = svc.partition("/")
                pkt = make_packet(src_ip, dst_ip, _PROTO[proto], int(port) if port else None)
                t = tracer.trace(src, pkt, with_reply=True)
                verdict = t.disposition.value
                # A service works only when the reply comes back too.
                if t.disposition is Disposition.ACCEPTED and t.reply is not None and \
                        t.reply.disposition is not Disposition.ACCEPTED:
                    verdict = f"REPLY_{t.reply.disposition.value}"
                cell.verdicts[svc] = verdict
            cells.append(cell)
    return cells
