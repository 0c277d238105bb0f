"""One test (or more) per AWS rule the tracer must honour (shared/reference/cloud-semantics.md §1)."""

from __future__ import annotations

import pytest

from cloudnet.diagnostics import InputError


def vpc(extra_routes: str = "", sgs: str = "", acls: str = "", subnets_extra: str = "",
        instances_extra: str = "", more: str = "", web_acl: str = "",
        web_groups: str = "[open]") -> str:
    """One VPC: public subnet `web` (igw), private subnet `app` (NAT), instances in each."""
    return f"""
name: t
aws:
  vpcs:
    v:
      cidr: 10.0.0.0/16
      internet_gateway: igw
      vpn_gateway: {{name: vgw}}
      nat_gateways: [{{name: nat, subnet: web, elastic_ip: 203.0.113.9}}]
      subnets:
        - {{name: web, cidr: 10.0.1.0/24, route_table: public{web_acl}}}
        - {{name: app, cidr: 10.0.2.0/24, route_table: private}}
{subnets_extra}
      route_tables:
        - name: public
          routes: [{{destination: 0.0.0.0/0, target: igw}}]
        - name: private
          main: true
          propagate: [vgw]
          routes:
            - {{destination: 0.0.0.0/0, target: nat}}
{extra_routes}
      security_groups:
        - name: open
          ingress: [{{protocol: all, cidr: 0.0.0.0/0}}]
{sgs}
      network_acls:
{acls or "        []"}
      instances:
        - {{name: w1, subnet: web, private_ip: 10.0.1.10, public_ip: 203.0.113.10, security_groups: {web_groups}}}
        - {{name: w2, subnet: web, private_ip: 10.0.1.11, security_groups: [open]}}
        - {{name: a1, subnet: app, private_ip: 10.0.2.10, security_groups: [open]}}
{instances_extra}
  vpn_connections:
    - {{name: vpn, gateway: vgw, customer_gateway: dc-r, static_routes: [10.0.2.128/25, 172.16.0.0/16]}}
{more}
onprem:
  dc:
    network: 172.16.0.0/24
    router: {{name: dc-r, ip: 172.16.0.1, routes: [{{destination: 10.0.0.0/16, via: vpn}}]}}
    hosts: [{{name: dc-host, ip: 172.16.0.10}}]
internet:
  hosts: [{{name: out, ip: 192.0.2.50}}]
"""


def route_step(trace, node):
    hop = next(h for h in trace.hops if h.node == node)
    return next(s for s in hop.steps if s.kind == "route")


# ---- routing ----------------------------------------------------------------------------

def test_longest_prefix_match_wins(lab):
    lb = lab(vpc(extra_routes="            - {destination: 192.0.2.0/24, target: igw}"))
    t = lb.trace("a1", "192.0.2.50", "icmp")
    step = route_step(t, "app")
    assert step.data["prefix"] == "192.0.2.0/24" and step.data["target"] == "igw"
    assert any("longer prefix" in w for w in step.data["why"])
    assert "nat" not in t.nodes  # the /0 to the NAT gateway lost


def test_propagated_route_never_overrides_local_route(lab):
    # The VPN announces 10.0.2.128/25, inside the VPC: more specific, yet local wins.
    lb = lab(vpc(instances_extra="        - {name: a2, subnet: app, private_ip: 10.0.2.200, "
                                 "security_groups: [open]}"))
    t = lb.trace("w1", "10.0.2.200", "icmp")
    assert t.disposition.value == "ACCEPTED"
    assert t.nodes == ["w1", "web", "v", "app", "a2"]  # not towards vgw


def test_propagated_route_overlapping_local_is_reported_ignored(lab):
    lb = lab(vpc(subnets_extra="        - {name: extra, cidr: 10.0.3.0/24}",
                 instances_extra="        - {name: x1, subnet: extra, private_ip: 10.0.3.10, "
                                 "security_groups: [open]}"))
    t = lb.trace("x1", "10.0.2.200", "icmp")  # main table: local, and the VPN's /25
    step = route_step(t, "extra")
    assert any("never overrides the VPC's local route" in w for w in step.data["why"])
    assert step.data["kind"] == "local"


def test_static_beats_propagated_on_equal_prefix(lab):
    lb = lab(vpc(extra_routes="            - {destination: 172.16.0.0/16, target: nat}"))
    step = route_step(lb.trace("a1", "172.16.0.10", "icmp"), "app")
    assert (step.data["target"], step.data["kind"]) == ("nat", "static")
    assert any("static is preferred over propagated (VPN static)" in w for w in step.data["why"])


def test_propagated_route_used_when_no_static(lab):
    t = lab(vpc()).trace("a1", "172.16.0.10", "icmp")
    assert t.disposition.value == "ACCEPTED"
    assert t.nodes == ["a1", "app", "v", "vgw", "dc-r", "dc-host"]


def test_no_route(lab):
    lb = lab(vpc())
    t = lb.trace("dc-host", "8.8.8.8", "icmp")
    assert (t.disposition.value, t.nodes) == ("NO_ROUTE", ["dc-host", "dc-r"])


def test_address_in_vpc_but_no_subnet_is_null_routed(lab):
    t = lab(vpc()).trace("w1", "10.0.9.9", "icmp")
    assert (t.disposition.value, t.nodes[-1]) == ("NULL_ROUTED", "v")


# ---- security groups --------------------------------------------------------------------

SGS = """
        - name: ssh
          ingress: [{protocol: tcp, ports: 22, cidr: 10.0.2.0/24}]
        - name: web
          ingress: [{protocol: tcp, ports: 443, cidr: 0.0.0.0/0}]
        - name: from-ssh
          ingress: [{protocol: tcp, ports: 8080, security_group: ssh}]"""


def test_security_group_is_allow_only_with_implicit_deny(lab):
    lb = lab(vpc(sgs=SGS, web_groups="[ssh]"))
    t = lb.trace("a1", "w1", dport=80)
    assert t.disposition.value == "DENIED_IN" and t.nodes[-1] == "w1"
    assert "no inbound rule allows it" in t.cause.detail


def test_security_groups_are_a_union(lab):
    lb = lab(vpc(sgs=SGS, web_groups="[ssh, web]"))
    assert lb.trace("a1", "w1", dport=22).disposition.value == "ACCEPTED"
    assert lb.trace("a1", "w1", dport=443).disposition.value == "ACCEPTED"
    assert lb.trace("a1", "w1", dport=80).disposition.value == "DENIED_IN"


def test_security_group_is_stateful(lab):
    # w1 allows nothing outbound; its reply to an allowed inbound connection still leaves.
    sgs = SGS + "\n        - name: mute\n          ingress: [{protocol: tcp, ports: 22, cidr: " \
                "10.0.0.0/16}]\n          egress: []"
    lb = lab(vpc(sgs=sgs, web_groups="[mute]"))
    t = lb.trace("a1", "w1", dport=22)
    assert t.disposition.value == "ACCEPTED" and t.reply.disposition.value == "ACCEPTED"
    sg_step = [s for s in t.reply.hops[0].steps if s.kind == "filter"][-1]
    assert sg_step.data["rule"] == "established"
    out = lb.trace("w1", "10.0.2.10", "tcp", 22)  # but w1 cannot start a connection
    assert out.disposition.value == "DENIED_OUT"


def test_security_group_references_another_group(lab):
    # from-ssh admits tcp/8080 from members of `ssh`: w1 is one, w2 is not.
    lb = lab(vpc(sgs=SGS, web_groups="[ssh]", instances_extra=(
        "        - {name: a3, subnet: app, private_ip: 10.0.2.30, security_groups: [from-ssh]}")))
    assert lb.trace("w1", "a3", dport=8080).disposition.value == "ACCEPTED"
    t = lb.trace("w2", "a3", dport=8080)
    assert t.disposition.value == "DENIED_IN"


def test_default_security_group(lab):
    # No groups named: the VPC's default group admits only its own members; all outbound.
    lb = lab(vpc(instances_extra=(
        "        - {name: d1, subnet: app, private_ip: 10.0.2.41}\n"
        "        - {name: d2, subnet: web, private_ip: 10.0.1.42}")))
    assert lb.trace("d2", "d1", dport=5432).disposition.value == "ACCEPTED"
    t = lb.trace("w1", "d1", dport=5432)
    assert t.disposition.value == "DENIED_IN"
    assert lb.trace("d1", "192.0.2.50", "icmp").disposition.value == "ACCEPTED"


# ---- network ACLs -----------------------------------------------------------------------

ACL = """
        - name: strict
          ingress:
            - {rule: 100, action: deny, protocol: tcp, ports: 22, cidr: 10.0.2.10/32}
            - {rule: 200, action: allow, protocol: tcp, ports: 22, cidr: 10.0.0.0/16}
            - {rule: 300, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0}
          egress:
            - {rule: 100, action: allow, protocol: tcp, ports: 32768-65535, cidr: 0.0.0.0/0}"""


def test_acl_numbered_first_match(lab):
    lb = lab(vpc(acls=ACL, web_acl=", network_acl: strict", instances_extra=(
        "        - {name: a2, subnet: app, private_ip: 10.0.2.20, security_groups: [open]}")))
    t = lb.trace("a1", "w1", dport=22)
    assert (t.disposition.value, t.nodes[-1]) == ("DENIED_IN", "web")
    assert "rule 100" in t.cause.detail  # rule 200 would allow; 100 comes first
    assert lb.trace("a2", "w1", dport=22).disposition.value == "ACCEPTED"


def test_acl_is_stateless_replies_need_ephemeral_ports(lab):
    lb = lab(vpc(acls=ACL, web_acl=", network_acl: strict"))
    ok = lb.trace("out", "w1", dport=443, sport=50000)
    assert ok.disposition.value == "ACCEPTED" and ok.reply.disposition.value == "ACCEPTED"
    bad = lb.trace("out", "w1", dport=443, sport=1500)  # reply to port 1500: egress denies
    assert bad.disposition.value == "ACCEPTED"
    assert (bad.reply.disposition.value, bad.reply.nodes[-1]) == ("DENIED_OUT", "web")


def test_acl_does_not_filter_inside_a_subnet(lab):
    lb = lab(vpc(acls=ACL, web_acl=", network_acl: strict"))
    t = lb.trace("w2", "w1", dport=80)  # port 80 is allowed by no ACL rule
    assert t.disposition.value == "ACCEPTED" and t.nodes == ["w2", "w1"]


def test_default_acl_allows_and_new_acl_denies_everything(lab):
    lb = lab(vpc(acls="        - {name: empty}", web_acl=", network_acl: empty"))
    t = lb.trace("a1", "w1", dport=22)
    assert t.disposition.value == "DENIED_IN" and "rule * (deny all)" in t.cause.detail
    lb2 = lab(vpc())
    assert lb2.trace("a1", "w1", dport=22).disposition.value == "ACCEPTED"


# ---- gateways ---------------------------------------------------------------------------

def test_internet_gateway_is_one_to_one_nat(lab):
    lb = lab(vpc())
    t = lb.trace("w1", "192.0.2.50", "icmp")
    nat = [s for s in t.hops[t.nodes.index("igw")].steps if s.kind == "nat"]
    assert nat and nat[0].data["after"]["src"] == "203.0.113.10"
    inbound = lb.trace("out", "203.0.113.10", dport=22)
    assert inbound.disposition.value == "ACCEPTED" and inbound.final.dst.exploded == "10.0.1.10"


def test_internet_gateway_needs_a_public_ip(lab):
    t = lab(vpc()).trace("w2", "192.0.2.50", "icmp")
    assert (t.disposition.value, t.nodes[-1]) == ("DENIED_IN", "igw")
    assert "no public IP" in t.cause.detail


def test_nat_gateway_translates_outbound(lab):
    t = lab(vpc()).trace("a1", "192.0.2.50", dport=443)
    assert t.disposition.value == "ACCEPTED"
    assert t.final.src.exploded == "203.0.113.9"  # NAT's private address, then its EIP
    assert t.nodes[:4] == ["a1", "app", "v", "nat"] and t.reply.disposition.value == "ACCEPTED"


def test_nat_gateway_accepts_no_unsolicited_inbound(lab):
    t = lab(vpc()).trace("out", "203.0.113.9", dport=443)
    assert (t.disposition.value, t.nodes[-1]) == ("DENIED_IN", "nat")
    assert "accepts no inbound connections" in t.cause.detail


PEERS = """
    p:
      cidr: 10.1.0.0/16
      subnets: [{name: p1, cidr: 10.1.1.0/24}]
      route_tables:
        - name: p-main
          main: true
          routes:
            - {destination: 10.0.0.0/16, target: pcx-vp}
            - {destination: 10.2.0.0/16, target: pcx-vp}
            - {destination: 0.0.0.0/0, target: pcx-vp}
      security_groups: [{name: all, ingress: [{protocol: all, cidr: 0.0.0.0/0}]}]
      instances: [{name: ph, subnet: p1, private_ip: 10.1.1.10, security_groups: [all]}]
    q:
      cidr: 10.2.0.0/16
      subnets: [{name: q1, cidr: 10.2.1.0/24}]
      route_tables:
        - {name: q-main, main: true, routes: [{destination: 10.0.0.0/16, target: pcx-vq}]}
      security_groups: [{name: all, ingress: [{protocol: all, cidr: 0.0.0.0/0}]}]
      instances: [{name: qh, subnet: q1, private_ip: 10.2.1.10, security_groups: [all]}]
  peerings:
    - {name: pcx-vp, requester: v, accepter: p}
    - {name: pcx-vq, requester: v, accepter: q}"""


def _insert_peers(text: str) -> str:
    """Add VPCs p and q (in `vpcs:`) and their peerings with v to a vpc() topology."""
    vpcs_block, peerings = PEERS.split("  peerings:")
    return text.replace("\n  vpn_connections:", vpcs_block + "\n  peerings:" + peerings +
                        "\n  vpn_connections:", 1)


def _peered(lab):
    return lab(_insert_peers(vpc(extra_routes=(
        "            - {destination: 10.1.0.0/16, target: pcx-vp}\n"
        "            - {destination: 10.2.0.0/16, target: pcx-vq}"))))


def test_peering_connects_the_two_vpcs(lab):
    t = _peered(lab).trace("a1", "ph", "icmp")
    assert t.disposition.value == "ACCEPTED"
    assert t.nodes == ["a1", "app", "v", "pcx-vp", "p", "p1", "ph"]


def test_peering_is_not_transitive(lab):
    t = _peered(lab).trace("ph", "qh", "icmp")
    assert (t.disposition.value, t.nodes[-1]) == ("NO_ROUTE", "pcx-vp")


def test_peering_gives_no_edge_to_edge_routing(lab):
    lb = _peered(lab)
    out = lb.trace("ph", "192.0.2.50", "icmp")  # v's internet gateway is not p's
    assert (out.disposition.value, out.nodes[-1]) == ("NO_ROUTE", "pcx-vp")
    # Nor is v's VPN: the site sends all of 10/8 into it, but p's range ends at the VGW.
    lb = lab(_insert_peers(vpc()).replace("destination: 10.0.0.0/16, via: vpn",
                                          "destination: 10.0.0.0/8, via: vpn"))
    vpn = lb.trace("dc-host", "10.1.1.10", "icmp")
    assert (vpn.disposition.value, vpn.nodes[-1]) == ("NO_ROUTE", "vgw")
    # And traffic from p cannot leave through v's NAT gateway: v only routes to its subnets.
    back = lb.trace("ph", "192.0.2.50", "icmp")
    assert back.disposition.value == "NO_ROUTE" and "nat" not in back.nodes


def test_overlapping_peering_is_rejected(tmp_path, lab):
    text = _insert_peers(vpc()).replace("cidr: 10.1.0.0/16", "cidr: 10.0.0.0/16").replace(
        "10.1.1.0/24", "10.0.1.0/24").replace("10.1.1.10", "10.0.1.10")
    with pytest.raises(InputError) as err:
        lab(text)
    assert any("overlap" in d.message for d in err.value.diagnostics)


# ---- transit gateway --------------------------------------------------------------------

TGW = """
  transit_gateways:
    - name: tgw
      default_route_table: null
      route_tables:
        - name: rt-a
          routes: [{destination: 10.2.9.0/24, blackhole: true}]
        - name: rt-b
      attachments:
        - {name: att-v, vpc: v, associate: rt-b, propagate: [rt-a]}
        - {name: att-p, vpc: p, associate: rt-a, propagate: [rt-b]}
        - {name: att-q, vpc: q, associate: rt-a, propagate: []}"""


def _tgw_lab(lab):
    text = _insert_peers(vpc(extra_routes="            - {destination: 10.0.0.0/8, "
                                          "target: tgw}"))
    text = text.replace("target: pcx-vp}", "target: tgw}").replace("target: pcx-vq}",
                                                                   "target: tgw}")
    text = text.replace("  peerings:\n    - {name: pcx-vp, requester: v, accepter: p}\n"
                        "    - {name: pcx-vq, requester: v, accepter: q}", TGW.strip("\n"))
    return lab(text)


def test_tgw_association_and_propagation(lab):
    lb = _tgw_lab(lab)
    t = lb.trace("ph", "a1", "icmp")  # p associates rt-a, where v propagates
    assert t.disposition.value == "ACCEPTED"
    assert t.nodes == ["ph", "p1", "p", "tgw", "v", "app", "a1"]
    step = route_step(t, "tgw")
    assert step.data["table"] == "rt-a" and step.data["kind"] == "propagated (VPC)"


def test_tgw_route_table_isolates(lab):
    lb = _tgw_lab(lab)
    t = lb.trace("ph", "qh", "icmp")  # q propagates nowhere: rt-a has no route to it
    assert (t.disposition.value, t.nodes[-1]) == ("NO_ROUTE", "tgw")


def test_tgw_blackhole_route(lab):
    t = _tgw_lab(lab).trace("ph", "10.2.9.5", "icmp")
    assert (t.disposition.value, t.nodes[-1]) == ("NULL_ROUTED", "tgw")


# ---- addressing -------------------------------------------------------------------------

@pytest.mark.parametrize("ip,which", [("10.0.1.0", "network"), ("10.0.1.1", "VPC router"),
                                      ("10.0.1.2", "DNS"), ("10.0.1.3", "reserved"),
                                      ("10.0.1.255", "broadcast")])
def test_five_reserved_addresses(lab, ip, which):
    with pytest.raises(InputError) as err:
        lab(vpc().replace("private_ip: 10.0.1.11", f"private_ip: {ip}"))
    (d,) = [d for d in err.value.diagnostics if d.severity == "error"]
    assert "reserved" in d.message and which.lower() in d.message.lower()
    assert d.field == "aws.vpcs.v.instances[1].private_ip"


def test_first_usable_address_is_fine(lab):
    lb = lab(vpc().replace("private_ip: 10.0.1.11", "private_ip: 10.0.1.4"))
    assert lb.trace("w2", "w1", dport=22).disposition.value == "ACCEPTED"
