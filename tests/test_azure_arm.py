"""Import of ARM resource JSON (shared/testdata/azure): the expected reachability of each
export, derived from Azure's semantics (stated per case), plus the importer's reports."""

from __future__ import annotations

import json
import shutil
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from cloudnet.analysis.endpoints import destination_address, source_address
from cloudnet.analysis.packet import make_packet
from cloudnet.analysis.trace import Tracer
from cloudnet.diagnostics import InputError
from cloudnet.loader import load_network
from cloudnet.providers.azure.arm import load_arm

DATA = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "azure"
PROTO = {"tcp": 6, "udp": 17, "icmp": 1}


def loaded(name: str):
    net, warnings = load_network(DATA / name)
    tracer = Tracer(net)

    def trace(src: str, dst: str, svc: str = "tcp/22"):
        proto, _, port = svc.partition("/")
        s = source_address(net, net.resolve(src))
        d = destination_address(net, dst, net.resolve(src))
        return tracer.trace(net.resolve(src), make_packet(s, d, PROTO[proto],
                                                          int(port) if port else None))
    return net, [str(w) for w in warnings], trace


def verdict(t) -> str:
    return t.disposition.value


def test_nsg_export():
    """VNet 10.0.0.0/16: VM1 (10.0.0.4) in `default`; VM2 (10.0.1.5, NIC NSG-VM) and VM3
    (10.0.1.6) in `private`, whose subnet NSG denies SSH from VM3 to VM2."""
    net, warnings, trace = loaded("test-nsg")
    # Two rules have priority 5, which Azure's API refuses: imported in order, with a warning.
    assert sum("priority 5 is outside 100-4096" in w for w in warnings) == 2
    # The subnet names in the bodies differ from their ids; the ids are what NICs reference.
    assert any("subnet name test differs from its id" in w for w in warnings)
    # Intra-subnet traffic is filtered: VM3 -> VM2 SSH meets the subnet NSG's deny (rule 5).
    t = trace("VM3", "VM2")
    assert verdict(t) == "DENIED_IN" and "DenySSHFromVm3ToVm2" in t.cause.detail
    assert verdict(trace("VM3", "VM2", "tcp/80")) == "ACCEPTED"  # only SSH is denied
    # VM1 passes the subnet NSG (its defaults admit the VNet), then NSG-VM allows SSH (rule 5)
    # and denies 8080 (rule 100).
    assert verdict(trace("VM1", "VM2")) == "ACCEPTED"
    t = trace("VM1", "VM2", "tcp/8080")
    assert verdict(t) == "DENIED_IN" and "BlockCidrBlockHttpInbound" in t.cause.detail
    # NSG-VM's outbound rule 100 denies DNS to 1.1.1.1 before anything routes it.
    t = trace("VM2", "1.1.1.1", "udp/53")
    assert (verdict(t), t.nodes) == ("DENIED_OUT", ["VM2"])
    # Other internet traffic passes the NSGs but no VM has a public IP or a NAT gateway:
    # explicit egress only, so it stops at the VNet's edge.
    t = trace("VM2", "8.8.8.8", "udp/53")
    assert (verdict(t), t.nodes) == ("DENIED_OUT", ["VM2", "VM1-vnet"])
    # Nor can the internet reach in: nothing is announced to it.
    assert not any(r.kind == "announced" for r in net.nodes["internet"].tables["main"].routes)


def test_cloud_azure_export():
    """A real export: VM1 (10.0.0.4, public IP 40.91.194.198, NIC NSG VM1-nsg) in `default`;
    VM2 (10.0.1.4, NIC NSG VM2-nsg with only defaults) in `private` behind subnet-nsg."""
    net, warnings, trace = loaded("cloud-azure")
    # The NAT gateway claims VM1's public IP, which Azure allows one owner only; the IP's own
    # ipConfiguration names VM1's NIC, so the NIC keeps it and the NAT gateway (with no other
    # IP) is not modelled.  subnet-nsg's back-reference to a VNet not in the export is noted.
    assert any("already serves NIC vm1346" in w for w in warnings)
    assert any("NAT gateway nat-gateway has no usable public IP" in w for w in warnings)
    assert any("VM1-vnet/subnets/private, which is not in the export" in w for w in warnings)
    assert "nat-gateway" not in net.nodes
    # subnet-nsg admits TCP 22-23, 80, 8080 from 10.0.0.0/24 (rule 100), denies the rest.
    assert verdict(trace("VM1", "VM2", "tcp/22")) == "ACCEPTED"
    assert verdict(trace("VM1", "VM2", "tcp/80")) == "ACCEPTED"
    t = trace("VM1", "VM2", "tcp/443")
    assert verdict(t) == "DENIED_IN" and "DenyCidrBlockCustomAnyInbound" in t.cause.detail
    # Outbound, subnet-nsg allows TCP 8080 to 10.0.0.0/24 and any UDP; VM1-nsg admits TCP 22
    # and 8080 and any UDP.
    assert verdict(trace("VM2", "VM1", "tcp/8080")) == "ACCEPTED"
    assert verdict(trace("VM2", "VM1", "udp/53")) == "ACCEPTED"
    t = trace("VM2", "VM1", "tcp/22")
    assert (verdict(t), t.nodes) == ("DENIED_OUT", ["VM2"])
    # From the internet, VM1's public IP is a 1:1 NAT; VM1-nsg decides.
    t = trace("internet", "VM1", "tcp/22")
    assert (verdict(t), t.final.dst) == ("ACCEPTED", IPv4Address("10.0.0.4"))
    assert verdict(trace("internet", "VM1", "tcp/443")) == "DENIED_IN"  # rule 320
    # VM1 goes out with its public IP; VM2 has none (and its subnet says
    # defaultOutboundAccess: false): even the UDP subnet-nsg allows stops at the edge.
    t = trace("VM1", "8.8.8.8", "tcp/443")
    assert (verdict(t), t.final.src) == ("EXITS_NETWORK", IPv4Address("40.91.194.198"))
    assert verdict(trace("VM2", "8.8.8.8", "udp/53")) == "DENIED_OUT"
    assert "DenyAnyCustomAnyOutbound" in trace("VM2", "8.8.8.8", "tcp/443").cause.detail


def test_nat_gateway_export():
    """VM1 (10.0.0.4) in `default`, which has NAT gateway 40.91.194.198; VM2 (10.0.1.5) in
    `private` with public IP 80.41.19.20.  No NSGs: everything inside is allowed."""
    net, warnings, trace = loaded("test-nat-gateway")
    # public-ip-address-2's read-only ipConfiguration names VM1's NIC, but VM2's NIC refers to
    # it: the writable side wins.
    assert any("public-ip-address-2 names" in w and "NIC vm235 uses it" in w for w in warnings)
    t = trace("VM1", "8.8.8.8", "tcp/443")
    assert t.nodes[:3] == ["VM1", "VM1-vnet", "nat-gateway-subnet1"]
    assert t.final.src == IPv4Address("40.91.194.198")
    assert verdict(trace("VM1", "8.8.8.8", "icmp")) == "DENIED_IN"  # NAT: TCP and UDP only
    t = trace("VM2", "8.8.8.8", "tcp/443")
    assert "nat-gateway-subnet1" not in t.nodes and t.final.src == IPv4Address("80.41.19.20")
    assert verdict(trace("internet", "VM2", "tcp/22")) == "ACCEPTED"
    t = trace("internet", "40.91.194.198", "tcp/22")  # a NAT gateway takes no connections
    assert (verdict(t), t.nodes[-1]) == ("DENIED_IN", "nat-gateway-subnet1")
    assert verdict(trace("VM1", "VM2", "tcp/22")) == "ACCEPTED"


def copy(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copytree(DATA / name, dst)
    return dst


def test_dispatch_on_type_and_id_not_file_name(tmp_path):
    folder = copy(tmp_path, "test-nsg")
    for i, f in enumerate(sorted((folder / "azure_configs").glob("*.json"))):
        f.rename(f.with_name(f"resource-{i}.json"))
    azure, _ = load_arm(folder)
    original, _ = load_arm(DATA / "test-nsg")
    assert azure.model_dump() == original.model_dump()


def test_list_response_and_unmodelled_resources(tmp_path):
    folder = copy(tmp_path, "test-nat-gateway")
    configs = folder / "azure_configs"
    bodies = [json.loads(f.read_text()) for f in sorted(configs.glob("*.json"))]
    for f in configs.glob("*.json"):
        f.unlink()
    bodies.append({"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/"
                         "loadBalancers/lb", "type": "Microsoft.Network/loadBalancers"})
    bodies.append({"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/"
                         "virtualNetworkGateways/gw",
                   "type": "Microsoft.Network/virtualNetworkGateways"})
    (configs / "all.json").write_text(json.dumps({"value": bodies}, indent=1))
    azure, warnings = load_arm(folder)
    assert set(azure.vnets) == {"VM1-vnet"} and [n.name for n in azure.nat_gateways] == \
        ["nat-gateway-subnet1"]
    text = [str(w) for w in warnings]
    assert any("Microsoft.Network/loadBalancers is not modelled" in w and "all.json" in w
               for w in text)
    assert any("VNet gateway gw not imported: an export holds no on-premises side" in w
               for w in text)


def test_malformed_input_is_an_input_error(tmp_path):
    folder = copy(tmp_path, "test-nsg")
    (folder / "azure_configs" / "broken.json").write_text('{"id": "x",\n "type": ')
    (folder / "azure_configs" / "notype.json").write_text('{"id": "x"}')
    with pytest.raises(InputError) as err:
        load_arm(folder)
    text = [str(d) for d in err.value.diagnostics]
    assert any(t.startswith("azure_configs/broken.json:") and "malformed JSON" in t
               for t in text)
    assert any(t.startswith("azure_configs/notype.json:1: type:") and "missing field type" in t
               for t in text)


def test_bad_reference_and_address_reported_with_location(tmp_path):
    folder = copy(tmp_path, "cloud-azure")
    nic = folder / "azure_configs" / "vm235.json"
    nic.write_text(nic.read_text().replace('"10.0.1.4"', '"10.0.1.400"'))
    with pytest.raises(InputError) as err:
        load_arm(folder)
    d = err.value.diagnostics[0]
    assert (d.file, d.field) == ("azure_configs/vm235.json",
                                 "properties.ipConfigurations[0].properties.privateIPAddress")
    assert "'10.0.1.400' is not an IPv4 address" in d.message and d.line
