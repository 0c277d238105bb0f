"""The Azure (azurerm) resource kinds of `cloudnet import terraform`, on the hand-written
folder tests/data/terraform/azure-hub: a hub with a VPN gateway to the data centre, two spokes
peered with it, NSGs, a route table, a NAT gateway and VMs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cloudnet.analysis.endpoints import destination_address, source_address
from cloudnet.analysis.packet import make_packet
from cloudnet.analysis.reach import matrix, parse_services
from cloudnet.analysis.trace import Tracer
from cloudnet.importers.terraform import load_terraform
from cloudnet.loader import compile_topology
from cloudnet.model.topology import Internet, InternetHost
from cloudnet.model.validate import validate_topology
from cloudnet.providers.onprem.model import Host

HUB = Path(__file__).parent / "data" / "terraform" / "azure-hub"


@pytest.fixture(scope="module")
def hub():
    return load_terraform(HUB)


def fields(diags) -> list[str]:
    return [d.field for d in diags]


def test_vnets_subnets_and_peerings(hub):
    topo, _ = hub
    az = topo.azure
    assert az.region == "westeurope"  # "West Europe", the one location of every VNet
    assert list(az.vnets) == ["hub", "spoke1", "spoke2"]  # for_each over a variable
    assert [(s.name, s.prefix) for s in az.vnets["hub"].subnets] == [
        ("GatewaySubnet", "10.0.255.0/27"), ("shared", "10.0.1.0/24")]
    spoke1, spoke2 = az.vnets["spoke1"], az.vnets["spoke2"]
    assert [(s.name, s.prefix, s.nsg, s.route_table, s.nat_gateway)
            for s in spoke1.subnets + spoke2.subnets] == [
        ("app", "10.1.1.0/24", "spoke-nsg", "spoke-rt", None),
        ("app", "10.2.1.0/24", "spoke-nsg", None, "spoke2-nat")]
    assert [(p.name, p.remote, p.allow_gateway_transit) for p in az.vnets["hub"].peerings] == [
        ("hub-to-spoke1", "spoke1", True), ("hub-to-spoke2", "spoke2", True)]
    # a flag computed per instance (each.key == "spoke2")
    assert [(p.remote, p.use_remote_gateways, p.allow_forwarded_traffic,
             p.allow_virtual_network_access) for p in (spoke1.peerings + spoke2.peerings)] == [
        ("hub", True, False, True), ("hub", True, True, True)]
    assert az.vnets["hub"].vpn_gateway.name == "hub-vpngw"
    assert az.vnets["hub"].vpn_gateway.asn == 65515


def test_nsgs_route_tables_nat(hub):
    topo, _ = hub
    az = topo.azure
    nsgs = {g.name: g for g in az.network_security_groups}
    # inline rules, then the separate rule resource (the Storage service tag one is left out)
    assert [(r.name, r.priority, r.direction, r.access, r.protocol, r.source,
             r.destination_ports) for r in nsgs["spoke-nsg"].rules] == [
        ("ssh-from-dc", 100, "inbound", "allow", "tcp", "192.168.10.0/24", 22),
        ("web-from-vnet", 110, "inbound", "allow", "tcp", "VirtualNetwork", [80, 443]),
        ("no-rdp", 200, "inbound", "deny", "tcp", "*", 3389)]
    assert nsgs["jump-nsg"].rules[0].source == "198.51.100.0/24"  # var.office's default
    (rt,) = az.route_tables
    assert [(u.name, u.prefix, u.next_hop) for u in rt.routes] == [
        ("dc", "192.168.10.0/24", "VirtualNetworkGateway"), ("blackhole", "10.99.0.0/16", "None")]
    (nat,) = az.nat_gateways
    assert nat.name == "spoke2-nat" and nat.public_ips[0].startswith("198.1")


def test_vms_nics_and_vpn(hub):
    topo, report = hub
    az = topo.azure
    vms = {vm.name: vm for v in az.vnets.values() for vm in v.vms}
    jump = vms["jump"]
    assert (jump.subnet, jump.private_ip, jump.nsg) == ("shared", "10.0.1.10", "jump-nsg")
    assert jump.public_ip.startswith("198.1")  # a placeholder, reported
    # Dynamic allocation: Azure's first free address, .4
    assert (vms["app1"].private_ip, vms["app2"].private_ip) == ("10.1.1.4", "10.2.1.4")
    # Two NICs, the primary first whatever the list's order; IP forwarding kept
    assert [(n.name, n.private_ip, n.ip_forwarding) for n in vms["fw"].nics] == [
        ("fw-eth0", "10.0.1.20", True), ("fw-eth1", "10.0.1.21", True)]
    (lng,) = az.local_network_gateways
    (conn,) = az.vpn_connections
    assert (lng.name, lng.address_prefixes, conn.gateway, conn.bgp) == (
        "dc", ["192.168.10.0/24"], "hub-vpngw", True)
    # The data centre behind the local network gateway becomes a site, as the topology file
    # would state it, so the connection ends at a router.
    site = topo.onprem["dc"]
    assert (lng.site_router, site.network, site.router.ip, site.router.asn) == (
        "dc-router", "192.168.10.0/24", "192.168.10.1", 65010)
    assert "modelled as site dc" in report.notes[0].message
    assert not [d for d in validate_topology(topo) if d.severity == "error"]


def test_reports(hub):
    _, report = hub
    assert fields(report.skipped) == ["azurerm_network_security_rule.from_storage",
                                      "azurerm_lb.front"]
    storage, lb = report.skipped
    assert "service tag Storage" in storage.message and storage.line == 89
    assert lb.file.endswith("azure-hub/main.tf") and lb.line == 322
    assert "load balancers" in lb.message
    assert set(fields(report.placeholders)) == {
        "azurerm_public_ip.nat.ip_address", "azurerm_public_ip.jump.ip_address",
        "azurerm_network_interface.app[0].ip_configuration[0].private_ip_address",
        "azurerm_network_interface.app[1].ip_configuration[0].private_ip_address"}
    # inline rules / routes next to separate ones: the provider's perpetual diff
    assert fields(report.findings) == ["azurerm_network_security_group.spoke.security_rule",
                                       "azurerm_route_table.spoke.route"]
    again, _ = load_terraform(HUB)  # placeholders are stable
    assert again.azure.nat_gateways[0].public_ips == hub[0].azure.nat_gateways[0].public_ips


def test_reachability(hub):
    topo = hub[0].model_copy(deep=True)
    topo.internet = Internet(hosts=[InternetHost(name="office", ip="198.51.100.7"),
                                    InternetHost(name="stranger", ip="192.0.2.9")])
    topo.onprem["dc"].hosts.append(Host(name="dc-ops", ip="192.168.10.20"))
    net = compile_topology(topo)
    cells = {(c.src, c.dst): c.verdicts
             for c in matrix(net, parse_services("22,443,3389"))}
    assert cells["office", "jump"] == {"tcp/22": "ACCEPTED", "tcp/443": "DENIED_IN",
                                       "tcp/3389": "DENIED_IN"}
    assert cells["stranger", "jump"]["tcp/22"] == "DENIED_IN"
    # over the VPN (BGP, gateway transit into the spokes); no-rdp denies 3389
    assert cells["dc-ops", "app1"] == {"tcp/22": "ACCEPTED", "tcp/443": "ACCEPTED",
                                       "tcp/3389": "DENIED_IN"}
    # spokes do not peer with each other; only spoke2 has a way out (its NAT gateway)
    assert cells["app1", "app2"]["tcp/443"] != "ACCEPTED"
    assert cells["app2", "office"]["tcp/443"] == "ACCEPTED"
    assert cells["app1", "office"]["tcp/443"] != "ACCEPTED"
    # the deny names the rule and its .tf line
    start = net.resolve("jump")
    t = Tracer(net).trace(start, make_packet(source_address(net, start),
                                             destination_address(net, "app1", start), 6, 3389))
    assert t.disposition.value == "DENIED_IN" and "no-rdp" in t.cause.detail
    assert (Path(t.cause.provenance.source).name, t.cause.provenance.line) == ("main.tf", 75)


def test_state_echoes_are_not_duplicates(tmp_path):
    """In a state, a VNet lists every subnet and an NSG every rule inline, including those of
    separate resources: the same objects, not a second copy or a perpetual diff."""
    rule = {"name": "ssh", "priority": 100, "direction": "Inbound", "access": "Allow",
            "protocol": "Tcp", "source_address_prefix": "*", "destination_port_range": "22"}
    resources = [
        ("azurerm_virtual_network", "v", {"name": "v", "address_space": ["10.0.0.0/16"],
                                          "subnet": [{"name": "a", "address_prefix":
                                                      "10.0.1.0/24"}]}),
        ("azurerm_subnet", "a", {"name": "a", "virtual_network_name": "v",
                                 "address_prefixes": ["10.0.1.0/24"]}),
        ("azurerm_network_security_group", "g", {"name": "g", "security_rule": [rule]}),
        ("azurerm_network_security_rule", "ssh", {**rule, "network_security_group_name": "g"})]
    state = {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": f"{t}.{n}", "mode": "managed", "type": t, "name": n, "values": v}
        for t, n, v in resources]}}}
    (tmp_path / "state.json").write_text(json.dumps(state))
    topo, report = load_terraform(tmp_path / "state.json")
    assert [s.name for s in topo.azure.vnets["v"].subnets] == ["a"]
    assert [r.name for r in topo.azure.network_security_groups[0].rules] == ["ssh"]
    assert not report.findings and not report.skipped


def test_bad_values_are_reported_not_raised(tmp_path):
    (tmp_path / "main.tf").write_text('''
resource "azurerm_virtual_network" "v" {
  name          = "v"
  address_space = ["10.0.0.0/16", "fd00::/48"]
}
resource "azurerm_subnet" "s" {
  name                 = "s"
  virtual_network_name = azurerm_virtual_network.v.name
  address_prefixes     = ["10.0.1.0/24"]
}
resource "azurerm_network_security_group" "g" {
  name = "g"
  security_rule {
    name                   = "odd"
    priority               = "high"
    direction              = "Inbound"
    access                 = "Allow"
    protocol               = "Tcp"
    destination_port_range = "22"
  }
}
resource "azurerm_route" "r" {
  name             = "r"
  route_table_name = "missing"
  address_prefix   = "0.0.0.0/0"
  next_hop_type    = "Internet"
}
resource "azurerm_network_interface" "n" {
  name = "n"
  ip_configuration {
    name                          = "c"
    subnet_id                     = azurerm_subnet.s.id
    private_ip_address_allocation = "Dynamic"
  }
}
''')
    topo, report = load_terraform(tmp_path)
    assert fields(report.skipped) == [
        "azurerm_virtual_network.v.address_space[1]", "azurerm_network_security_group.g"
        ".security_rule[0]", "azurerm_route.r.route_table_name", "azurerm_network_interface.n"]
    assert "IPv6" in report.skipped[0].message
    assert "missing, which is not in the import" in report.skipped[2].message
    assert "attached to no VM" in report.skipped[3].message
    assert topo.azure.vnets["v"].address_space == ["10.0.0.0/16"]


def test_cli_imports_azure(tmp_path):
    out = tmp_path / "azure.yaml"
    r = subprocess.run([sys.executable, "-m", "cloudnet.cli", "import", "terraform", str(HUB),
                        "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr  # the service-tag rule and the load balancer
    assert "3 VNet(s), 4 subnet(s), 4 VM(s); 2 not modelled" in r.stderr
    r = subprocess.run([sys.executable, "-m", "cloudnet.cli", "validate", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "ok:" in r.stdout
