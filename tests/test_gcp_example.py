"""examples/gcp-shared.yaml: its reachability matrix, cell by cell where a cell teaches."""

from __future__ import annotations

from pathlib import Path

from cloudnet.analysis.reach import matrix, parse_services
from cloudnet.loader import load_network

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "gcp-shared.yaml"


def test_gcp_shared_matrix():
    net, warnings = load_network(EXAMPLE)
    assert not warnings
    m = {(c.src, c.dst): c.verdicts for c in matrix(net, parse_services("icmp,22,443,8080"))}
    # web-1 has an external IP: 443 is open to the world (tag web), SSH only from the DC.
    assert m["client", "web-1"] == {"icmp": "DENIED_IN", "tcp/22": "DENIED_IN",
                                    "tcp/443": "ACCEPTED", "tcp/8080": "DENIED_IN"}
    assert set(m["client", "app-1"].values()) == {"NULL_ROUTED"}  # private: not on the internet
    # Tagged rules: app admits 8080 from tag web only, in both regions of the global network.
    assert m["web-1", "app-1"]["tcp/8080"] == "ACCEPTED"
    assert m["web-1", "app-2"]["tcp/8080"] == "ACCEPTED"
    assert m["app-1", "app-2"]["tcp/8080"] == "DENIED_IN"
    assert m["app-1", "web-1"]["tcp/8080"] == "DENIED_IN"
    # Internet: app-1 through Cloud NAT (us-east1), app-2 has neither NAT nor external IP.
    assert m["app-1", "client"]["tcp/443"] == "ACCEPTED"
    assert set(m["app-2", "client"].values()) - {"DENIED_OUT"} == {"NULL_ROUTED"}
    # HA VPN with BGP, global routing: the DC reaches both regions and they reach it.
    assert m["dc-ops", "app-2"]["tcp/22"] == "ACCEPTED"
    assert m["app-1", "dc-ops"]["icmp"] == "ACCEPTED"
    assert m["dc-ops", "app-1"]["tcp/443"] == "DENIED_IN"  # no rule admits it
    # A priority-900 egress deny for tag west: app-2 opens no SSH, not even to the DC.
    assert m["app-2", "dc-ops"]["tcp/22"] == "DENIED_OUT"
    assert m["app-2", "dc-ops"]["tcp/443"] == "ACCEPTED"


def test_gcp_shared_prefers_the_lower_med_tunnel():
    net, _ = load_network(EXAMPLE)
    routes = [r for r in net.nodes["dc-router"].tables["main"].routes
              if str(r.prefix) == "10.20.2.0/24"]
    (best,) = [r for r in routes if not r.inactive]
    assert best.out_iface == "tun-east-0"  # advertised priority 100 beats 200
