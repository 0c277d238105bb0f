"""GCP validation: every problem at once, each with file, line and field; never a traceback."""

from __future__ import annotations

import textwrap

import pytest

from cloudnet.diagnostics import InputError
from cloudnet.loader import load_model

BASE = """\
name: v
gcp:
  projects:
    p:
      networks:
        vpc:
          subnets:
            - {name: web, region: us-east1, cidr: 10.0.1.0/24}
          firewall_rules:
            - {name: ssh, protocols: [{protocol: tcp, ports: [22]}]}
          routes: []
          peerings: []
        other:
          subnets:
            - {name: o1, region: us-east1, cidr: 10.9.0.0/24}
      instances:
        - {name: w1, subnet: web, ip: 10.0.1.10, tags: [web]}
        - {name: o, subnet: o1, ip: 10.9.0.10, tags: [far]}
      routers:
        - {name: cr, network: vpc, region: us-east1, asn: 65010}
      vpn_gateways:
        - {name: vpn, network: vpc, region: us-east1, tunnels: [{name: t0, router: cr, peer: dc}]}
onprem:
  dc:
    network: 192.168.10.0/24
    router: {name: dc-r, ip: 192.168.10.1, asn: 65001}
"""


def problems(tmp_path, text: str, *, ok: bool = False):
    path = tmp_path / "v.yaml"
    path.write_text(textwrap.dedent(text))
    if ok:
        return load_model(path)[1]
    with pytest.raises(InputError) as err:
        load_model(path)
    return err.value.diagnostics


def one(diags, severity="error"):
    found = [d for d in diags if d.severity == severity]
    assert len(found) == 1, found
    return found[0]


def test_base_is_valid(tmp_path):
    assert problems(tmp_path, BASE, ok=True) == []


@pytest.mark.parametrize("old,new,field,words", [
    ("cidr: 10.0.1.0/24", "cidr: 10.0.1.5/24", "subnets[0].cidr", "not canonical"),
    ("cidr: 10.0.1.0/24", "cidr: 10.0.1.0/30", "subnets[0].cidr", "minimum is /29"),
    ("cidr: 10.9.0.0/24}\n", "cidr: 10.9.0.0/24}\n            - {name: o2, region: us-east1, "
     "cidr: 10.9.0.128/25}\n", "subnets[1].cidr", "overlaps subnet o1"),
    ("{name: ssh, ", "{name: ssh, priority: 70000, ", "firewall_rules[0].priority", "0-65535"),
    ("protocol: tcp, ports: [22]", "protocol: tcpp, ports: [22]", "protocols[0].protocol",
     "not tcp"),
    ("protocol: tcp, ports: [22]", "protocol: icmp, ports: [22]", "protocols[0].ports",
     "tcp, udp and sctp only"),
    ("ports: [22]", "ports: ['30-20']", "protocols[0].ports[0]", "not a port"),
    ("subnet: web, ip", "subnet: webb, ip", "instances[0].subnet", "did you mean 'web'"),
    ("ip: 10.0.1.10", "ip: 10.0.2.10", "instances[0].ip", "outside subnet web"),
    ("ip: 10.9.0.10", "ip: 10.9.0.10, external_ip: nope", "instances[1].external_ip",
     "not a valid IPv4"),
    ("asn: 65010", "asn: 15169", "routers[0].asn", "not a private ASN"),
    ("router: cr, peer: dc}", "router: crr, peer: dc}", "tunnels[0].router", "did you mean 'cr'"),
    ("router: cr, peer: dc}", "router: cr, peer: dcx}", "tunnels[0].peer", "did you mean 'dc'"),
    ("asn: 65001", "asn: 65010", "tunnels[0].peer", "eBGP"),
    ("network: vpc, region: us-east1, asn", "network: vpcc, region: us-east1, asn",
     "routers[0].network", "did you mean 'vpc'"),
])
def test_errors_name_file_line_and_field(tmp_path, old, new, field, words):
    assert old in BASE
    diags = [d for d in problems(tmp_path, BASE.replace(old, new, 1)) if d.field.endswith(field)]
    d = one(diags)
    assert words in d.message, d
    assert d.file.endswith("v.yaml") and d.line


def test_unknown_key_suggests(tmp_path):
    d = one(problems(tmp_path, BASE.replace("{name: ssh, ", "{name: ssh, prority: 5, ")))
    assert "unknown key 'prority'" in d.message and "did you mean 'priority'" in d.message


ROUTE = "          routes:\n            - {name: r, destination: DEST, next_hop_HOP}\n"


@pytest.mark.parametrize("dest,hop,words", [
    ("10.0.1.0/24", "instance: w1", "is the range of subnet web"),
    ("10.0.1.64/26", "instance: w1", "is inside the range of subnet web"),
    ("172.16.0.0/16", "instance: o", "no instance 'o' with an interface in network vpc"),
    ("172.16.0.0/16", "ip: 10.0.1.99", "no VM interface in network vpc has 10.0.1.99"),
    ("172.16.0.0/16", "vpn_tunnel: t9", "no VPN tunnel 't9'"),
])
def test_route_checks(tmp_path, dest, hop, words):
    text = BASE.replace("          routes: []\n", ROUTE.replace("DEST", dest).replace("HOP", hop))
    d = one(problems(tmp_path, text))
    assert words in d.message and ".routes[0]" in d.field


def test_route_needs_exactly_one_next_hop(tmp_path):
    text = BASE.replace("          routes: []\n", "          routes:\n            - {name: r, "
                        "destination: 1.2.3.0/24}\n")
    assert "exactly one of" in one(problems(tmp_path, text)).message


PEER_VO = "          peerings: [{name: vo, network: other}]\n"


def test_peering_checks(tmp_path):
    text = BASE.replace("          peerings: []\n", PEER_VO)
    w = one(problems(tmp_path, text, ok=True), "warning")
    assert "INACTIVE" in w.message and w.field.endswith("peerings[0].network")
    both = text.replace("        other:\n", "        other:\n          peerings: [{name: ov, "
                        "network: vpc}]\n")
    assert problems(tmp_path, both, ok=True) == []
    overlap = both.replace("10.9.0.0/24", "10.0.0.0/16").replace("10.9.0.10", "10.0.9.10")
    diags = problems(tmp_path, overlap)  # reported on both sides' peerings
    assert {d.field.split(".")[4] for d in diags} == {"vpc", "other"}
    assert all("peered networks may not overlap" in d.message for d in diags)


def test_tags_of_a_peered_network_match_nothing(tmp_path):
    text = BASE.replace("          peerings: []\n", PEER_VO)
    text = text.replace("        other:\n", "        other:\n          peerings: [{name: ov, "
                        "network: vpc}]\n")
    text = text.replace("{name: ssh, protocols", "{name: ssh, source_tags: [far], protocols")
    w = one(problems(tmp_path, text, ok=True), "warning")
    assert "only on VMs of peered network other" in w.message
    assert w.field.endswith("firewall_rules[0].source_tags[0]")


def test_cloud_nat_checks(tmp_path):
    text = BASE.replace("asn: 65010}", "asn: 65010, nats: [{name: n, subnets: [o1]}]}")
    diags = problems(tmp_path, text)
    assert {d.field.rsplit(".", 1)[-1] for d in diags} == {"nat_ips", "subnets[0]"}


def test_names_are_unique_topology_wide(tmp_path):
    d = one(problems(tmp_path, BASE.replace("{name: o, subnet", "{name: vpn, subnet")))
    assert "already used by the HA VPN gateway" in d.message or \
        "already used by the instance" in d.message
    d = one(problems(tmp_path, BASE.replace("{name: w1,", "{name: gcp-edge,")))
    assert "reserved" in d.message


def test_site_without_bgp_is_a_warning(tmp_path):
    w = one(problems(tmp_path, BASE.replace(", asn: 65001", ""), ok=True), "warning")
    assert "speaks no BGP" in w.message and w.field.endswith("tunnels[0].peer")


def test_two_nics_in_one_network(tmp_path):
    text = BASE.replace("{name: w1, subnet: web, ip: 10.0.1.10, tags: [web]}",
                        "{name: w1, interfaces: [{subnet: web, ip: 10.0.1.10}, "
                        "{subnet: web, ip: 10.0.1.11}]}")
    assert "already has an interface in network vpc" in one(problems(tmp_path, text)).message
