"""Import of GCP Compute API JSON (shared/testdata/gcp): what is read, what is reported, and
the reachability that follows from GCP's rules."""

from __future__ import annotations

import json
import shutil
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from cloudnet.analysis.packet import make_packet
from cloudnet.analysis.trace import Tracer
from cloudnet.diagnostics import InputError
from cloudnet.loader import compile_topology, load_model, load_network
from cloudnet.providers.gcp.compute import is_compute_folder
from cloudnet.providers.gcp.model import Instance

DATA = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "gcp"
NAT1, FW = DATA / "nat1", DATA / "fw-policy"
NAT_EU = "europe-west4/public-nat-gateway"



def trace(net, src: str, s: str, d: str, proto: int = 6, dport: int = 22):
    return Tracer(net).trace(src, make_packet(IPv4Address(s), IPv4Address(d), proto, dport))


def messages(warnings) -> str:
    return "\n".join(str(w) for w in warnings)


# ---- nat1: two states of one project, no subnetworks, no firewall rules ------------------

def test_nat1_reports_what_it_cannot_take_as_is():
    _, warnings = load_model(NAT1)
    text = messages(warnings)
    assert all(w.severity == "warning" and w.line for w in warnings)
    # Two records of network nat-vpc-network (same selfLink) list different subnetworks.
    assert "nat-vpc-network appears again" in text
    # The us-central1 instances sit in a subnetwork the kept network record does not list.
    assert text.count("is neither in the export nor listed") == 4
    assert "its range is inferred as 172.16.1.0/29" in text  # .2-.5 fit a /29's usable range
    assert "no firewall rules" in text and "no routes" in text
    assert "runtime" in text  # NAT mappings and IP usage are state, not configuration


def test_nat1_instances_reach_out_through_cloud_nat_only():
    net, _ = load_network(NAT1)
    vms = sorted(n.id for n in net.nodes.values() if n.role == "instance")
    assert vms == ["private-vm-0", "private-vm-1", "private-vm-2", "private-vm-3"]
    # No external IPs; Cloud NAT serves all subnets of europe-west4: out, translated, and
    # the reply comes back (stateful NAT and firewall).
    t = trace(net, "private-vm-0", "172.16.1.5", "198.51.100.1", dport=443)
    assert t.disposition.value == "EXITS_NETWORK"
    assert t.nodes[:4] == ["private-vm-0", "nat-vpc-network", NAT_EU, "gcp-edge"]
    assert t.final.src == IPv4Address("35.204.78.175")
    assert t.reply.disposition.value == "ACCEPTED"
    # Nothing reaches them from outside: Cloud NAT is outbound only (both regions' NAT IPs).
    for ip, nat in (("35.204.78.175", NAT_EU), ("35.239.1.15", "us-central1/public-nat-gateway")):
        t = trace(net, "internet", "198.51.100.1", ip, dport=22)
        assert (t.disposition.value, t.nodes[-1]) == ("DENIED_IN", nat)


def test_nat1_instances_cannot_reach_each_other():
    # No firewall rule in the export: the implied deny-ingress rule applies, also within
    # the subnet.
    net, _ = load_network(NAT1)
    t = trace(net, "private-vm-0", "172.16.1.5", "172.16.1.4", dport=22)
    assert (t.disposition.value, t.nodes[-1]) == ("DENIED_IN", "private-vm-1")
    assert "implied rule: deny all ingress" in t.cause.detail


# ---- fw-policy: the default network's firewall rules and hierarchical policies ----------

SA = "service-12340002@compute-system.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def fw_net():
    """The export holds no instances: place a probe VM (tag bar, the rules' service account,
    an external IP) and two internal senders, one with tag foo and the service account."""
    topo, warnings = load_model(FW)
    project = next(iter(topo.gcp.projects.values()))
    project.instances += [
        Instance(name="probe", subnet="europe-west4/default", ip="10.164.0.10",
                 external_ip="203.0.113.5", tags=["bar"], service_account=SA),
        Instance(name="sender", subnet="us-central1/default", ip="10.128.0.10", tags=["foo"],
                 service_account=SA),
        Instance(name="plain", subnet="us-central1/default", ip="10.128.0.11")]
    return compile_topology(topo), warnings


def test_fw_policy_import(fw_net):
    net, warnings = fw_net
    default = net.nodes["default"]
    assert default.role == "vpc-network"
    text = messages(warnings)
    # Three hierarchical firewall policies: reported, not modelled.
    assert text.count("firewall policies are not modelled") == 3
    # The europe-west4 subnetwork appears in two files: one record, no warning.
    assert "appears again" not in text


@pytest.mark.parametrize("src,port,verdict,rule", [
    ("10.100.0.5", 1001, "DENIED_IN", "fw-test-800"),    # deny 800 beats allow 900
    ("10.100.0.5", 1006, "ACCEPTED", "fw-test-900"),     # allow 900 beats deny 950
    ("8.8.8.8", 1006, "DENIED_IN", "fw-test-950"),
    ("8.8.8.8", 1234, "ACCEPTED", "fw-test-903"),        # target tag bar
    ("8.8.8.8", 4001, "ACCEPTED", "fw-test-902"),        # target service account
    ("8.8.8.8", 22, "ACCEPTED", "default-allow-ssh"),    # priority 65534
    ("8.8.8.8", 80, "DENIED_IN", "implied rule"),
])
def test_fw_policy_rules_from_the_internet(fw_net, src, port, verdict, rule):
    net, _ = fw_net
    t = trace(net, "internet", src, "203.0.113.5", dport=port)
    assert t.disposition.value == verdict
    fw = [s for s in t.hops[-1].steps if s.kind == "filter"][0]
    assert rule in fw.detail


def test_fw_policy_source_tags_and_service_accounts(fw_net):
    net, _ = fw_net
    # From sender (service account of fw-test-901): that rule (901) decides before
    # default-allow-internal (65534); from plain, only default-allow-internal matches.
    t = trace(net, "sender", "10.128.0.10", "10.164.0.10", dport=4000)
    assert t.disposition.value == "ACCEPTED"
    assert "fw-test-901" in [s for s in t.hops[-1].steps if s.kind == "filter"][0].detail
    t = trace(net, "plain", "10.128.0.11", "10.164.0.10", dport=4000)
    assert "default-allow-internal" in [s for s in t.hops[-1].steps
                                        if s.kind == "filter"][0].detail
    # fw-test-900 admits tag foo on 1000-2000 (1001 from 10.100/24 is denied by 800 only).
    t = trace(net, "sender", "10.128.0.10", "10.164.0.10", dport=1500)
    assert "fw-test-900" in [s for s in t.hops[-1].steps if s.kind == "filter"][0].detail


# ---- reading rules ------------------------------------------------------------------------

def test_dispatch_is_by_content_not_file_name(tmp_path):
    for f in ("compute-network-default.json", "compute-effective-firewalls-default.json",
              "compute-subnetworks-aggregated.json"):
        shutil.copy(FW / f, tmp_path / f"zz-{len(f)}.json")
    assert is_compute_folder(tmp_path)
    topo, _ = load_model(tmp_path)
    net = topo.gcp.projects["gcpdiag-fw-policy-aaaa"].networks["default"]
    assert len(net.firewall_rules) == 13 and len(net.subnets) == 36


def test_bare_gcloud_list_and_unknown_objects(tmp_path):
    records = json.loads((FW / "compute-subnetworks-europe-west4.json").read_text())["items"]
    network = json.loads((FW / "compute-network-default.json").read_text())
    (tmp_path / "a.json").write_text(json.dumps([network] + records, indent=1))
    (tmp_path / "b.json").write_text(json.dumps({"kind": "compute#backendService",
                                                 "name": "be"}))
    topo, warnings = load_model(tmp_path)
    assert [s.name for s in topo.gcp.projects["gcpdiag-fw-policy-aaaa"].networks["default"]
            .subnets] == ["default"]
    (w,) = [w for w in warnings if w.file == "b.json"]
    assert "compute#backendService is not a resource cloudnet models" in w.message


def test_malformed_json_is_an_input_error(tmp_path):
    (tmp_path / "n.json").write_text('{"kind": "compute#network", "name": ')
    with pytest.raises(InputError) as err:
        load_model(tmp_path)
    (d,) = err.value.diagnostics
    assert d.file == "n.json" and "malformed JSON" in d.message


def test_aws_snapshot_is_not_a_compute_folder():
    aws = DATA.parent / "batfish-aws"
    for folder in sorted(aws.iterdir())[:3] if aws.is_dir() else []:
        assert not is_compute_folder(folder)
