"""Live data plane benchmarks (root): throughput, lab build time, live-change latency.

    python bench/dataplane.py [--instances 1000] [--vpcs 10] [--seconds 5]

1. iperf3 single stream instance -> SG -> subnet -> VPC router -> ACL -> transit gateway ->
   VPC router -> instance, and through a raw veth pair, in the same run (target ratio >= 0.85).
2. `up` of a generated 1,000-instance, 10-VPC estate (target <= 10 s) and `down` (<= 5 s).
3. One security-group rule change on that running lab: time from handing the new plan to
   the controller until the first packet the change allows gets through (target <= 50 ms).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen import estate  # noqa: E402

from cloudnet.dataplane.linux import controller, names  # noqa: E402
from cloudnet.dataplane.linux.kernel import inside, ip_batch, namespaces  # noqa: E402
from cloudnet.dataplane.linux.plan import plan  # noqa: E402
from cloudnet.loader import load_network  # noqa: E402

TGW_PATH = """
name: bench-path
aws:
  vpcs:
    a:
      cidr: 10.1.0.0/16
      subnets: [{name: a-1, cidr: 10.1.1.0/24, az: z1, network_acl: acl}]
      route_tables: [{name: a-rt, main: true, routes: [{destination: 10.2.0.0/16, target: hub}]}]
      security_groups: [{name: perf, ingress: [{protocol: tcp, ports: 5201, cidr: 10.0.0.0/8}]}]
      network_acls:
        - name: acl
          ingress: [{rule: 100, action: allow, protocol: tcp, cidr: 10.0.0.0/8}]
          egress: [{rule: 100, action: allow, protocol: tcp, cidr: 10.0.0.0/8}]
      instances: [{name: sender, subnet: a-1, private_ip: 10.1.1.10, security_groups: [perf]}]
    b:
      cidr: 10.2.0.0/16
      subnets: [{name: b-1, cidr: 10.2.1.0/24, az: z1, network_acl: acl}]
      route_tables: [{name: b-rt, main: true, routes: [{destination: 10.1.0.0/16, target: hub}]}]
      security_groups: [{name: perf, ingress: [{protocol: tcp, ports: 5201, cidr: 10.0.0.0/8}]}]
      network_acls:
        - name: acl
          ingress: [{rule: 100, action: allow, protocol: tcp, cidr: 10.0.0.0/8}]
          egress: [{rule: 100, action: allow, protocol: tcp, cidr: 10.0.0.0/8}]
      instances: [{name: receiver, subnet: b-1, private_ip: 10.2.1.10, security_groups: [perf]}]
  transit_gateways:
    - name: hub
      attachments: [{name: att-a, vpc: a}, {name: att-b, vpc: b}]
"""


def iperf(src_ns: str, dst_ns: str, dst_ip: str, seconds: int) -> float:
    server = subprocess.Popen(["ip", "netns", "exec", dst_ns, "iperf3", "-s", "-1", "-B", dst_ip],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        out = subprocess.run(["ip", "netns", "exec", src_ns, "iperf3", "-c", dst_ip, "-t",
                              str(seconds), "-J"], capture_output=True, text=True, check=True)
        return json.loads(out.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9
    finally:
        server.kill()
        server.wait()


def throughput(tmp: Path, seconds: int) -> None:
    topo = tmp / "path.yaml"
    topo.write_text(TGW_PATH)
    net, _ = load_network(topo)
    lab_plan = plan(net, "bench-path")
    controller.Controller(lab_plan).up()
    raw = ["cn-bench-raw-a", "cn-bench-raw-b"]
    try:
        ip_batch([f"netns add {n}" for n in raw] + [
            f"link add v0 netns {raw[0]} type veth peer name v1 netns {raw[1]}"])
        for ns, dev, addr in ((raw[0], "v0", "10.9.0.1/30"), (raw[1], "v1", "10.9.0.2/30")):
            subprocess.run(["ip", "-n", ns, "addr", "add", addr, "dev", dev], check=True)
            subprocess.run(["ip", "-n", ns, "link", "set", dev, "up"], check=True)
        path = iperf(lab_plan.node_ns["sender"], lab_plan.node_ns["receiver"], "10.2.1.10",
                     seconds)
        bare = iperf(raw[0], raw[1], "10.9.0.2", seconds)
        hops = "sender -> SG -> a-1 (ACL) -> VPC a -> hub (TGW) -> VPC b -> b-1 (ACL) -> SG -> receiver"
        print(f"throughput through the lab ({hops}): {path:.2f} Gbit/s")
        print(f"throughput through a raw veth pair: {bare:.2f} Gbit/s")
        print(f"ratio: {path / bare:.2f} (target >= 0.85)")
    finally:
        ip_batch([f"netns del {n}" for n in raw], force=True)
        controller.down("bench-path")


def scale(tmp: Path, instances: int, vpcs: int) -> None:
    doc = estate(instances, vpcs)
    topo = tmp / "estate.yaml"
    topo.write_text(yaml.safe_dump(doc, sort_keys=False))
    lab = "bench-scale"
    controller.down(lab)
    t0 = time.perf_counter()
    net, _ = load_network(topo)
    lab_plan = plan(net, lab)
    t1 = time.perf_counter()
    report = controller.Controller(lab_plan).up()
    t2 = time.perf_counter()
    print(f"up of {instances} instances / {vpcs} VPCs: {t2 - t0:.2f} s (target <= 10 s): "
          f"load+compile+plan {t1 - t0:.2f} s, kernel {t2 - t1:.2f} s; "
          f"{len(lab_plan.namespaces)} namespaces, {len(lab_plan.veths)} veth pairs, "
          f"{sum(r.nft_rules for r in report.namespaces)} nftables rules")
    try:
        live_change(topo, doc, lab)
        t3 = time.perf_counter()
        controller.Controller(plan(load_network(topo)[0], lab)).up()
        print(f"up again on the running lab, nothing changed: {time.perf_counter() - t3:.2f} s "
              "(reads and checks every namespace)")
    finally:
        t4 = time.perf_counter()
        removed = controller.down(lab)
        print(f"down: {time.perf_counter() - t4:.2f} s for {removed} namespaces (target <= 5 s)")
        assert namespaces(names.lab_prefix(lab)) == []


def live_change(topo: Path, doc: dict, lab: str) -> None:
    """Open tcp/7777 to the cache tier of vpc0 and time the first connection that passes."""
    doc["aws"]["vpcs"]["vpc0"]["security_groups"][3]["ingress"].append(
        {"protocol": "tcp", "ports": 7777, "cidr": "10.0.0.0/8"})
    topo.write_text(yaml.safe_dump(doc, sort_keys=False))
    net, _ = load_network(topo)
    after = plan(net, lab)
    target = "vpc0-i3"  # i % 5 == 3: the cache tier
    src_ns, dst_ns = after.node_ns["vpc0-i1"], after.node_ns[target]
    dst_ip = str(net.nodes[target].addresses()[0])
    with inside(dst_ns):
        server = socket.create_server(("0.0.0.0", 7777))
    allowed = threading.Event()
    stop = threading.Event()
    first = {}

    def knock() -> None:
        while not stop.is_set():
            with inside(src_ns):
                s = socket.socket()
            s.settimeout(0.002)
            try:
                s.connect((dst_ip, 7777))
                first["t"] = time.perf_counter()
                allowed.set()
                return
            except OSError:
                pass
            finally:
                s.close()

    thread = threading.Thread(target=knock)
    thread.start()
    time.sleep(0.2)
    assert not allowed.is_set(), "tcp/7777 passed before the change"
    t0 = time.perf_counter()
    report = controller.Controller(after).up()
    allowed.wait(5)
    stop.set()
    thread.join()
    server.close()
    if "t" in first:
        print(f"security-group rule change -> first allowed packet: "
              f"{(first['t'] - t0) * 1000:.1f} ms (target <= 50 ms); the {report.changed} "
              f"changed namespaces were done after {report.changed_seconds * 1000:.1f} ms, the "
              f"whole up (checking all {len(after.namespaces)}) took {report.seconds:.2f} s")
    else:
        print("security-group rule change: the allowed packet never passed (FAILED)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--vpcs", type=int, default=10)
    ap.add_argument("--seconds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        throughput(Path(tmp), args.seconds)
        scale(Path(tmp), args.instances, args.vpcs)


if __name__ == "__main__":
    main()
