"""Azure validation: every problem at the right file, line and field, never a traceback.

Each case edits a valid topology; the problem must be reported on the edited line (the
first line of the edit), unless the case names another place."""

from __future__ import annotations

import textwrap

import pytest

from cloudnet import yamlsource
from cloudnet.diagnostics import InputError
from cloudnet.loader import load_model
from cloudnet.model.base import place_tree
from cloudnet.model.topology import Topology
from cloudnet.model.validate import validate_topology

GOOD = """\
name: v
azure:
  network_security_groups:
    - name: web-nsg
      rules:
        - {name: ssh, priority: 100, direction: inbound, access: allow,
           protocol: tcp, source: VirtualNetwork, destination_ports: 22}
        - {name: out, priority: 100, direction: outbound, access: deny, destination: 1.1.1.1}
  route_tables:
    - name: rt
      routes:
        - {name: fw, prefix: 0.0.0.0/0, next_hop: VirtualAppliance, next_hop_ip: 10.0.2.4}
  nat_gateways: [{name: nat, public_ips: [203.0.113.50]}]
  vnets:
    hub:
      address_space: [10.0.0.0/16]
      subnets:
        - {name: GatewaySubnet, prefix: 10.0.255.0/27}
        - {name: web, prefix: 10.0.1.0/24, nsg: web-nsg, route_table: rt}
        - {name: fw, prefix: 10.0.2.0/24, nat_gateway: nat}
      vpn_gateway: {name: gw}
      peerings: [{name: hub-spoke, remote: spoke, allow_gateway_transit: true}]
      vms:
        - {name: vm1, subnet: web, private_ip: 10.0.1.4, public_ip: 203.0.113.10}
        - {name: fw1, subnet: fw, private_ip: 10.0.2.4, ip_forwarding: true}
    spoke:
      address_space: [10.1.0.0/16]
      subnets: [{name: s, prefix: 10.1.1.0/24}]
      peerings: [{name: spoke-hub, remote: hub, use_remote_gateways: true}]
      vms: [{name: vm2, subnet: s, private_ip: 10.1.1.4}]
  local_network_gateways: [{name: lng, site_router: dc-r, address_prefixes: [192.168.0.0/16]}]
  vpn_connections: [{name: vpn, gateway: gw, local_network_gateway: lng}]
onprem:
  dc:
    network: 192.168.10.0/24
    router: {name: dc-r, ip: 192.168.10.1, routes: [{destination: 10.0.0.0/8, via: vpn}]}
"""


def problems(text: str):
    data, source = yamlsource.loads(textwrap.dedent(text), "lab.yaml")
    topo = Topology.model_validate(data)
    place_tree(topo, source)
    return validate_topology(topo)


def line_of(text: str, snippet: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if snippet in line)


def test_good_topology_has_no_problems():
    assert problems(GOOD) == []


CASES = [
    # addressing
    ("address_space: [10.0.0.0/16]", "address_space: [10.0.0.0/33]  #!",
     "10.0.0.0/33 is not a valid IPv4 CIDR"),
    ("address_space: [10.0.0.0/16]", "address_space: [10.0.0.0/16, 10.0.128.0/17]  #!",
     "overlaps the VNet's prefix 10.0.0.0/16"),
    ("address_space: [10.1.0.0/16]", "address_space: [10.1.0.0/16, 169.254.0.0/24]  #!",
     "link-local"),
    ("{name: fw, prefix: 10.0.2.0/24, nat_gateway: nat}",
     "{name: fw, prefix: 10.0.2.0/30, nat_gateway: nat}  #!",
     "too small for a subnet (Azure allows /2 to /29)"),
    ("{name: fw, prefix: 10.0.2.0/24, nat_gateway: nat}",
     "{name: fw, prefix: 10.9.2.0/24, nat_gateway: nat}  #!", "outside the VNet's address space"),
    ("{name: fw, prefix: 10.0.2.0/24, nat_gateway: nat}",
     "{name: fw, prefix: 10.0.1.128/25, nat_gateway: nat}  #!", "overlaps subnet web"),
    ("{name: fw, prefix: 10.0.2.0/24, nat_gateway: nat}",
     "{name: web, prefix: 10.0.2.0/24, nat_gateway: nat}  #!", "name 'web' is already used"),
    # the five reserved addresses
    ("private_ip: 10.0.1.4, public_ip", "private_ip: 10.0.1.1, public_ip  #!",
     "reserved by Azure in subnet web (10.0.1.0/24): the default gateway"),
    ("private_ip: 10.0.1.4, public_ip", "private_ip: 10.0.1.3, public_ip  #!",
     "reserved for Azure DNS (network+3)"),
    ("private_ip: 10.0.1.4, public_ip", "private_ip: 10.0.1.255, public_ip  #!",
     "the broadcast address"),
    ("private_ip: 10.0.1.4, public_ip", "private_ip: 10.0.1.0, public_ip  #!",
     "the network address"),
    ("private_ip: 10.0.2.4, ip_forwarding", "private_ip: 10.0.1.4, ip_forwarding  #!",
     "outside subnet fw"),
    ("public_ips: [203.0.113.50]}]", "public_ips: [203.0.113.10]}]  #!",
     "public IP 203.0.113.10 is already used by VM vm1"),
    ("public_ip: 203.0.113.10}", "public_ip: 10.9.9.9}  #!", "is not a public address"),
    # NSGs
    ("{name: ssh, priority: 100,", "{name: ssh, priority: 99,  #!", "priority 99 is outside"),
    ("{name: ssh, priority: 100,", "{name: ssh, priority: 4097,  #!", "outside 100-4096"),
    ("        - {name: out, priority: 100,",
     "        - {name: dup, priority: 100, direction: inbound, access: deny}  #!\n"
     "        - {name: out, priority: 100,", "priority 100 is already used by inbound rule ssh"),
    ("protocol: tcp, source: VirtualNetwork", "protocol: tpc, source: VirtualNetwork  #!",
     "protocol 'tpc' is not tcp, udp, icmp, esp, ah or *"),
    ("source: VirtualNetwork,", "source: VirtualNetworks,  #!",
     "did you mean 'VirtualNetwork'"),
    ("destination_ports: 22}", "destination_ports: 22-21}  #!", "'22-21' is not *"),
    ("nsg: web-nsg,", "nsg: web-nsq,  #!", "no NSG 'web-nsq' (did you mean 'web-nsg'?)"),
    # routes
    ("next_hop: VirtualAppliance, next_hop_ip: 10.0.2.4}", "next_hop: VirtualAppliance}  #!",
     "a VirtualAppliance route needs next_hop_ip"),
    ("next_hop_ip: 10.0.2.4}", "next_hop_ip: 10.5.0.4}  #!",
     "appliance 10.5.0.4 is in no subnet of VNet hub or a VNet peered with it"),
    ("next_hop: VirtualAppliance, next_hop_ip: 10.0.2.4}",
     "next_hop: Internet, next_hop_ip: 10.0.2.4}  #!",
     "next_hop_ip applies only to VirtualAppliance"),
    ("route_table: rt}", "route_table: rtt}  #!", "no route table 'rtt' (did you mean 'rt'?)"),
    # NAT gateway
    ("public_ips: [203.0.113.50]}]", "public_ips: []}]  #!",
     "a NAT gateway needs at least one public IP"),
    # peerings and gateways
    ("remote: spoke, allow_gateway_transit: true}",
     "remote: spokes, allow_gateway_transit: true}  #!",
     "no VNet 'spokes' (did you mean 'spoke'?)"),
    ("address_space: [10.1.0.0/16]", "address_space: [10.0.0.0/8]  #!", None),
    ("peerings: [{name: hub-spoke, remote: spoke, allow_gateway_transit: true}]",
     "peerings: [{name: hub-spoke, remote: spoke}]  #!", None),
    ("use_remote_gateways: true}]", "use_remote_gateways: true}]\n"
     "      vpn_gateway: {name: gw2}  #!", None),
    ("{name: GatewaySubnet, prefix: 10.0.255.0/27}",
     "{name: gatewaysubnet, prefix: 10.0.255.0/27}  #!",
     "must be named exactly 'GatewaySubnet'"),
    ("{name: gw}", "{name: gw, asn: 12076}  #!", "AS 12076 is reserved"),
    ("local_network_gateway: lng}]", "local_network_gateway: lgn}]  #!",
     "no local network gateway 'lgn' (did you mean 'lng'?)"),
    ("site_router: dc-r,", "site_router: dc-rr,  #!", "no site router 'dc-rr'"),
]
# The peering cases report on other lines; these name where.
ELSEWHERE = {
    "address_space: [10.0.0.0/8]  #!": ("hub's prefix 10.0.0.0/16 overlaps spoke's prefix "
                                        "10.0.0.0/8: peered VNets may not overlap"),
    "peerings: [{name: hub-spoke, remote: spoke}]  #!": (
        "the peering back from hub (hub-spoke, at lab.yaml:22) does not set "
        "allow_gateway_transit"),
    "      vpn_gateway: {name: gw2}  #!": "has its own gateway, so it cannot use remote gateways",
}


@pytest.mark.parametrize("old,new,message", CASES, ids=[c[1].split("#!")[0][-40:] for c in CASES])
def test_problem_reported_at_its_line(old, new, message):
    assert old in GOOD
    edit = new.replace("  #!", "")
    text = GOOD.replace(old, edit, 1)
    found = [d for d in problems(text) if d.severity == "error"]
    if message is None:
        message = ELSEWHERE[new.split("\n")[-1]]
        assert any(message in d.message for d in found), found
        return
    hits = [d for d in found if message in d.message]
    assert hits, found
    assert hits[0].line == line_of(text, edit.split("\n")[0]) and hits[0].file == "lab.yaml"


def test_use_remote_gateways_rules():
    two = GOOD.replace("peerings: [{name: spoke-hub, remote: hub, use_remote_gateways: true}]",
                       "peerings: [{name: spoke-hub, remote: hub, use_remote_gateways: true},\n"
                       "                 {name: spoke-x, remote: x, use_remote_gateways: true}]"
                       ).replace("  local_network_gateways",
                                 "    x:\n      address_space: [10.7.0.0/16]\n"
                                 "      peerings: [{name: x-spoke, remote: spoke}]\n"
                                 "  local_network_gateways")
    messages = [d.message for d in problems(two)]
    assert any("only one peering may use remote gateways" in m for m in messages)
    assert any("VNet x has no gateway to use" in m for m in messages)


def test_gateway_needs_gateway_subnet():
    text = GOOD.replace("        - {name: GatewaySubnet, prefix: 10.0.255.0/27}\n", "")
    d = next(d for d in problems(text) if "GatewaySubnet" in d.message)
    assert "a VNet gateway needs a subnet named 'GatewaySubnet' in VNet hub" in d.message
    assert d.field == "azure.vnets.hub.vpn_gateway.name"


def test_warnings_do_not_stop_loading(tmp_path):
    # One-sided peering and an appliance without IP forwarding: both legal, both worth saying.
    text = GOOD.replace("ip_forwarding: true", "ip_forwarding: false").replace(
        "      peerings: [{name: spoke-hub, remote: hub, use_remote_gateways: true}]\n", "")
    path = tmp_path / "t.yaml"
    path.write_text(text)
    _, warnings = load_model(path)
    messages = [d.message for d in warnings]
    assert any("has IP forwarding off" in m for m in messages)
    assert any("no peering back to hub" in m for m in messages)


def test_node_names_unique_across_providers(tmp_path):
    text = GOOD.replace("{name: vm2,", "{name: dc-r,")
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_model(path)
    assert any("name 'dc-r' is already used" in d.message for d in err.value.diagnostics)


def test_reserved_edge_name(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(GOOD.replace("{name: vm2,", "{name: azure-edge,"))
    with pytest.raises(InputError) as err:
        load_model(path)
    assert any("reserved for the built-in Azure public network" in d.message
               for d in err.value.diagnostics)


def test_bad_shape_is_an_input_error_not_a_traceback(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(GOOD.replace("next_hop: VirtualAppliance,", "next_hop: Appliance,")
                    .replace("direction: inbound, access: allow,",
                             "direction: inbound, acess: allow,"))
    with pytest.raises(InputError) as err:
        load_model(path)
    messages = [str(d) for d in err.value.diagnostics]
    assert any("next_hop" in m and "lab" not in m for m in messages)
    assert any("unknown key 'acess' (did you mean 'access'?)" in m for m in messages)
