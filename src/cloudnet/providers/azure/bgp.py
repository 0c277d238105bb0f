"""Azure's BGP speakers and the links they run over: VPN gateways, ExpressRoute gateways and
circuits.  The provider states who peers with whom and where learned routes land, with
Azure's preference classes; controlplane/bgp.py computes the routes.

- A VNet gateway (AS 65515 by default) advertises its VNet's address space and that of the
  spokes using it by gateway transit; what it learns goes into its own table and into every
  subnet table of those VNets whose route table does not disable gateway propagation
  (GatewaySubnet always propagates).  There a learned route never overrides the system route
  of the VNet or a peered VNet, even when it is more specific.
- An ExpressRoute circuit is Microsoft's edge (AS 12076): two eBGP sessions with the site
  (primary, secondary), each over its own link of the circuit's bandwidth; a session that
  receives more than 4,000 prefixes (10,000 with Premium) goes down.  Gateways connect to the
  circuit with a weight; ExpressRoute routes beat VPN routes for the same prefix.
- A VPN connection without BGP routes its local network gateway's prefixes statically.
"""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Address, IPv4Network

from ...ir import build
from ...ir.model import BgpNeighbor, BgpSession, BgpSpeaker, Install, Node, NodeKind, Provenance
from ..aws.index import safe_net
from ..onprem.compile import site_neighbor
from .index import GATEWAY_SUBNET

MICROSOFT_ASN = 12076
PREFIX_LIMIT = {"standard": 4000, "premium": 10000}
OWN_WHY = "Azure prefers the system route of the VNet or a peered VNet over a gateway route, " \
          "even a more specific one"


def router_id(name: str) -> IPv4Address:
    """A stable router id for a gateway that has no address of its own."""
    return IPv4Address(int(hashlib.sha1(name.encode()).hexdigest()[:8], 16))


def protected_why(prefix: IPv4Network, protected: list[IPv4Network]) -> str:
    return OWN_WHY if any(prefix.subnet_of(p) for p in protected) else ""


def served(c, gvnet: str) -> list[IPv4Network]:
    """The address space a gateway VNet's gateways route to: its own and its spokes'."""
    return [n for v in [gvnet, *c.ix.spokes(gvnet)] for n in c.ix.vnet_nets[v]]


def gateway_speaker(c, vname: str, gw, prov: Provenance) -> None:
    c.net.bgp[gw.name] = BgpSpeaker(gw.name, gw.asn, router_id(gw.name),
                                    [(n, prov) for n in served(c, vname)], prov)


def _installs(c, gvnet: str, gw: str, conn_iface: str, er: bool) -> list[Install]:
    kind = "BGP (ExpressRoute)" if er else "BGP (VPN)"
    pref = c.PREF["expressroute" if er else "vpn"]
    out = [Install(gw, "main", conn_iface, (1,), kind, protected=tuple(served(c, gvnet)),
                   protected_why=OWN_WHY)]
    for v in [gvnet, *c.ix.spokes(gvnet)]:
        protected = tuple(c.ix.vnet_nets[v] + c.ix.peer_nets(v))
        for s in c.azure.vnets[v].subnets:
            rt = c.ix.route_tables.get(s.route_table or "")
            if rt is not None and rt.disable_bgp_route_propagation and s.name != GATEWAY_SUBNET:
                continue
            out.append(Install(v, f"subnet:{s.name}", gw, pref, kind, protected=protected,
                               protected_why=OWN_WHY))
    return out


def vpn_connection(c, conn) -> None:
    lng = c.ix.lngs[conn.local_network_gateway]
    router = c.ix.site_routers[lng.site_router]
    gw, gvnet = conn.gateway, c.ix.vpn_gws[conn.gateway]
    prov = conn.provenance(f"VPN connection {conn.name} ({gw} -> {router})")
    build.p2p(c.net, (gw, conn.name), (router, conn.name), prov, a_table="main",
              b_table="main")
    if conn.bgp:
        c.net.sessions.append(BgpSession(
            conn.name, BgpNeighbor(gw, conn.name, weight=conn.routing_weight,
                                   install=_installs(c, gvnet, gw, conn.name, er=False)),
            site_neighbor(router, conn.name), conn.provenance(f"BGP over VPN {conn.name}")))
        return
    main = c.net.nodes[gw].tables["main"]
    for j, p in enumerate(lng.address_prefixes):
        prefix = IPv4Network(p)
        rp = lng.provenance(f"{prefix} of local network gateway {lng.name} (VPN connection "
                            f"{conn.name})", "address_prefixes", j)
        main.routes.append(build.forward(prefix, conn.name, rp, kind="local network gateway",
                                         preference=(1,), target=router,
                                         inactive=protected_why(prefix, served(c, gvnet))))
        c.gw_static.setdefault(gvnet, []).append((prefix, gw, rp))


def circuit(c, circ) -> None:
    router = c.ix.site_routers[circ.site_router]
    prov = circ.provenance(f"ExpressRoute circuit {circ.name} (Microsoft edge, AS "
                           f"{MICROSOFT_ASN})")
    node = c.net.add_node(Node(circ.name, NodeKind.GATEWAY, "azure", "expressroute-circuit",
                               provenance=prov, origin_table="main",
                               attrs={"asn": str(MICROSOFT_ASN), "sku": circ.sku,
                                      "bandwidth_mbps": str(circ.bandwidth_mbps)}))
    build.table(node, "main", prov)
    c.net.bgp[circ.name] = BgpSpeaker(circ.name, MICROSOFT_ASN, router_id(circ.name), [], prov)
    for side, sub in (("primary", circ.primary_subnet), ("secondary", circ.secondary_subnet)):
        site_iface = f"{circ.name}-{side}"
        sp = circ.provenance(f"{side} link of ExpressRoute circuit {circ.name}",
                             f"{side}_subnet" if sub else "bandwidth_mbps")
        build.p2p(c.net, (circ.name, side), (router, site_iface), sp, a_table="main",
                  b_table="main")
        c.net.links[f"{circ.name}:{side}--{router}:{site_iface}"].bandwidth_mbps = \
            circ.bandwidth_mbps
        ms = customer = None
        if sub:  # the customer takes the /30's first host, Microsoft the second
            n = IPv4Network(sub)
            customer, ms = n[1], n[2]
            node.interfaces[side].addresses.append((ms, n))
            c.net.nodes[router].interfaces[site_iface].addresses.append((customer, n))
        c.net.sessions.append(BgpSession(
            site_iface,
            BgpNeighbor(circ.name, side, ms, max_prefixes=PREFIX_LIMIT[circ.sku], install=[
                Install(circ.name, "main", side, (1,), "BGP (ExpressRoute private peering)")]),
            site_neighbor(router, site_iface, customer),
            circ.provenance(f"{side} BGP session of ExpressRoute circuit {circ.name}")))


def er_connection(c, conn) -> None:
    gw, gvnet = conn.gateway, c.ix.er_gws[conn.gateway]
    prov = conn.provenance(f"ExpressRoute connection {conn.name} ({gw} -> {conn.circuit})")
    build.p2p(c.net, (gw, conn.name), (conn.circuit, conn.name), prov, a_table="main",
              b_table="main")
    c.net.sessions.append(BgpSession(
        conn.name,
        BgpNeighbor(gw, conn.name, weight=conn.routing_weight,
                    install=_installs(c, gvnet, gw, conn.name, er=True)),
        BgpNeighbor(conn.circuit, conn.name, install=[
            Install(conn.circuit, "main", conn.name, (1,), "BGP (ExpressRoute gateway)")]),
        prov))


def onprem_prefixes(c, gvnet: str) -> list[IPv4Network]:
    """On-premises ranges a gateway VNet reaches (part of the VirtualNetwork service tag): the
    static prefixes of its local network gateways, and every prefix its gateways learned by
    BGP (a site's own and what it re-advertises, e.g. another cloud's) — known once BGP is
    computed, when `complete_azure` rebuilds the NSG filters with them."""
    vnet = c.azure.vnets[gvnet]
    out: list[IPv4Network] = []
    if vnet.vpn_gateway is not None:
        for conn in c.azure.vpn_connections:
            lng = c.ix.lngs.get(conn.local_network_gateway)
            if conn.gateway == vnet.vpn_gateway.name and lng is not None and not conn.bgp:
                out += [n for n in map(safe_net, lng.address_prefixes) if n]
    for gw in vnet.gateways():
        node = c.net.nodes.get(gw.name)
        out += [r.prefix for t in node.tables.values() for r in t.routes if r.bgp] \
            if node else []
    return out
