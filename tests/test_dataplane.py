"""The live data plane on the real kernel (root): labs go up, real packets agree with the model,
live changes keep connections, drift is found and repaired, crashes converge, labs are
isolated, and nothing is left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from cloudnet.dataplane.compare import all_pairs, all_services, compare
from cloudnet.dataplane.linux import controller, names
from cloudnet.dataplane.linux.kernel import inside, namespaces
from cloudnet.dataplane.linux.plan import plan
from cloudnet.dataplane.linux.probe import Flow, Prober
from cloudnet.loader import load_network

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")


@pytest.fixture
def labs():
    """Lab names for a test; every one is taken down afterwards, whatever happened."""
    made: list[str] = []

    def new(tag: str) -> str:
        name = names.lab_name(f"t{os.getpid() % 10000}-{tag}")
        made.append(name)
        return name
    yield new
    for name in made:
        controller.down(name)
        assert namespaces(names.lab_prefix(name)) == []


def up(topology, lab: str):
    net, _ = load_network(topology)
    lab_plan = plan(net, lab)
    return net, lab_plan, controller.Controller(lab_plan).up()


@pytest.mark.parametrize("example", ["three-tier.yaml", "hub-and-spoke.yaml",
                                     "peering-triangle.yaml"])
def test_example_up_probe_all_agree_down(labs, example):
    lab = labs(example.split(".")[0][:8])
    net, lab_plan, report = up(EXAMPLES / example, lab)
    assert set(namespaces(names.lab_prefix(lab))) == set(lab_plan.namespaces)
    verdicts = compare(net, lab_plan, all_pairs(net), all_services(net))
    bad = [v.to_json() for v in verdicts if not v.agree]
    assert not bad
    assert any(v.live for v in verdicts) and any(not v.live for v in verdicts)
    assert controller.down(lab) == len(lab_plan.namespaces)
    assert namespaces(names.lab_prefix(lab)) == []


def _changed_topology(tmp_path: Path) -> Path:
    doc = yaml.safe_load((EXAMPLES / "three-tier.yaml").read_text())
    web = doc["aws"]["vpcs"]["shop"]["security_groups"][0]
    web["ingress"][0]["ports"] = 8443  # HTTPS moves: 443 is no longer allowed
    path = tmp_path / "three-tier.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_live_rule_change_keeps_established_connections(labs, tmp_path):
    lab = labs("live")
    net, lab_plan, _ = up(EXAMPLES / "three-tier.yaml", lab)
    client, web = lab_plan.node_ns["client"], lab_plan.node_ns["web-1"]
    with inside(web):
        server = socket.create_server(("0.0.0.0", 443))
    with inside(client):
        conn = socket.create_connection(("203.0.113.10", 443), timeout=2)
    accepted, _ = server.accept()
    try:
        conn.sendall(b"before")
        assert accepted.recv(16) == b"before"
        net2, plan2, report = up(_changed_topology(tmp_path), lab)
        applied = [r.ns for r in report.namespaces if r.nft_applied]
        assert applied == [web] and report.changed == 1  # one transaction, one namespace
        conn.sendall(b"after")  # the established connection survives (conntrack is kept)
        assert accepted.recv(16) == b"after"
        accepted.sendall(b"reply")
        assert conn.recv(16) == b"reply"
        v443, v8443 = compare(net2, plan2, [("client", "web-1")], ["tcp/443", "tcp/8443"])
        assert (v443.model, v443.live) == (False, False)
        assert (v8443.model, v8443.live) == (True, True)
    finally:
        conn.close()
        accepted.close()
        server.close()


def _sh(cmd: str) -> None:
    subprocess.run(cmd, shell=True, check=True, capture_output=True)


def test_drift_is_reported_and_repaired(labs):
    lab = labs("drift")
    net, lab_plan, _ = up(EXAMPLES / "three-tier.yaml", lab)
    ns = lab_plan.node_ns
    _sh(f"ip -n {ns['shop']} route flush table 101")  # a route table emptied
    _sh(f"ip netns exec {ns['db-1']} nft delete table inet cloudnet")  # a ruleset removed
    _sh(f"ip -n {ns['app-1']} link set dev {lab_plan.dev_of('app-1', 'eth0')} down")
    _sh(f"ip -n {ns['public-a']} rule del pref 1000")
    _sh(f"ip netns del {ns['mirror']}")  # a whole node gone
    ctl = controller.Controller(lab_plan)
    drift = "\n".join(ctl.status().drift)
    assert f"{ns['shop']}: route" in drift and "missing" in drift
    assert f"{ns['db-1']}: nftables table missing" in drift
    assert f"{ns['app-1']}: device" in drift and "is down" in drift
    assert f"{ns['public-a']}: policy rule 1000" in drift
    assert f"{ns['mirror']}: namespace missing" in drift
    ctl.up()
    assert ctl.status().drift == []
    verdicts = compare(net, lab_plan, all_pairs(net), ["icmp", "tcp/443", "tcp/5432"])
    assert all(v.agree for v in verdicts)


def test_kill_during_up_then_up_converges(labs, tmp_path):
    lab = labs("kill")
    gen = subprocess.run([sys.executable, str(ROOT / "bench" / "gen.py"), "--instances", "300",
                          "--vpcs", "3"], check=True, capture_output=True, text=True)
    topo = tmp_path / "estate.yaml"
    topo.write_text(gen.stdout)
    proc = subprocess.Popen([sys.executable, "-m", "cloudnet.cli", "up", str(topo), "--lab", lab],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(namespaces(names.lab_prefix(lab))) < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # well inside the configuration of namespaces
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    net = load_network(topo)[0]
    lab_plan = plan(net, lab)
    ctl = controller.Controller(lab_plan)
    assert ctl.status().drift  # half built
    ctl.up()
    assert ctl.status().drift == []
    hosts = [n for n in net.nodes if net.nodes[n].role == "instance"]
    pairs = [(hosts[i], hosts[(i * 37 + 11) % len(hosts)]) for i in range(0, len(hosts), 15)]
    verdicts = compare(net, lab_plan, pairs, ["icmp", "tcp/22", "tcp/8001"])
    assert all(v.agree for v in verdicts) and any(v.live for v in verdicts)


def test_two_labs_with_the_same_addresses_stay_isolated(labs):
    a, b = labs("iso-a"), labs("iso-b")
    net, plan_a, _ = up(EXAMPLES / "three-tier.yaml", a)
    _, plan_b, _ = up(EXAMPLES / "three-tier.yaml", b)
    assert not set(plan_a.namespaces) & set(plan_b.namespaces)
    for lab_plan in (plan_a, plan_b):
        assert all(v.agree for v in compare(net, lab_plan, all_pairs(net), ["tcp/5432"]))
    # Only lab b's database listens: lab a's app reaches its own db (refused), never b's.
    app_a, app_b = plan_a.node_ns["app-1"], plan_b.node_ns["app-1"]
    db_b = plan_b.node_ns["db-1"]
    flows = [Flow(app_a, db_b, "10.0.3.10", "tcp", 5432, 41001),
             Flow(app_b, db_b, "10.0.3.10", "tcp", 5432, 41002)]
    assert Prober().run(flows) == [False, True]
