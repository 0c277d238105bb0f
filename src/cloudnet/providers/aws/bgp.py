"""AWS's BGP speakers toward sites that speak BGP: VPN gateways, transit gateways and Direct
Connect gateways.  The provider states who peers with whom, what each side may send, and
where learned routes land (with AWS's preference classes); controlplane/bgp.py computes.

- A virtual private gateway advertises its VPC's CIDRs; what it learns goes into its own table
  and, as propagated routes, into the VPC route tables that propagate from it (never over the
  VPC's local range).
- A transit gateway advertises, on each VPN attachment, the routes of the table that attachment
  is associated with; what it learns goes into the tables the attachment propagates to.
- A Direct Connect gateway advertises exactly its allowed prefixes (not the VPC CIDRs inside
  them) over each of its transit VIFs; what it learns goes to the transit gateway tables its
  attachment propagates to, where Direct Connect beats VPN for equal prefixes.  Among its
  VIFs, the site's local-preference communities decide before the AS path.
"""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Address, IPv4Network

from ...ir.model import BgpNeighbor, BgpSession, BgpSpeaker, Install, Network, RouteAction
from ..onprem.compile import site_neighbor

LOCAL_WHY = "a propagated route never overrides the VPC's local route"
# Direct Connect's local-preference communities (low, medium, high), compared before the AS
# path.  AWS does not say where untagged routes rank; here they rank as medium.
DX_COMMUNITY_PREF = {(7224, 7100): 100, (7224, 7200): 200, (7224, 7300): 300}
DX_UNTAGGED_PREF = 200


def router_id(name: str) -> IPv4Address:
    """A stable router id for a gateway that has no address of its own."""
    return IPv4Address(int(hashlib.sha1(name.encode()).hexdigest()[:8], 16))


def speaker(net: Network, node: str, asn: int, originate, provenance) -> BgpSpeaker:
    if node not in net.bgp:
        net.bgp[node] = BgpSpeaker(node, asn, router_id(node), [], provenance)
    sp = net.bgp[node]
    known = {p for p, _ in sp.originate}
    sp.originate += [(p, pr) for p, pr in originate if p not in known]
    return sp


def vgw_sessions(c, conn) -> None:
    """A BGP VPN on a virtual private gateway whose site router speaks BGP."""
    net, ix = c.net, c.ix
    gw = net.nodes[conn.gateway]
    vpc = ix.vgws[conn.gateway]
    router = ix.site_routers[conn.customer_gateway]
    cidrs = ix.vpc_cidrs[vpc]
    speaker(net, gw.id, int(gw.attrs["asn"]), [(p, gw.provenance) for p in cidrs],
            gw.provenance)
    installs = [Install(gw.id, "main", conn.name, c.PREF["propagated (VPN BGP)"],
                        "propagated (VPN BGP)")]
    for rtb in ix.route_tables[vpc].values():
        if conn.gateway not in rtb.propagate:
            continue
        common = dict(preference=c.PREF["propagated (VPN BGP)"], kind="propagated (VPN BGP)",
                      protected=tuple(cidrs), protected_why=LOCAL_WHY)
        installs.append(Install(vpc, f"rtb:{rtb.name}", conn.gateway, **common))
        for s in c.aws.vpcs[vpc].subnets:
            if ix.subnet_rtb(vpc, s) == rtb.name:
                installs.append(Install(s.name, "out", "vpc", **common))
    net.sessions.append(BgpSession(
        conn.name, BgpNeighbor(gw.id, conn.name, install=installs),
        site_neighbor(router, conn.name), conn.provenance(f"BGP over VPN {conn.name}")))


def tgw_sessions(c, tgw, att, conn) -> None:
    """A BGP VPN attachment: export the associated table, learn into propagated tables."""
    net, ix = c.net, c.ix
    node = net.nodes[tgw.name]
    router = ix.site_routers[conn.customer_gateway]
    assoc = att.associate or tgw.default_route_table
    exported = tuple(r.prefix for r in node.tables[assoc].routes
                     if r.action is RouteAction.FORWARD and not r.inactive)
    speaker(net, tgw.name, tgw.asn, [(p, node.provenance) for p in exported], node.provenance)
    installs = [Install(tgw.name, t, f"att:{att.name}", c.TGW_PREF["propagated (VPN)"],
                        "propagated (VPN BGP)") for t in _propagates(tgw, att)]
    net.sessions.append(BgpSession(
        conn.name, BgpNeighbor(tgw.name, f"att:{att.name}", export_prefixes=exported,
                               install=installs),
        site_neighbor(router, conn.name), conn.provenance(f"BGP over VPN {conn.name}")))


def dx_sessions(c, tgw, att, dx) -> None:
    """Transit VIFs: over each, the DX gateway advertises its allowed prefixes and learns the
    site's (the gateway's own `site_router` is one VIF named after it)."""
    net = c.net
    node = net.nodes[dx.name]
    allowed = [IPv4Network(p) for p in dx.allowed_prefixes]
    speaker(net, dx.name, dx.asn, [(p, dx.provenance(f"allowed prefix {p}", "allowed_prefixes"))
                                   for p in allowed], node.provenance)
    vifs = [(v.name, v.name, conn.site_router, v.provenance(f"BGP over Direct Connect VIF "
                                                           f"{v.name}"))
            for conn, v in c.vifs[dx.name]] or \
        [("site", dx.name, dx.site_router, dx.provenance(f"BGP over Direct Connect {dx.name}"))]
    for iface, name, site, prov in vifs:
        installs = [Install(dx.name, "main", iface, c.TGW_PREF["propagated (Direct Connect)"],
                            "bgp (Direct Connect)")]
        installs += [Install(tgw.name, t, f"att:{att.name}",
                             c.TGW_PREF["propagated (Direct Connect)"],
                             "propagated (Direct Connect)") for t in _propagates(tgw, att)]
        net.sessions.append(BgpSession(
            name, BgpNeighbor(dx.name, iface, export_prefixes=tuple(allowed),
                              local_pref=DX_UNTAGGED_PREF,
                              community_local_pref=dict(DX_COMMUNITY_PREF), install=installs),
            site_neighbor(c.ix.site_routers[site], name), prov))


def _propagates(tgw, att) -> list[str]:
    if att.propagate is not None:
        return list(att.propagate)
    return [tgw.default_route_table] if tgw.default_route_table else []
