"""One test (or more) per Azure rule the tracer must honour (shared/reference/cloud-semantics.md
§2), on YAML topologies traced through the real loader."""

from __future__ import annotations

from pathlib import Path

from cloudnet.analysis.reach import matrix, parse_services
from cloudnet.ir.model import NatKind
from cloudnet.loader import load_network


def topo(nsgs: str = "", rts: str = "", web: str = "", app: str = "", dmz: str = "",
         w1: str = "", hub_peerings: str = "", spoke1_peering: str = "use_remote_gateways: true",
         spoke1_subnet: str = "", spoke2_peering: str = "", lng: str = "[172.16.0.0/16]",
         nva: str = ", ip_forwarding: true", more_vms: str = "", azure_more: str = "",
         router: str = "routes: [{destination: 10.0.0.0/8, via: vpn}]") -> str:
    """A hub (web, app behind a NAT gateway, dmz with an appliance, a VPN gateway to the data
    centre with static routing) and two spokes peered with it."""
    return f"""
name: t
azure:
  network_security_groups:
{nsgs or "    []"}
  route_tables:
{rts or "    []"}
  nat_gateways: [{{name: nat, public_ips: [203.0.113.50]}}]
  vnets:
    hub:
      address_space: [10.0.0.0/16]
      subnets:
        - {{name: GatewaySubnet, prefix: 10.0.255.0/27}}
        - {{name: web, prefix: 10.0.1.0/24{web}}}
        - {{name: app, prefix: 10.0.2.0/24, nat_gateway: nat{app}}}
        - {{name: dmz, prefix: 10.0.3.0/24{dmz}}}
      vpn_gateway: {{name: vpngw}}
      peerings:
        - {{name: hub-to-spoke1, remote: spoke1, allow_gateway_transit: true{hub_peerings}}}
        - {{name: hub-to-spoke2, remote: spoke2, allow_gateway_transit: true}}
      vms:
        - {{name: w1, subnet: web, private_ip: 10.0.1.4, public_ip: 203.0.113.10{w1}}}
        - {{name: w2, subnet: web, private_ip: 10.0.1.5}}
        - {{name: a1, subnet: app, private_ip: 10.0.2.4}}
        - {{name: nva, subnet: dmz, private_ip: 10.0.3.4{nva}}}
{more_vms}
    spoke1:
      address_space: [10.1.0.0/16]
      subnets: [{{name: s, prefix: 10.1.1.0/24{spoke1_subnet}}}]
      peerings: [{{name: spoke1-to-hub, remote: hub, {spoke1_peering}}}]
      vms: [{{name: s1, subnet: s, private_ip: 10.1.1.4}}]
    spoke2:
      address_space: [10.2.0.0/16]
      subnets: [{{name: s, prefix: 10.2.1.0/24}}]
      peerings: [{{name: spoke2-to-hub, remote: hub{spoke2_peering}}}]
      vms: [{{name: s2, subnet: s, private_ip: 10.2.1.4}}]
  local_network_gateways: [{{name: dc-lng, site_router: dc-r, address_prefixes: {lng}}}]
  vpn_connections: [{{name: vpn, gateway: vpngw, local_network_gateway: dc-lng}}]
{azure_more}
onprem:
  dc:
    network: 172.16.0.0/24
    router: {{name: dc-r, ip: 172.16.0.1, {router}}}
    hosts: [{{name: dc-host, ip: 172.16.0.10}}]
internet:
  hosts: [{{name: out, ip: 192.0.2.50}}]
"""


def hop(trace, node):
    return next(h for h in trace.hops if h.node == node)


def route_step(trace, node):
    return next(s for s in hop(trace, node).steps if s.kind == "route")


def filters_at(trace, node):
    return [(s.data["filter"].split("@")[0], s.action, s.data["rule"])
            for s in hop(trace, node).steps if s.kind == "filter"]


NSG = """    - name: {name}
      rules:
{rules}"""


def nsg(name: str, *rules: str) -> str:
    return NSG.format(name=name, rules="\n".join(f"        - {{{r}}}" for r in rules))


# ---- NSGs ---------------------------------------------------------------------------------

def test_nsg_rules_apply_in_priority_order_first_match(lab):
    # Written deny-first, but 100 (allow) is evaluated before 200 (deny).
    lb = lab(topo(nsgs=nsg("n", "name: deny-ssh, priority: 200, direction: inbound, access: deny, "
                                "protocol: tcp, destination_ports: 22",
                           "name: ssh-from-app, priority: 100, direction: inbound, access: allow, "
                           "protocol: tcp, source: 10.0.2.0/24, destination_ports: 22"),
                  w1=", nsg: n"))
    t = lb.trace("a1", "w1", dport=22)
    assert t.disposition.value == "ACCEPTED"
    assert filters_at(t, "w1") == [("nsg-inbound:n", "allow", "100 ssh-from-app")]
    t = lb.trace("w2", "w1", dport=22)  # not from the app subnet: rule 200 decides
    assert (t.disposition.value, filters_at(t, "w1")[0][2]) == ("DENIED_IN", "200 deny-ssh")


def test_nsg_default_rules(lab):
    lb = lab(topo(nsgs=nsg("empty", "name: x, priority: 4000, direction: inbound, access: allow, "
                                    "protocol: udp, destination_ports: 9"),
                  w1=", nsg: empty"))
    t = lb.trace("a1", "w1", dport=22)
    assert t.disposition.value == "ACCEPTED"
    assert filters_at(t, "w1")[0][2] == "65000 AllowVnetInBound"
    t = lb.trace("out", "w1", dport=22)  # from the internet: nothing but the defaults
    assert t.disposition.value == "DENIED_IN"
    assert "65500 DenyAllInBound" in t.cause.detail
    t = lb.trace("w1", "192.0.2.50", dport=443)
    assert t.disposition.value == "ACCEPTED"
    assert filters_at(t, "w1")[0][2] == "65001 AllowInternetOutBound"


def test_no_nsg_anywhere_allows_everything(lab):
    t = lab(topo()).trace("out", "w1", dport=3389)
    assert t.disposition.value == "ACCEPTED" and filters_at(t, "w1") == []


def test_inbound_subnet_nsg_then_nic_nsg(lab):
    allow = "name: a, priority: 100, direction: inbound, access: allow, protocol: tcp"
    deny = "name: d, priority: 100, direction: inbound, access: deny, protocol: tcp"
    lb = lab(topo(nsgs=nsg("sub", allow) + "\n" + nsg("nic", deny), web=", nsg: sub",
                  w1=", nsg: nic"))
    t = lb.trace("a1", "w1", dport=22)
    assert t.disposition.value == "DENIED_IN"
    assert filters_at(t, "w1") == [("nsg-inbound:sub", "allow", "100 a"),
                                   ("nsg-inbound:nic", "deny", "100 d")]
    lb = lab(topo(nsgs=nsg("sub", deny) + "\n" + nsg("nic", allow), web=", nsg: sub",
                  w1=", nsg: nic"))
    t = lb.trace("a1", "w1", dport=22)  # the subnet's NSG stops it before the NIC's
    assert filters_at(t, "w1") == [("nsg-inbound:sub", "deny", "100 d")]


def test_outbound_nic_nsg_then_subnet_nsg(lab):
    allow = "name: a, priority: 100, direction: outbound, access: allow, protocol: tcp"
    deny = "name: d, priority: 100, direction: outbound, access: deny, protocol: tcp"
    lb = lab(topo(nsgs=nsg("sub", deny) + "\n" + nsg("nic", allow), web=", nsg: sub",
                  w1=", nsg: nic"))
    t = lb.trace("w1", "a1", dport=22)
    assert t.disposition.value == "DENIED_OUT"
    assert filters_at(t, "w1") == [("nsg-outbound:nic", "allow", "100 a"),
                                   ("nsg-outbound:sub", "deny", "100 d")]


def test_intra_subnet_traffic_is_filtered_by_the_subnet_nsg(lab):
    # Unlike AWS network ACLs: w2 and w1 share the subnet, yet its NSG applies.
    lb = lab(topo(nsgs=nsg("sub", "name: no-w2, priority: 100, direction: inbound, access: deny, "
                                  "source: 10.0.1.5"), web=", nsg: sub"))
    t = lb.trace("w2", "w1", dport=22)
    assert (t.disposition.value, t.nodes) == ("DENIED_IN", ["w2", "hub", "w1"])
    assert filters_at(t, "w1") == [("nsg-inbound:sub", "deny", "100 no-w2")]
    assert lb.trace("w1", "w2", dport=22).disposition.value == "ACCEPTED"


def test_nsg_is_stateful(lab):
    # Outbound all denied except 443: the reply of an allowed inbound flow still leaves.
    lb = lab(topo(nsgs=nsg("n", "name: web, priority: 100, direction: inbound, access: allow, "
                                "protocol: tcp, destination_ports: 443",
                           "name: no-out, priority: 100, direction: outbound, access: deny"),
                  w1=", nsg: n"))
    t = lb.trace("out", "w1", dport=443)
    assert t.disposition.value == "ACCEPTED" and t.reply.disposition.value == "ACCEPTED"
    assert lb.trace("w1", "192.0.2.50", dport=443).disposition.value == "DENIED_OUT"


def test_service_tag_virtual_network_covers_peers_and_onprem(lab):
    lb = lab(topo(nsgs=nsg("n", "name: vnet, priority: 100, direction: inbound, access: allow, "
                                "source: VirtualNetwork",
                           "name: rest, priority: 200, direction: inbound, access: deny"),
                  w1=", nsg: n"))
    assert lb.trace("s1", "w1", dport=22).disposition.value == "ACCEPTED"  # peered VNet
    assert lb.trace("dc-host", "w1", dport=22).disposition.value == "ACCEPTED"  # via gateway
    t = lb.trace("out", "w1", dport=22)
    assert (t.disposition.value, filters_at(t, "w1")[0][2]) == ("DENIED_IN", "200 rest")


def test_service_tag_internet_excludes_private_ranges(lab):
    lb = lab(topo(nsgs=nsg("n", "name: inet, priority: 100, direction: inbound, access: allow, "
                                "source: Internet",
                           "name: rest, priority: 200, direction: inbound, access: deny"),
                  w1=", nsg: n"))
    assert lb.trace("out", "w1", dport=22).disposition.value == "ACCEPTED"
    t = lb.trace("a1", "w1", dport=22)
    assert (t.disposition.value, filters_at(t, "w1")[0][2]) == ("DENIED_IN", "200 rest")


def test_service_tag_azure_load_balancer(lab):
    # Probes come from the host (168.63.129.16): trace them from the VNet's own routing.
    lb = lab(topo(nsgs=nsg("n", "name: x, priority: 100, direction: inbound, access: deny, "
                                "source: Internet"), w1=", nsg: n"))
    t = lb.trace("hub", "10.0.1.4", src_ip="168.63.129.16")
    assert t.disposition.value == "ACCEPTED"
    assert filters_at(t, "w1")[0][2] == "65001 AllowAzureLoadBalancerInBound"
    # The internet cannot borrow the platform's address.
    t = lb.trace("out", "203.0.113.10", src_ip="168.63.129.16")
    assert (t.disposition.value, t.nodes[-1]) == ("DENIED_IN", "azure-edge")


# ---- routes ------------------------------------------------------------------------------

def test_udr_beats_system_route_on_equal_prefix(lab):
    lb = lab(topo(rts="""    - name: rt
      routes: [{name: all-via-nva, prefix: 0.0.0.0/0, next_hop: VirtualAppliance,
                next_hop_ip: 10.0.3.4}]""",
                  web=", route_table: rt"))
    t = lb.trace("w2", "192.0.2.50", dport=443)
    step = route_step(t, "hub")
    assert (step.data["kind"], step.data["target"]) == ("UDR (VirtualAppliance)", "10.0.3.4")
    assert any("UDR (VirtualAppliance) is preferred over system (Internet)" in w
               for w in step.data["why"])
    assert t.nodes[:4] == ["w2", "hub", "nva", "hub"]


def test_longest_prefix_first(lab):
    lb = lab(topo(rts="""    - name: rt
      routes: [{name: drop-doc, prefix: 192.0.2.0/24, next_hop: None}]""", web=", route_table: rt"))
    t = lb.trace("w1", "192.0.2.50", dport=443)
    assert t.disposition.value == "NULL_ROUTED"
    assert t.cause.detail == "hub: UDR drop-doc: 192.0.2.0/24 -> None"
    assert lab(topo()).trace("w1", "198.51.100.1", dport=443).disposition.value == \
        "EXITS_NETWORK"


def test_udr_beats_gateway_route_and_gateway_route_beats_system(lab):
    # The local network gateway's 172.16.0.0/12 equals the system None route: gateway wins.
    lb = lab(topo(lng="[172.16.0.0/12]"))
    t = lb.trace("w1", "dc-host", "icmp")
    assert t.disposition.value == "ACCEPTED"
    step = route_step(t, "hub")
    assert step.data["kind"] == "VirtualNetworkGateway (static)"
    assert any("preferred over system (None)" in w for w in step.data["why"])
    # A UDR for the same prefix beats the gateway route.
    lb = lab(topo(lng="[172.16.0.0/12]", web=", route_table: rt", rts="""    - name: rt
      routes: [{name: no-dc, prefix: 172.16.0.0/12, next_hop: None}]"""))
    t = lb.trace("w1", "dc-host", "icmp")
    assert t.disposition.value == "NULL_ROUTED"
    assert any("UDR (None) is preferred over VirtualNetworkGateway (static)" in w
               for w in route_step(t, "hub").data["why"])


def test_gateway_route_never_overrides_the_vnet_even_more_specific(lab):
    # The site claims 10.0.2.0/24, inside the hub: more specific, yet the system route wins.
    lb = lab(topo(lng="[172.16.0.0/16, 10.0.2.0/24]"))
    t = lb.trace("w1", "a1", "icmp")
    assert (t.disposition.value, t.nodes) == ("ACCEPTED", ["w1", "hub", "a1"])
    ignored = [w for w in route_step(t, "hub").data["why"] if "ignored" in w]
    assert ignored and "even a more specific one" in ignored[0]


def test_bgp_route_never_overrides_the_vnet_even_more_specific(lab):
    bgp_conn = "  vpn_connections: [{name: vpn, gateway: vpngw, local_network_gateway: dc-lng, " \
               "bgp: true}]"
    text = topo(router="asn: 65010, announce: [172.16.0.0/24, 10.0.2.0/25]").replace(
        "  vpn_connections: [{name: vpn, gateway: vpngw, local_network_gateway: dc-lng}]",
        bgp_conn)
    lb = lab(text)
    table = lb.net.nodes["hub"].tables["subnet:web"]
    learned = {str(r.prefix): r for r in table.routes if r.bgp}
    assert learned["10.0.2.0/25"].inactive and not learned["172.16.0.0/24"].inactive
    assert lb.trace("w1", "a1", "icmp").nodes == ["w1", "hub", "a1"]
    t = lb.trace("w1", "dc-host", "icmp")
    assert t.disposition.value == "ACCEPTED" and route_step(t, "hub").data["kind"] == "BGP (VPN)"


def test_none_next_hop_drops_even_inside_the_vnet(lab):
    lb = lab(topo(rts="""    - name: rt
      routes: [{name: no-dmz, prefix: 10.0.3.0/24, next_hop: None}]""", web=", route_table: rt"))
    t = lb.trace("w1", "nva", "icmp")
    assert (t.disposition.value, t.cause.detail) == ("NULL_ROUTED",
                                                     "hub: UDR no-dmz: 10.0.3.0/24 -> None")
    assert lb.trace("a1", "nva", "icmp").disposition.value == "ACCEPTED"  # other subnets


def test_system_none_routes_for_private_ranges(lab):
    t = lab(topo()).trace("w1", "192.168.5.5", "icmp")
    assert t.disposition.value == "NULL_ROUTED"
    assert "192.168.0.0/16 -> None" in t.cause.detail
    t = lab(topo()).trace("w1", "10.0.9.9", "icmp")  # inside the VNet, in no subnet
    assert t.disposition.value == "NULL_ROUTED" and "no subnet holds" in t.cause.detail


def test_virtual_appliance_routing_within_the_vnet(lab):
    rts = """    - name: rt
      routes: [{name: app-via-nva, prefix: 10.0.2.0/24, next_hop: VirtualAppliance,
                next_hop_ip: 10.0.3.4}]"""
    t = lab(topo(rts=rts, web=", route_table: rt")).trace("w1", "a1", "icmp")
    assert (t.disposition.value, t.nodes) == ("ACCEPTED", ["w1", "hub", "nva", "hub", "a1"])
    # Without IP forwarding Azure drops what is sent to the NIC for others.
    t = lab(topo(rts=rts, web=", route_table: rt", nva="")).trace("w1", "a1", "icmp")
    assert (t.disposition.value, t.nodes[-1]) == ("DENIED_IN", "nva")


def test_udr_applies_within_a_subnet(lab):
    # Azure routes even between two VMs of one subnet: a UDR for the subnet's own prefix
    # sends that traffic through the appliance.
    rts = """    - name: rt
      routes: [{name: web-via-nva, prefix: 10.0.1.0/24, next_hop: VirtualAppliance,
                next_hop_ip: 10.0.3.4}]"""
    t = lab(topo(rts=rts, web=", route_table: rt")).trace("w2", "w1", "icmp")
    assert t.nodes == ["w2", "hub", "nva", "hub", "w1"]


def test_disable_bgp_route_propagation(lab):
    rts = """    - name: rt
      disable_bgp_route_propagation: true"""
    t = lab(topo(rts=rts, web=", route_table: rt")).trace("w1", "dc-host", "icmp")
    assert t.disposition.value == "NULL_ROUTED"
    assert "172.16.0.0/12 -> None" in t.cause.detail
    assert lab(topo()).trace("w1", "dc-host", "icmp").disposition.value == "ACCEPTED"


# ---- peering ---------------------------------------------------------------------------------

def test_peering_carries_traffic_both_ways(lab):
    lb = lab(topo())
    t = lb.trace("s1", "w1", "icmp")
    assert (t.disposition.value, t.nodes) == (
        "ACCEPTED", ["s1", "spoke1", "spoke1-to-hub", "hub-to-spoke1", "hub", "w1"])
    assert route_step(t, "spoke1").data["kind"] == "system (VNetPeering)"


def test_peering_is_not_transitive(lab):
    t = lab(topo()).trace("s1", "s2", "icmp")
    assert (t.disposition.value, t.nodes) == ("NULL_ROUTED", ["s1", "spoke1"])


def test_peering_without_the_remote_side_carries_nothing(lab):
    text = topo().replace("      peerings: [{name: spoke2-to-hub, remote: hub}]\n", "")
    with_warnings = lab(text)
    assert "spoke2-to-hub" not in with_warnings.net.nodes
    assert with_warnings.trace("w1", "s2", "icmp").disposition.value == "NULL_ROUTED"


def test_allow_virtual_network_access_false_blocks_the_local_side(lab):
    lb = lab(topo(spoke1_peering="use_remote_gateways: true, "
                                 "allow_virtual_network_access: false"))
    t = lb.trace("s1", "w1", "icmp")
    assert (t.disposition.value, t.nodes[-1]) == ("DENIED_IN", "spoke1-to-hub")
    assert "allowVirtualNetworkAccess is false" in t.cause.detail
    assert lb.trace("w1", "s1", "icmp").disposition.value == "ACCEPTED"  # and its replies


def spoke_to_spoke(lab, forwarded: bool):
    rts = """    - name: via-hub
      routes: [{name: spoke2-via-nva, prefix: 10.2.0.0/16, next_hop: VirtualAppliance,
                next_hop_ip: 10.0.3.4}]"""
    return lab(topo(rts=rts, spoke1_subnet=", route_table: via-hub",
                    spoke2_peering=", allow_forwarded_traffic: true" if forwarded else ""))


def test_spoke_to_spoke_through_the_hub_appliance_needs_allow_forwarded_traffic(lab):
    t = spoke_to_spoke(lab, forwarded=False).trace("s1", "s2", "icmp")
    assert t.disposition.value == "DENIED_IN" and t.nodes[-1] == "spoke2-to-hub"
    assert "allowForwardedTraffic is false" in t.cause.detail
    assert t.nodes[:4] == ["s1", "spoke1", "spoke1-to-hub", "hub-to-spoke1"]
    assert "nva" in t.nodes
    t = spoke_to_spoke(lab, forwarded=True).trace("s1", "s2", "icmp")
    assert t.disposition.value == "ACCEPTED" and t.nodes[-1] == "s2"


def test_gateway_transit(lab):
    lb = lab(topo())
    t = lb.trace("dc-host", "s1", "icmp")
    assert (t.disposition.value, t.nodes) == ("ACCEPTED",
                                              ["dc-host", "dc-r", "vpngw", "spoke1", "s1"])
    t = lb.trace("s1", "dc-host", "icmp")
    assert t.disposition.value == "ACCEPTED"
    assert route_step(t, "spoke1").data["kind"] == "VirtualNetworkGateway (static)"
    # spoke2 does not use the hub's gateway: no route to the data centre.
    t = lb.trace("s2", "dc-host", "icmp")
    assert t.disposition.value == "NULL_ROUTED" and "172.16.0.0/12 -> None" in t.cause.detail


# ---- internet: public IPs, NAT gateway, explicit egress ---------------------------------------

def test_public_ip_is_a_one_to_one_nat_at_the_vnet_edge(lab):
    lb = lab(topo())
    t = lb.trace("out", "w1", dport=443)
    assert (t.disposition.value, t.nodes) == ("ACCEPTED",
                                              ["out", "internet", "azure-edge", "hub", "w1"])
    assert t.final.dst.exploded == "10.0.1.4"
    t = lb.trace("w1", "192.0.2.50", dport=443)
    assert t.final.src.exploded == "203.0.113.10" and t.reply.disposition.value == "ACCEPTED"


def test_no_public_ip_no_nat_gateway_no_internet(lab):
    t = lab(topo()).trace("w2", "192.0.2.50", dport=443)
    assert (t.disposition.value, t.nodes) == ("DENIED_OUT", ["w2", "hub"])
    assert "no outbound internet access" in t.cause.detail


def test_nat_gateway_source_nat(lab):
    lb = lab(topo())
    t = lb.trace("a1", "192.0.2.50", dport=443)
    assert t.nodes == ["a1", "hub", "nat", "azure-edge", "internet", "out"]
    assert t.final.src.exploded == "203.0.113.50" and t.reply.disposition.value == "ACCEPTED"
    t = lb.trace("out", "203.0.113.50", dport=443)  # no inbound connections
    assert (t.disposition.value, t.nodes[-1]) == ("DENIED_IN", "nat")
    t = lb.trace("a1", "192.0.2.50", "icmp")  # TCP and UDP only
    assert t.disposition.value == "DENIED_IN" and "only TCP and UDP" in t.cause.detail


def test_nat_gateway_takes_precedence_over_instance_public_ip_outbound(lab):
    lb = lab(topo(more_vms="        - {name: a2, subnet: app, private_ip: 10.0.2.5, "
                           "public_ip: 203.0.113.20}"))
    t = lb.trace("a2", "192.0.2.50", dport=443)
    assert t.final.src.exploded == "203.0.113.50" and "nat" in t.nodes
    t = lb.trace("out", "a2", dport=22)  # inbound by its own public IP, and the reply too
    assert t.disposition.value == "ACCEPTED" and t.reply.disposition.value == "ACCEPTED"
    assert t.reply.final.src.exploded == "203.0.113.20"
    rules = [r.kind for r in lb.net.nodes["nat"].nat]
    assert rules == [NatKind.SOURCE, NatKind.STATIC]


# ---- gateways and BGP ------------------------------------------------------------------------

ER = """  expressroute_circuits:
    - {name: er, site_router: dc-r, bandwidth_mbps: 2000, sku: %s,
       primary_subnet: 192.168.100.0/30, secondary_subnet: 192.168.100.4/30}
  expressroute_connections: [{name: er-conn, gateway: ergw, circuit: er}]"""


def hybrid(lab, sku: str = "standard", announce: str = "[172.16.0.0/24]"):
    text = topo(router=f"asn: 65010, announce: {announce}", lng="[]",
                azure_more=ER % sku)
    text = text.replace("      vpn_gateway: {name: vpngw}",
                        "      vpn_gateway: {name: vpngw}\n"
                        "      expressroute_gateway: {name: ergw}")
    text = text.replace("local_network_gateway: dc-lng}]", "local_network_gateway: dc-lng, "
                                                           "bgp: true}]")
    return lab(text)


def test_bgp_objects_for_vpn_and_expressroute(lab):
    net = hybrid(lab, sku="premium").net
    assert net.bgp["vpngw"].asn == 65515 and net.bgp["er"].asn == 12076
    originated = {str(p) for p, _ in net.bgp["vpngw"].originate}
    assert originated == {"10.0.0.0/16", "10.1.0.0/16"}  # the hub and its transit spoke
    sessions = {s.id: s for s in net.sessions}
    assert set(sessions) >= {"vpn", "er-conn", "er-primary", "er-secondary"}
    primary = sessions["er-primary"]
    assert (primary.a.node, primary.a.max_prefixes, str(primary.a.address)) == \
        ("er", 10000, "192.168.100.2")
    assert (primary.b.node, primary.b.iface, str(primary.b.address)) == \
        ("dc-r", "er-primary", "192.168.100.1")
    installs = {(i.node, i.table) for i in sessions["vpn"].a.install}
    assert {("vpngw", "main"), ("hub", "subnet:web"), ("spoke1", "subnet:s"),
            ("hub", "subnet:GatewaySubnet")} <= installs
    assert ("spoke2", "subnet:s") not in installs  # spoke2 does not use remote gateways
    circuit_links = [link for link in net.links.values() if link.id.startswith("er:")]
    assert len(circuit_links) == 2 and {link.bandwidth_mbps for link in circuit_links} == {2000}


def test_expressroute_preferred_over_vpn_for_the_same_prefix(lab):
    lb = hybrid(lab)
    t = lb.trace("w1", "dc-host", "icmp")
    assert t.disposition.value == "ACCEPTED"
    assert t.nodes[:4] == ["w1", "hub", "ergw", "er"]
    step = route_step(t, "hub")
    assert step.data["kind"] == "BGP (ExpressRoute)"
    assert any("BGP (ExpressRoute) is preferred over BGP (VPN)" in w for w in step.data["why"])


def test_expressroute_prefix_limit_takes_the_session_down(lab):
    many = "[172.16.0.0/24, " + ", ".join(f"10.200.{i // 256}.{i % 256}/32"
                                          for i in range(4000)) + "]"
    lb = hybrid(lab, announce=many)
    assert {"er-primary", "er-secondary"} <= set(lb.net.sessions_down)
    assert "over its limit of 4000" in lb.net.sessions_down["er-primary"]
    t = lb.trace("w1", "dc-host", "icmp")  # the VPN carries it instead
    assert t.disposition.value == "ACCEPTED" and "vpngw" in t.nodes


# ---- the example ---------------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "azure-hub-spoke.yaml"


def test_azure_hub_spoke_example_matrix():
    net, warnings = load_network(EXAMPLE)
    assert not warnings
    m = {(c.src, c.dst): c.verdicts for c in matrix(net, parse_services("icmp,22,443"))}
    # The data centre reaches the spokes through the hub's gateway (BGP, gateway transit);
    # the spokes' NSG admits SSH from it but not ping.
    assert m["dc-ops", "app1"] == {"icmp": "DENIED_IN", "tcp/22": "ACCEPTED",
                                   "tcp/443": "ACCEPTED"}
    assert m["app2", "dc-ops"] == {"icmp": "ACCEPTED", "tcp/22": "ACCEPTED",
                                   "tcp/443": "ACCEPTED"}
    # The hub reaches the spokes' web ports only; SSH is for the data centre.
    assert m["jump", "app1"] == {"icmp": "DENIED_IN", "tcp/22": "DENIED_IN",
                                 "tcp/443": "ACCEPTED"}
    # Spokes never see each other: not in each other's VirtualNetwork tag (the NSG's default
    # outbound rules deny it) and no route either (peering is not transitive).
    assert set(m["app1", "app2"].values()) == {"DENIED_OUT"}
    # The jump host takes SSH from the office only; the spokes have no way out to the internet.
    assert m["office", "jump"] == {"icmp": "DENIED_IN", "tcp/22": "ACCEPTED",
                                   "tcp/443": "DENIED_IN"}
    assert set(m["app1", "office"].values()) == {"DENIED_OUT"}
    assert m["jump", "office"]["tcp/443"] == "ACCEPTED"
    assert set(m["office", "app1"].values()) == {"NULL_ROUTED"}  # private: not on the internet
