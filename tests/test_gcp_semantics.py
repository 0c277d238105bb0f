"""One test (or more) per GCP rule the tracer must honour (reference/cloud-semantics.md §3)."""

from __future__ import annotations

import pytest

from cloudnet.diagnostics import InputError


def gcp(rules: str = "", routes: str = "", instances: str = "", more: str = "",
        networks: str = "", nat: str = "[{name: nat-east, subnets: [app], nat_ips: "
                                         "[34.1.0.100]}]", routing_mode: str = "regional",
        site_asn: str = "65001") -> str:
    """Network `vpc`: subnets web and app (us-east1), eu (europe-west1); a Cloud NAT for app;
    an HA VPN with BGP to site dc.  No firewall rules unless given."""
    return f"""
name: t
gcp:
  projects:
    p:
      networks:
        vpc:
          routing_mode: {routing_mode}
          subnets:
            - {{name: web, region: us-east1, cidr: 10.0.1.0/24}}
            - {{name: app, region: us-east1, cidr: 10.0.2.0/24}}
            - {{name: eu, region: europe-west1, cidr: 10.1.0.0/24}}
          firewall_rules: [{rules}]
          routes: [{routes}]
{networks}
      instances:
        - {{name: w1, subnet: web, ip: 10.0.1.10, external_ip: 34.1.0.10, tags: [web]}}
        - {{name: w2, subnet: web, ip: 10.0.1.11, tags: [web], service_account: web@p.iam}}
        - {{name: a1, subnet: app, ip: 10.0.2.10, tags: [app]}}
        - {{name: e1, subnet: eu, ip: 10.1.0.10}}
{instances}
      routers:
        - {{name: cr, network: vpc, region: us-east1, asn: 65010, nats: {nat}}}
      vpn_gateways:
        - name: vpn
          network: vpc
          region: us-east1
          tunnels: [{{name: t0, router: cr, peer: dc}}]
{more}
onprem:
  dc:
    network: 192.168.10.0/24
    router: {{name: dc-r, ip: 192.168.10.1, asn: {site_asn}}}
    hosts: [{{name: dc-host, ip: 192.168.10.10}}]
internet:
  hosts: [{{name: out, ip: 192.0.2.50}}]
"""


ALLOW_ALL = "{name: allow-all, priority: 2000, source_ranges: [0.0.0.0/0]}"


def route_step(trace, node):
    hop = next(h for h in trace.hops if h.node == node)
    return next(s for s in hop.steps if s.kind == "route")


def verdict(t) -> str:
    return t.disposition.value


# ---- firewall rules ---------------------------------------------------------------------

def test_implied_rules_deny_ingress_allow_egress(lab):
    lb = lab(gcp())
    t = lb.trace("w2", "a1", dport=22)
    assert (verdict(t), t.nodes) == ("DENIED_IN", ["w2", "vpc", "a1"])
    assert "implied rule: deny all ingress (priority 65535)" in t.cause.detail
    egress = [s for s in t.hops[0].steps if s.kind == "filter"][-1]
    assert egress.action == "allow" and "implied rule: allow all egress" in egress.detail


def test_lower_priority_number_wins(lab):
    rules = ("{name: deny-ssh, action: deny, priority: 1000, protocols: [{protocol: tcp, ports: "
             "[22]}]}, {name: allow-ssh, priority: 900, protocols: [{protocol: tcp, ports: [22]}]}")
    t = lab(gcp(rules=rules)).trace("w2", "a1", dport=22)
    assert verdict(t) == "ACCEPTED"
    step = [s for s in t.hops[-1].steps if s.kind == "filter"][0]
    assert "allow-ssh" in step.detail
    swapped = rules.replace("priority: 900", "priority: 1100")
    t = lab(gcp(rules=swapped)).trace("w2", "a1", dport=22)
    assert verdict(t) == "DENIED_IN" and "deny-ssh" in t.cause.detail


def test_deny_beats_allow_at_equal_priority(lab):
    # The allow is listed first and is more specific; at equal priority the deny still wins.
    rules = ("{name: allow-ssh, priority: 500, protocols: [{protocol: tcp, ports: [22]}], "
             "source_ranges: [10.0.1.11/32]}, {name: deny-all, action: deny, priority: 500}")
    t = lab(gcp(rules=rules)).trace("w2", "a1", dport=22)
    assert verdict(t) == "DENIED_IN" and "deny-all" in t.cause.detail


def test_protocols_and_ports(lab):
    rules = "{name: web, protocols: [{protocol: tcp, ports: [80, '8000-8080']}, {protocol: icmp}]}"
    lb = lab(gcp(rules=rules))
    assert verdict(lb.trace("w2", "a1", dport=8042)) == "ACCEPTED"
    assert verdict(lb.trace("w2", "a1", "icmp")) == "ACCEPTED"
    assert verdict(lb.trace("w2", "a1", dport=443)) == "DENIED_IN"
    assert verdict(lb.trace("w2", "a1", "udp", dport=80)) == "DENIED_IN"


def test_target_tags_select_vms(lab):
    rules = "{name: to-app, target_tags: [app], source_ranges: [10.0.0.0/8]}"
    lb = lab(gcp(rules=rules))
    assert verdict(lb.trace("w2", "a1", dport=5432)) == "ACCEPTED"  # a1 carries tag app
    assert verdict(lb.trace("a1", "w2", dport=5432)) == "DENIED_IN"  # w2 does not


def test_target_service_accounts_select_vms(lab):
    rules = "{name: to-sa, target_service_accounts: [web@p.iam], source_ranges: [10.0.0.0/8]}"
    lb = lab(gcp(rules=rules))
    assert verdict(lb.trace("a1", "w2", dport=443)) == "ACCEPTED"  # w2 runs as web@p.iam
    assert verdict(lb.trace("a1", "w1", dport=443)) == "DENIED_IN"


def test_source_tags_and_service_accounts(lab):
    rules = ("{name: from-web, target_tags: [app], source_tags: [web], protocols: [{protocol: "
             "tcp, ports: [8080]}]}, {name: from-sa, target_tags: [web], "
             "source_service_accounts: [web@p.iam], protocols: [{protocol: tcp, ports: [9000]}]}")
    lb = lab(gcp(rules=rules))
    assert verdict(lb.trace("w1", "a1", dport=8080)) == "ACCEPTED"  # w1 is tagged web
    assert verdict(lb.trace("e1", "a1", dport=8080)) == "DENIED_IN"  # e1 is not
    assert verdict(lb.trace("w2", "w1", dport=9000)) == "ACCEPTED"  # w2 runs as web@p.iam
    assert verdict(lb.trace("a1", "w1", dport=9000)) == "DENIED_IN"


def test_rules_apply_between_vms_of_one_subnet(lab):
    lb = lab(gcp())
    t = lb.trace("w2", "w1", dport=80)  # same subnet, no rule: the implied deny applies
    assert (verdict(t), t.nodes) == ("DENIED_IN", ["w2", "vpc", "w1"])
    lb = lab(gcp(rules="{name: intra, source_ranges: [10.0.1.0/24]}"))
    assert verdict(lb.trace("w2", "w1", dport=80)) == "ACCEPTED"


def test_firewall_is_stateful(lab):
    rules = ("{name: in, protocols: [{protocol: tcp, ports: [22]}]}, "
             "{name: mute, direction: egress, action: deny, priority: 100, target_tags: [app]}")
    lb = lab(gcp(rules=rules))
    t = lb.trace("w2", "a1", dport=22)
    assert verdict(t) == "ACCEPTED" and verdict(t.reply) == "ACCEPTED"
    fw = [s for s in t.reply.hops[0].steps if s.kind == "filter"][-1]
    assert fw.data["rule"] == "established"
    out = lb.trace("a1", "w2", dport=22)  # but a1 cannot open a connection
    assert verdict(out) == "DENIED_OUT" and "mute" in out.cause.detail


def test_egress_rules_with_destination_ranges(lab):
    rules = (ALLOW_ALL + ", {name: no-dc, direction: egress, action: deny, "
             "destination_ranges: [192.168.10.0/24]}")
    lb = lab(gcp(rules=rules))
    assert verdict(lb.trace("a1", "dc-host", "icmp")) == "DENIED_OUT"
    assert verdict(lb.trace("a1", "w2", "icmp")) == "ACCEPTED"


def test_disabled_rule_is_ignored(lab):
    rules = "{name: allow-but-off, disabled: true}"
    assert verdict(lab(gcp(rules=rules)).trace("w2", "a1", dport=22)) == "DENIED_IN"


# ---- routes -----------------------------------------------------------------------------

FW_VM = "        - {name: fw, subnet: app, ip: 10.0.2.20, can_ip_forward: true}"


def test_longest_prefix_beats_priority(lab):
    routes = ("{name: wide, destination: 192.0.2.0/24, priority: 0, next_hop_instance: fw}, "
              "{name: narrow, destination: 192.0.2.0/25, priority: 5000, "
              "next_hop_gateway: default-internet-gateway}")
    t = lab(gcp(rules=ALLOW_ALL, routes=routes, instances=FW_VM)).trace("w1", "192.0.2.50", "icmp")
    step = route_step(t, "vpc")
    assert step.data["prefix"] == "192.0.2.0/25" and verdict(t) == "ACCEPTED"
    assert any("longer prefix" in w for w in step.data["why"])


def test_lower_priority_wins_on_equal_prefix(lab):
    routes = "{name: via-fw, destination: 0.0.0.0/0, priority: 900, next_hop_instance: fw}"
    lb = lab(gcp(rules=ALLOW_ALL, routes=routes, instances=FW_VM))
    t = lb.trace("w1", "192.0.2.50", "icmp")
    step = route_step(t, "vpc")
    assert (step.data["target"], t.nodes[2]) == ("fw", "fw")
    assert any("0.0.0.0/0 -> default-internet-gateway" in w for w in step.data["why"])
    routes = routes.replace("priority: 900", "priority: 1100")
    t = lab(gcp(rules=ALLOW_ALL, routes=routes, instances=FW_VM)).trace("w1", "192.0.2.50",
                                                                        "icmp")
    assert route_step(t, "vpc").data["target"] == "default-internet-gateway"


def test_equal_cost_routes_follow_the_first_next_hop_and_say_so(lab):
    routes = ("{name: r1, destination: 172.16.0.0/16, next_hop_instance: fw}, "
              "{name: r2, destination: 172.16.0.0/16, next_hop_instance: a1}")
    t = lab(gcp(rules=ALLOW_ALL, routes=routes, instances=FW_VM)).trace("w2", "172.16.1.1", "icmp")
    step = route_step(t, "vpc")
    assert step.data["target"] == "a1"  # "instance a1" sorts before "instance fw"
    assert any("equal-cost with instance a1" in w and "ignored" in w for w in step.data["why"])


def test_subnet_routes_come_first(lab):
    # The system default route never takes traffic for a subnet; an address of a subnet
    # that no VM holds ends there.
    t = lab(gcp(rules=ALLOW_ALL)).trace("w1", "10.0.2.99", "icmp")
    assert (verdict(t), t.nodes[-1]) == ("NULL_ROUTED", "vpc")
    assert "subnet route 10.0.2.0/24" in t.cause.detail


def test_static_route_inside_a_subnet_is_rejected(lab):
    routes = "{name: bad, destination: 10.0.2.128/25, next_hop_instance: w1}"
    with pytest.raises(InputError) as err:
        lab(gcp(routes=routes))
    (d,) = [d for d in err.value.diagnostics if d.severity == "error"]
    assert "subnet app" in d.message and d.field.endswith("routes[0].destination")


def test_tag_scoped_route_applies_only_to_tagged_vms(lab):
    routes = "{name: web-via-fw, destination: 0.0.0.0/0, priority: 10, next_hop_instance: fw, " \
             "tags: [web]}"
    lb = lab(gcp(rules=ALLOW_ALL, routes=routes, instances=FW_VM))
    assert route_step(lb.trace("w1", "192.0.2.50", "icmp"), "vpc").data["target"] == "fw"
    t = lb.trace("a1", "192.0.2.50", "icmp")  # untagged: the system default route (NAT)
    assert route_step(t, "vpc").data["target"] == "default-internet-gateway via Cloud NAT nat-east"
    # Traffic entering from the VPN is no VM's: tagged routes never apply to it.
    t = lb.trace("dc-host", "192.0.2.50", "icmp")
    assert "fw" not in t.nodes


def test_deleted_default_route(lab):
    text = gcp(rules=ALLOW_ALL).replace(
        "routing_mode: regional", "routing_mode: regional\n          default_internet_route: false")
    t = lab(text).trace("w1", "192.0.2.50", "icmp")
    assert (verdict(t), t.nodes) == ("NO_ROUTE", ["w1", "vpc"])


# ---- internet access --------------------------------------------------------------------

def test_external_ip_is_one_to_one_nat_at_the_edge(lab):
    lb = lab(gcp(rules=ALLOW_ALL))
    t = lb.trace("w1", "192.0.2.50", "icmp")
    assert verdict(t) == "ACCEPTED" and t.nodes[:3] == ["w1", "vpc", "gcp-edge"]
    assert t.final.src.exploded == "34.1.0.10"
    inbound = lb.trace("out", "34.1.0.10", dport=22)
    assert verdict(inbound) == "ACCEPTED" and inbound.final.dst.exploded == "10.0.1.10"
    assert verdict(inbound.reply) == "ACCEPTED"


def test_no_internet_without_external_ip_or_cloud_nat(lab):
    t = lab(gcp(rules=ALLOW_ALL)).trace("e1", "192.0.2.50", "icmp")  # eu: no Cloud NAT there
    assert (verdict(t), t.nodes) == ("NULL_ROUTED", ["e1", "vpc"])
    assert "no external IP and no Cloud NAT" in t.cause.detail
    t = lab(gcp(rules=ALLOW_ALL)).trace("w2", "192.0.2.50", "icmp")  # web: NAT serves app only
    assert verdict(t) == "NULL_ROUTED"


def test_cloud_nat_translates_outbound(lab):
    t = lab(gcp(rules=ALLOW_ALL)).trace("a1", "192.0.2.50", dport=443)
    assert verdict(t) == "ACCEPTED" and verdict(t.reply) == "ACCEPTED"
    assert t.nodes[:4] == ["a1", "vpc", "nat-east", "gcp-edge"]
    assert t.final.src.exploded == "34.1.0.100"


def test_cloud_nat_all_subnets_of_its_region(lab):
    lb = lab(gcp(rules=ALLOW_ALL, nat="[{name: nat-east, nat_ips: [34.1.0.100]}]"))
    assert verdict(lb.trace("w2", "192.0.2.50", "icmp")) == "ACCEPTED"  # us-east1: served
    assert verdict(lb.trace("e1", "192.0.2.50", "icmp")) == "NULL_ROUTED"  # europe-west1: not


def test_cloud_nat_is_outbound_only(lab):
    t = lab(gcp(rules=ALLOW_ALL)).trace("out", "34.1.0.100", dport=443)
    assert (verdict(t), t.nodes[-1]) == ("DENIED_IN", "nat-east")
    assert "outbound only" in t.cause.detail


# ---- peering ----------------------------------------------------------------------------

def peered(b_side: str = "{name: b-a, network: vpc}", a_side: str = "{name: a-b, network: b}",
           b_routes: str = "") -> str:
    """vpc peers with b, b with c (and back, unless b_side is empty)."""
    b_peers = ", ".join(p for p in (b_side, "{name: b-c, network: c}") if p)
    nets = f"""
          peerings: [{a_side}]
        b:
          subnets: [{{name: b1, region: us-east1, cidr: 10.2.0.0/24}}]
          firewall_rules: [{ALLOW_ALL}]
          routes: [{b_routes}]
          peerings: [{b_peers}]
        c:
          subnets: [{{name: c1, region: us-east1, cidr: 10.3.0.0/24}}]
          firewall_rules: [{ALLOW_ALL}]
          peerings: [{{name: c-b, network: b}}]"""
    vms = ("        - {name: bh, subnet: b1, ip: 10.2.0.10}\n"
           "        - {name: bfw, subnet: b1, ip: 10.2.0.20, can_ip_forward: true}\n"
           "        - {name: ch, subnet: c1, ip: 10.3.0.10}")
    return gcp(rules=ALLOW_ALL, networks=nets, instances=vms)


def test_peering_exchanges_subnet_routes(lab):
    t = lab(peered()).trace("a1", "bh", "icmp")
    assert verdict(t) == "ACCEPTED" and t.nodes == ["a1", "vpc", "a-b", "b-a", "b", "bh"]
    assert route_step(t, "vpc").data["kind"] == "subnet (peer)"


def test_peering_is_not_transitive(lab):
    lb = lab(peered())
    t = lb.trace("a1", "ch", "icmp")  # vpc peers with b, b with c: vpc has no route to c
    assert verdict(t) == "NULL_ROUTED" and "c" not in t.nodes
    t = lb.trace("ch", "a1", "icmp")
    assert "vpc" not in t.nodes and verdict(t) != "ACCEPTED"


def test_one_sided_peering_is_inactive(lab, tmp_path):
    from cloudnet.loader import load_model
    text = peered(b_side="")  # b has no peering back to vpc
    path = tmp_path / "one-sided.yaml"
    path.write_text(text)
    _, warnings = load_model(path)
    assert any("INACTIVE" in w.message and w.field.endswith("peerings[0].network")
               for w in warnings)
    t = lab(text).trace("a1", "bh", "icmp")
    assert "a-b" not in t.nodes and verdict(t) != "ACCEPTED"


CUSTOM = "{name: to-lab, destination: 172.20.0.0/16, next_hop_instance: bfw}"


@pytest.mark.parametrize("export,imp,reached", [(True, True, True), (True, False, False),
                                                (False, True, False)])
def test_custom_routes_need_export_and_import(lab, export, imp, reached):
    text = peered(b_side=f"{{name: b-a, network: vpc, export_custom_routes: {export}}}",
                  a_side=f"{{name: a-b, network: b, import_custom_routes: {imp}}}",
                  b_routes=CUSTOM)
    t = lab(text).trace("a1", "172.20.1.1", "icmp")
    assert ("bfw" in t.nodes) is reached
    if reached:
        assert route_step(t, "vpc").data["kind"] == "static (peer)"


# ---- BGP over HA VPN --------------------------------------------------------------------

def test_ha_vpn_bgp_learns_and_advertises(lab):
    lb = lab(gcp(rules=ALLOW_ALL))
    t = lb.trace("dc-host", "a1", "icmp")
    assert verdict(t) == "ACCEPTED" and t.nodes == ["dc-host", "dc-r", "vpn", "vpc", "a1"]
    step = route_step(t, "dc-r")
    assert step.data["kind"] == "bgp"
    back = route_step(lb.trace("a1", "dc-host", "icmp"), "vpc")
    assert back.data["kind"] == "dynamic (BGP)" and back.data["target"] == "dc-r"


def test_regional_routing_mode_limits_dynamic_routes(lab):
    # Regional: the router (us-east1) neither advertises eu's subnet nor programs its VMs.
    lb = lab(gcp(rules=ALLOW_ALL))
    assert verdict(lb.trace("e1", "dc-host", "icmp")) == "NULL_ROUTED"  # only the default route
    assert verdict(lb.trace("dc-host", "e1", "icmp")) == "NO_ROUTE"
    lb = lab(gcp(rules=ALLOW_ALL, routing_mode="global"))
    t = lb.trace("e1", "dc-host", "icmp")
    assert verdict(t) == "ACCEPTED"
    assert route_step(t, "vpc").data["kind"] == "dynamic (BGP), other region"


def test_dynamic_route_priority_is_compared_with_static_priority(lab):
    # Learned with MED 0: it beats a static route of priority 1000, not one of priority 0.
    route = "{name: dc-static, destination: 192.168.10.0/24, priority: PRIO, next_hop_instance: a1}"
    t = lab(gcp(rules=ALLOW_ALL, routes=route.replace("PRIO", "1000"))).trace("w2", "dc-host",
                                                                             "icmp")
    assert route_step(t, "vpc").data["kind"] == "dynamic (BGP)"
    t = lab(gcp(rules=ALLOW_ALL, routes=route.replace("PRIO", "0"))).trace("w2", "dc-host",
                                                                          "icmp")
    assert route_step(t, "vpc").data["target"] == "a1"


def test_site_without_bgp_gets_no_routes(lab):
    text = gcp(rules=ALLOW_ALL).replace(", asn: 65001", "")
    lb = lab(text)
    assert verdict(lb.trace("dc-host", "a1", "icmp")) == "NO_ROUTE"


INTERCONNECT = """      interconnect_attachments:
        - {name: ic-1, router: cr, peer: dc-r, bandwidth_mbps: 5000, advertised_priority: 50}"""


def test_interconnect_attachment_carries_bgp_and_bandwidth(lab):
    lb = lab(gcp(rules=ALLOW_ALL, more=INTERCONNECT))
    link = next(lk for lk in lb.net.links.values() if ("ic-1", "peer") in lk.endpoints)
    assert link.bandwidth_mbps == 5000
    # The attachment advertises with base priority 50, the tunnel with 100: lower MED wins.
    t = lb.trace("dc-host", "a1", "icmp")
    assert verdict(t) == "ACCEPTED" and "ic-1" in t.nodes


# ---- addressing -------------------------------------------------------------------------

@pytest.mark.parametrize("ip,which", [("10.0.1.0", "network"), ("10.0.1.1", "gateway"),
                                      ("10.0.1.254", "second-to-last"),
                                      ("10.0.1.255", "broadcast")])
def test_four_reserved_addresses(lab, ip, which):
    with pytest.raises(InputError) as err:
        lab(gcp().replace("ip: 10.0.1.11", f"ip: {ip}"))
    (d,) = [d for d in err.value.diagnostics if d.severity == "error"]
    assert "reserved" in d.message and which in d.message
    assert d.field == "gcp.projects.p.instances[1].ip"


def test_first_and_last_usable_addresses(lab):
    lb = lab(gcp(rules=ALLOW_ALL).replace("ip: 10.0.1.11", "ip: 10.0.1.2")
             .replace("ip: 10.0.2.10", "ip: 10.0.2.253"))
    assert verdict(lb.trace("w2", "a1", dport=22)) == "ACCEPTED"
