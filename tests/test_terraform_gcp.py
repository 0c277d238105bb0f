"""The GCP (google) resource kinds of `cloudnet import terraform`, on the hand-written folder
tests/data/terraform/gcp-net: a global network in two regions with tagged firewall rules,
Cloud NAT, an HA VPN to the data centre, and a peered network."""

from __future__ import annotations

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

NET = Path(__file__).parent / "data" / "terraform" / "gcp-net"


@pytest.fixture(scope="module")
def gcp():
    return load_terraform(NET)


def fields(diags) -> list[str]:
    return [d.field for d in diags]


def test_networks_subnets_peerings(gcp):
    topo, _ = gcp
    project = topo.gcp.projects["shop-prod"]  # var.project
    shared, ops = project.networks["shared"], project.networks["ops"]
    assert (shared.mode, shared.routing_mode, shared.default_internet_route) == (
        "custom", "global", True)
    assert ops.default_internet_route is False  # delete_default_routes_on_create
    assert [(s.name, s.region, s.cidr) for s in shared.subnets] == [
        ("web-east", "us-east1", "10.10.1.0/24"), ("app-east", "us-east1", "10.10.2.0/24"),
        ("app-west", "europe-west1", "10.20.2.0/24")]
    assert [(p.name, p.network, p.export_custom_routes, p.import_custom_routes)
            for p in shared.peerings + ops.peerings] == [
        ("shared-to-ops", "ops", True, False), ("ops-to-shared", "shared", False, True)]
    assert [(r.name, r.destination, r.priority, r.next_hop_instance, r.tags)
            for r in shared.routes] == [("via-fw", "172.16.0.0/12", 900, "fw-1", ["app"])]
    assert [(r.name, r.next_hop_gateway) for r in ops.routes] == [
        ("ops-egress", "default-internet-gateway")]


def test_firewall_rules(gcp):
    topo, _ = gcp
    rules = {r.name: r for r in topo.gcp.projects["shop-prod"].networks["shared"].firewall_rules}
    web = rules["allow-web"]
    assert ([(p.protocol, p.ports) for p in web.protocols], web.target_tags,
            web.source_ranges) == ([("tcp", [80, 443])], ["web"], ["0.0.0.0/0"])
    app = rules["allow-app-from-web"]
    assert (app.source_tags, app.target_tags, app.priority) == (["web"], ["app"], 1000)
    # for_each with a priority per key
    assert (rules["allow-icmp-internal"].priority, rules["allow-ssh-internal"].priority) == (
        1000, 1100)
    deny = rules["deny-west-egress-ssh"]
    assert (deny.direction, deny.action, deny.priority, deny.target_tags,
            deny.destination_ranges) == ("egress", "deny", 900, ["west"], ["0.0.0.0/0"])


def test_instances_router_nat_vpn(gcp):
    topo, report = gcp
    project = topo.gcp.projects["shop-prod"]
    vms = {i.name: i for i in project.instances}
    assert (vms["web-1"].ip, vms["web-1"].tags) == ("10.10.1.10", ["web"])
    assert vms["web-1"].external_ip.startswith("198.1")  # the reserved address's placeholder
    assert (vms["app-2"].subnet, vms["app-2"].zone, vms["app-2"].tags) == (
        "app-west", "europe-west1-b", ["app", "west"])
    fw = vms["fw-1"]
    assert [(n.subnet, n.ip) for n in fw.interfaces] == [("app-east", "10.10.2.5"),
                                                          ("ops-1", "10.30.0.5")]
    assert fw.can_ip_forward and fw.service_account == "fw@shop-prod.iam.gserviceaccount.com"
    (router,) = project.routers
    assert (router.name, router.asn, router.advertise_mode, router.advertised_prefixes) == (
        "cr-east", 65010, "custom", ["10.10.0.0/16", "10.20.0.0/16"])
    (nat,) = router.nats
    assert (nat.subnets, nat.nat_ips) == (["app-east"], ["34.100.0.100"])
    (gw,) = project.vpn_gateways
    assert [(t.name, t.interface, t.router, t.peer, t.advertised_priority)
            for t in gw.tunnels] == [("tun-east-0", 0, "cr-east", "dc-router", 100),
                                     ("tun-east-1", 1, "cr-east", "dc-router", 200)]
    # the external VPN gateway's site: its ASN from the router peers, a placeholder LAN
    site = topo.onprem["dc"]
    assert (site.router.asn, site.network) == (65001, "100.64.0.0/24")
    assert any("placeholder LAN" in d.message for d in report.notes)
    assert not [d for d in validate_topology(topo) if d.severity == "error"]


def test_reports(gcp):
    _, report = gcp
    assert fields(report.skipped) == ["google_compute_subnetwork.ops.secondary_ip_range[0]",
                                      "google_compute_forwarding_rule.web"]
    alias, lb = report.skipped
    assert "alias IPs" in alias.message and alias.line == 34
    assert lb.file.endswith("gcp-net/main.tf") and lb.line == 288
    assert "load balancers" in lb.message
    assert set(fields(report.placeholders)) == {
        "google_compute_address.web.address",
        "google_compute_instance.app[0].network_interface[0].network_ip",
        "google_compute_instance.app[1].network_interface[0].network_ip"}
    vms = {i.name: i.ip for i in gcp[0].gcp.projects["shop-prod"].instances}
    again, _ = load_terraform(NET)  # placeholders are stable
    assert {i.name: i.ip for i in again.gcp.projects["shop-prod"].instances} == vms


def test_reachability(gcp):
    topo = gcp[0].model_copy(deep=True)
    topo.internet = Internet(hosts=[InternetHost(name="client", ip="198.51.100.7")])
    topo.onprem["dc"].hosts.append(Host(name="dc-ops", ip="100.64.0.20"))
    net = compile_topology(topo)
    cells = {(c.src, c.dst): c.verdicts
             for c in matrix(net, parse_services("22,443,8080"))}
    # allow-app-from-web targets the tag app: app-1 and app-2 admit web-1, untagged db-1 not
    assert cells["web-1", "app-1"]["tcp/8080"] == "ACCEPTED"
    assert cells["web-1", "app-2"]["tcp/8080"] == "ACCEPTED"
    assert cells["web-1", "db-1"]["tcp/8080"] == "DENIED_IN"
    assert cells["app-1", "db-1"]["tcp/8080"] == "DENIED_IN"  # the source tag is web
    assert cells["client", "web-1"] == {"tcp/22": "DENIED_IN", "tcp/443": "ACCEPTED",
                                        "tcp/8080": "DENIED_IN"}
    # west's egress SSH deny (priority 900) beats allow-ssh-internal
    assert cells["app-2", "app-1"]["tcp/22"] == "DENIED_OUT"
    assert cells["app-1", "app-2"]["tcp/22"] == "ACCEPTED"
    # Cloud NAT serves app-east only
    assert cells["app-1", "client"]["tcp/443"] == "ACCEPTED"
    assert cells["app-2", "client"]["tcp/443"] != "ACCEPTED"
    # the data centre reaches web-1 over the HA VPN (routes by BGP)
    assert cells["dc-ops", "web-1"]["tcp/443"] == "ACCEPTED"
    start = net.resolve("web-1")
    t = Tracer(net).trace(start, make_packet(source_address(net, start),
                                             destination_address(net, "db-1", start), 6, 8080))
    assert t.disposition.value == "DENIED_IN"


def test_bad_values_are_reported_not_raised(tmp_path):
    (tmp_path / "main.tf").write_text('''
resource "google_compute_network" "n" {
  name = "n"
  auto_create_subnetworks = false
}
resource "google_compute_subnetwork" "s" {
  name          = "s"
  network       = google_compute_network.n.id
  ip_cidr_range = "10.0.0.0/33"
}
resource "google_compute_firewall" "f" {
  name    = "f"
  network = google_compute_network.n.name
  allow {
    protocol = "tcp"
    ports    = [google_compute_network.n.id]
  }
}
resource "google_compute_instance" "i" {
  name = "i"
  network_interface {
    subnetwork = "projects/p/regions/r/subnetworks/elsewhere"
  }
}
''')
    topo, report = load_terraform(tmp_path)
    assert fields(report.skipped) == ["google_compute_subnetwork.s.ip_cidr_range",
                                      "google_compute_firewall.f.allow[0]",
                                      "google_compute_instance.i.network_interface[0]"
                                      ".subnetwork"]
    assert "not in the import" in report.skipped[2].message
    # no project argument: the provider block's, said once
    assert fields(report.notes) == ["google_compute_network.n.project"]
    assert list(topo.gcp.projects) == ["default-project"]


def test_cli_imports_gcp(tmp_path):
    out = tmp_path / "gcp.yaml"
    r = subprocess.run([sys.executable, "-m", "cloudnet.cli", "import", "terraform", str(NET),
                        "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr  # the alias range and the load balancer
    assert "2 network(s), 4 subnet(s), 5 instance(s); 2 not modelled" in r.stderr
    assert "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "cloudnet.cli", "validate", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "ok:" in r.stdout
