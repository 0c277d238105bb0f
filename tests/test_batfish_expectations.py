"""Every flow Batfish's own tests trace on its AWS snapshots: same disposition, same hops.

Expectations are read from shared/testdata/batfish-aws/*/expected.yaml.  Where that file is
ambiguous or the snapshot lacks what Batfish's test supplied, the fix is stated here, with the
Batfish test it comes from:
- Batfish models a VPC peering as a direct VPC-to-VPC edge; cloudnet shows the pcx hop, so
  pcx-… nodes are left out of the comparison.
- A flow of protocol `any` is IP protocol 0, as Batfish's Flow builder makes it.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest
import yaml

from cloudnet.analysis.endpoints import EndpointError, source_address
from cloudnet.analysis.packet import make_packet, parse_proto
from cloudnet.analysis.trace import Tracer
from cloudnet.loader import compile_topology, load_model
from cloudnet.providers.onprem.model import Router, Site, SiteRoute

SNAPSHOTS = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "batfish-aws"

# test-nat-gateway/expected.yaml repeats one `flow` for three traces (a copying slip); the
# flows below are those of AwsConfigurationNatGatewayTest: testUnsupportedIpProtocol (IP
# protocol 107), testNonSessionPacket (to the NAT's elastic IP) and testIntraSubnetPacket.
NAT_FLOWS = [
    {"ingress": "i-0a128d26e59be60f3", "src_ip": "10.1.1.98", "dst_ip": "8.8.8.8",
     "protocol": "107"},
    {"ingress": "internet", "src_ip": "8.8.8.8", "dst_ip": "3.135.127.225", "protocol": "tcp",
     "dst_port": 80},
    {"ingress": "i-0b31b509174d7f5de", "src_ip": "10.1.250.116", "dst_ip": "10.1.250.210",
     "protocol": "tcp", "dst_port": 80},
]

# expected.yaml lists only the ingress node for this flow (Batfish's test asserts only the
# disposition); the path in Batfish's model ends at the subnet that owns 10.10.10.0/24.
PEERING_NEIGHBOR = ["i-0b14080af811fda3d", "subnet-0ebf6378a79a3e534", "vpc-00a31ce9d0c06675c",
                    "vpc-0404e08ceddf7f650", "subnet-006a19c846f047bd7"]


def complete(snapshot: str, topo) -> None:
    """Add by hand what Batfish's tests take from outside the describe JSON."""
    if snapshot == "test-public-subnet":
        # Batfish knows 54.191.107.23 is AWS space from AWS's ip-ranges.json (54.184.0.0/13 is
        # EC2 us-west-2), which a snapshot does not hold.
        topo.aws.public_ranges.append("54.184.0.0/13")
    if snapshot == "test-direct-connect-gateway":
        # configs/onprem-router.txt, modelled by hand: Loopback0 10.10.0.1; BGP AS 65001 to the
        # DX gateway (169.254.10.1) and over the VPN tunnel to the TGW (169.254.20.1),
        # announcing 10.10.0.0/16.  It learns 10.0.0.0/8 from the DX gateway (the allowed
        # prefix) and 10.100.0.0/16 over the VPN (the VPC propagated into the TGW table), so
        # the more specific VPN route carries traffic to the VPC.
        (dx,) = topo.aws.direct_connect_gateways
        (vpn,) = topo.aws.vpn_connections
        topo.onprem["onprem"] = Site(
            network="10.10.0.0/24",
            router=Router(name="onprem-router", ip="10.10.0.1", routes=[
                SiteRoute(destination="10.0.0.0/8", via=dx.name),
                SiteRoute(destination="10.100.0.0/16", via=vpn.name)]),
            hosts=[])
        dx.site_router = "onprem-router"
        dx.onprem_prefixes = ["10.10.0.0/16"]
        vpn.customer_gateway = "onprem-router"
        vpn.static_routes = ["10.10.0.0/16"]  # what BGP learns from the site
    if snapshot == "test-vpn-gateway":
        # configs/vpn-03701a53bba3c48b7.txt, modelled by hand: Ethernet0/0 1.1.1.2/30 is the
        # tunnels' source; BGP AS 65000 to the VGW with default-originate (it announces
        # 0.0.0.0/0) and learns the VPC's 10.0.0.0/16.  It has no default route itself.
        vpn = next(v for v in topo.aws.vpn_connections if v.name == "vpn-03701a53bba3c48b7")
        router = "vpn-03701a53bba3c48b7.txt"
        topo.onprem["customer"] = Site(network="1.1.1.0/30", router=Router(
            name=router, ip="1.1.1.2",
            routes=[SiteRoute(destination="10.0.0.0/16", via=vpn.name)]))
        vpn.customer_gateway = router
        vpn.static_routes = ["0.0.0.0/0"]


def cases():
    for folder in sorted(SNAPSHOTS.glob("test-*")):
        spec = yaml.safe_load((folder / "expected.yaml").read_text())
        for i, exp in enumerate(spec["expectations"]):
            flow = dict(exp["flow"])
            if folder.name == "test-nat-gateway":
                flow = NAT_FLOWS[i]
            hops = exp["hops"]
            if folder.name == "test-vpc-peering" and exp["disposition"] == "NEIGHBOR_UNREACHABLE":
                hops = PEERING_NEIGHBOR
            yield pytest.param(folder.name, flow, exp["disposition"], hops,
                               id=f"{folder.name}-{i}")


_networks: dict[str, object] = {}


def network(snapshot: str):
    if snapshot not in _networks:
        topo, _ = load_model(SNAPSHOTS / snapshot)
        complete(snapshot, topo)
        _networks[snapshot] = compile_topology(topo)
    return _networks[snapshot]


@pytest.mark.parametrize("snapshot,flow,disposition,hops", list(cases()))
def test_batfish_expectation(snapshot, flow, disposition, hops):
    net = network(snapshot)
    start = net.resolve(flow["ingress"])
    assert start is not None, f"no node {flow['ingress']}"
    src = flow.get("src_ip")
    try:
        src_ip = IPv4Address(src) if src and not src.startswith("?") else \
            source_address(net, start)
    except EndpointError:  # a gateway with no address of its own: Batfish picks any source
        src_ip = IPv4Address("192.0.2.1")
    pkt = make_packet(src_ip, IPv4Address(flow["dst_ip"]), parse_proto(str(flow["protocol"])),
                      flow.get("dst_port"))
    result = Tracer(net).trace(start, pkt, with_reply=False)
    visited = [n for n in result.nodes if not n.startswith("pcx-")]
    assert (result.disposition.value, visited) == (disposition, hops), result.cause.detail
