from __future__ import annotations

import textwrap
from ipaddress import IPv4Address

import pytest

from cloudnet.analysis.endpoints import destination_address, source_address
from cloudnet.analysis.packet import make_packet, parse_proto
from cloudnet.analysis.trace import Trace, Tracer
from cloudnet.loader import load_network


class Lab:
    """A topology written inline, loaded through the real loader, and traced."""

    def __init__(self, net):
        self.net = net
        self.tracer = Tracer(net)

    def trace(self, src: str, dst: str, proto: str = "tcp", dport: int | None = 22,
              sport: int | None = None, src_ip: str | None = None) -> Trace:
        start = self.net.resolve(src)
        s = IPv4Address(src_ip) if src_ip else source_address(self.net, start)
        d = destination_address(self.net, dst, start)
        pkt = make_packet(s, d, parse_proto(proto), dport if proto in ("tcp", "udp") else None,
                          sport)
        return self.tracer.trace(start, pkt)


@pytest.fixture
def lab(tmp_path):
    def make(text: str) -> Lab:
        path = tmp_path / "lab.yaml"
        path.write_text(textwrap.dedent(text))
        net, _ = load_network(path)
        return Lab(net)
    return make
