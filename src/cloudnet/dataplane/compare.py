"""Prove the model and the kernel agree: for each flow, the tracer's verdict against what real
packets did in the running lab."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.endpoints import destination_address, endpoints, source_address
from ..analysis.packet import make_packet
from ..analysis.reach import mentioned_services
from ..analysis.trace import Disposition, Tracer
from ..ir.model import Network
from .linux.plan import LabPlan
from .linux.probe import Flow, Prober

_PROTO = {"tcp": 6, "udp": 17, "icmp": 1}
SPORT_BASE = 40000  # client ports inside every NACL-style ephemeral range (1024-65535)


@dataclass
class Verdict:
    src: str
    dst: str
    service: str
    model: bool
    model_detail: str
    live: bool | None = None

    @property
    def agree(self) -> bool:
        return self.model == self.live

    def to_json(self) -> dict:
        return {"from": self.src, "to": self.dst, "service": self.service,
                "model": self.model, "model_disposition": self.model_detail,
                "live": self.live, "agree": self.agree}


def unallowed_port(net: Network) -> int:
    """A TCP port no filter rule names: traffic to it must be denied everywhere it is filtered."""
    named = {p for f in net.filters.values() for r in f.rules for rng in r.match.dst_ports
             for p in (rng.lo, rng.hi)}
    ranges = [rng for f in net.filters.values() for r in f.rules for rng in r.match.dst_ports]
    for port in (7, 9, 31337, 4444, 6000):
        if port not in named and not any(port in rng for rng in ranges):
            return port
    return 9


def all_services(net: Network) -> list[str]:
    services = [s for s in mentioned_services(net) if s.split("/")[0] in _PROTO]
    return services + [f"tcp/{unallowed_port(net)}"]


def flows_for(net: Network, pairs: list[tuple[str, str]], services: list[str]) -> list[tuple]:
    """(src node, dst node, service, src ip, dst ip, sport) for each pair and service."""
    out = []
    n = 0
    for src, dst in pairs:
        src_ip, dst_ip = source_address(net, src), destination_address(net, dst, src)
        for svc in services:
            proto, _, port = svc.partition("/")
            sport = SPORT_BASE + n if proto in ("tcp", "udp") else None
            n += 1
            out.append((src, dst, svc, src_ip, dst_ip, sport))
    return out


def all_pairs(net: Network) -> list[tuple[str, str]]:
    names = [e for e in endpoints(net) if e != "internet"]
    return [(a, b) for a in names for b in names if a != b and not (
        net.nodes[a].provider == "internet" and net.nodes[b].provider == "internet")]


def compare(net: Network, lab: LabPlan, pairs: list[tuple[str, str]], services: list[str],
            prober: Prober | None = None) -> list[Verdict]:
    tracer = Tracer(net)
    verdicts, flows = [], []
    for src, dst, svc, src_ip, dst_ip, sport in flows_for(net, pairs, services):
        proto, _, port = svc.partition("/")
        pkt = make_packet(src_ip, dst_ip, _PROTO[proto], int(port) if port else None, sport)
        t = tracer.trace(src, pkt)
        works = t.disposition is Disposition.ACCEPTED and t.reply is not None and \
            t.reply.disposition is Disposition.ACCEPTED and t.hops[-1].node == dst
        detail = t.disposition.value if not t.reply or works else \
            f"reply {t.reply.disposition.value}"
        verdicts.append(Verdict(src, dst, svc, works, detail))
        flows.append(Flow(lab.node_ns[src], lab.node_ns[dst], str(dst_ip), proto,
                          int(port) if port else None, sport))
    for v, live in zip(verdicts, (prober or Prober()).run(flows)):
        v.live = live
    return verdicts
