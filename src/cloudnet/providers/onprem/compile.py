"""On-premises sites into IR: a LAN segment, hosts on it, and the site router.

The router's routes name the VPN connection or DX gateway they use as the outgoing
interface; the AWS provider creates those interfaces when it builds the tunnels.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from ...ir import build
from ...ir.model import BgpNeighbor, BgpSpeaker, Install, LinkKind, Network, Node, NodeKind
from .model import Site, community

BGP_PREFERENCE = (20,)  # like an eBGP administrative distance: static routes (0) win


def site_neighbor(router: str, iface: str, address=None) -> BgpNeighbor:
    """The site router's side of a session a cloud provider builds toward it."""
    return BgpNeighbor(router, iface, address, install=[
        Install(router, "main", iface, BGP_PREFERENCE, "bgp")])


def site_policies(sites: dict[str, Site], net: Network) -> None:
    """Once every provider built its sessions: the site routers' own import preferences and
    the communities they tag their announcements with."""
    prefs = {(s.router.name, link): pref for s in sites.values()
             for link, pref in s.router.local_pref.items()}
    tags = {(s.router.name, link): tuple(sorted({community(t) for t in texts}))
            for s in sites.values() for link, texts in s.router.communities.items()}
    for session in net.sessions:
        for side in (session.a, session.b):
            if (side.node, side.iface) in prefs:
                side.local_pref = prefs[(side.node, side.iface)]
            side.communities = tags.get((side.node, side.iface), side.communities)


def compile_sites(sites: dict[str, Site], net: Network) -> None:
    for site_name, site in sites.items():
        lan = IPv4Network(site.network)
        router = net.add_node(Node(site.router.name, NodeKind.ROUTER, "onprem", "site-router",
                                   provenance=site.router.provenance(
                                       f"router of site {site_name}"),
                                   origin_table="main", accepts=True,
                                   attrs={"site": site_name}))
        build.add_iface(router, "lan", "main", [(IPv4Address(site.router.ip), lan)],
                        site.provenance(f"site {site_name} network", "network"))
        for i, loop in enumerate(site.router.loopbacks):
            build.add_iface(router, f"lo{i}", "main",
                            [(IPv4Address(loop), IPv4Network(loop))],
                            site.router.provenance("loopback", "loopbacks", i))
        main = build.table(router, "main")
        main.routes.append(build.forward(lan, "lan", site.provenance(
            f"connected network of site {site_name}", "network"), kind="connected"))
        for i, r in enumerate(site.router.routes):
            main.routes.append(build.forward(
                IPv4Network(r.destination), r.via,
                r.provenance(f"static route {r.destination} via {r.via}"),
                target=r.via))

        if site.router.asn is not None:
            announce = site.router.announce or [site.network, *site.networks]
            net.bgp[router.id] = BgpSpeaker(
                router.id, site.router.asn, IPv4Address(site.router.ip),
                [(IPv4Network(p), site.router.provenance(f"{router.id} announces {p}",
                                                         "announce")) for p in announce],
                site.router.provenance(f"BGP on {router.id} (AS {site.router.asn})", "asn"))
        ends = [(router.id, "lan")]
        for i, h in enumerate(site.hosts):
            host = net.add_node(Node(h.name, NodeKind.HOST, "onprem", "host",
                                     provenance=h.provenance(f"host {h.name}"),
                                     origin_table="main", accepts=True,
                                     attrs={"site": site_name}))
            build.add_iface(host, "eth0", "main", [(IPv4Address(h.ip), lan)], host.provenance)
            t = build.table(host, "main")
            t.routes.append(build.forward(lan, "eth0", host.provenance, kind="connected"))
            t.routes.append(build.forward(IPv4Network("0.0.0.0/0"), "eth0", host.provenance,
                                          next_hop=IPv4Address(site.router.ip),
                                          target=site.router.name))
            ends.append((host.id, "eth0"))
        net.connect(f"lan:{site_name}", LinkKind.SEGMENT, ends,
                    site.provenance(f"site {site_name} LAN", "network"))
