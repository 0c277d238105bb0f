"""Hybrid-link benchmarks (root): WireGuard tunnel throughput, failover, BGP convergence.

    python bench/hybrid.py [--topology examples/hybrid-aws.yaml] [--seconds 5]

1. iperf3 through the lab's VPN tunnel (wireguard-go + its shaping at the tunnel's modelled
   capacity) and through a bare wireguard-go pair, in the same run (target ratio >= 0.9).
2. Failover: a 200 packet/s UDP stream from the site to a VPC while the primary circuit
   fails; time until packets flow again, and packets lost. BGP timers: hold 9 s, keepalive 3 s
   (a dead link is seen at once: the interface goes down; a silent peer after the hold time).
3. BGP convergence after `up`: time until the kernel holds every route the model predicts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataplane import iperf  # noqa: E402

from cloudnet.dataplane.linux import bgpcheck, controller  # noqa: E402
from cloudnet.dataplane.linux.kernel import ip_batch  # noqa: E402
from cloudnet.dataplane.linux.plan import plan  # noqa: E402
from cloudnet.loader import compile_topology, load_model  # noqa: E402

LAB = "bench-hybrid"


def build(topo, down=frozenset()):
    net = compile_topology(topo, frozenset(down))
    lab_plan = plan(net, LAB, controller.lab_secret(LAB))
    controller.Controller(lab_plan).up()
    return net, lab_plan


def bare_pair(seconds: int) -> float:
    ns = ["cn-bench-wg-a", "cn-bench-wg-b"]
    tmp = Path(tempfile.mkdtemp())
    keys = {}
    for side in "ab":
        priv = subprocess.run(["wg", "genkey"], capture_output=True, text=True).stdout.strip()
        keys[side] = (priv, subprocess.run(["wg", "pubkey"], input=priv, capture_output=True,
                                           text=True).stdout.strip())
    try:
        ip_batch([f"netns add {n}" for n in ns] + [
            f"link add u0 netns {ns[0]} type veth peer name u1 netns {ns[1]}"])
        for i, (n, me, peer) in enumerate(((ns[0], "a", "b"), (ns[1], "b", "a"))):
            dev = f"wgbench{me}"
            subprocess.run(["ip", "-n", n, "addr", "add", f"10.254.0.{i + 1}/30", "dev", f"u{i}"],
                           check=True)
            subprocess.run(["ip", "-n", n, "link", "set", f"u{i}", "up"], check=True)
            subprocess.run(["ip", "netns", "exec", n, "wireguard-go", dev], check=True,
                           capture_output=True)
            conf = tmp / f"{dev}.conf"
            conf.write_text(f"[Interface]\nPrivateKey = {keys[me][0]}\nListenPort = 51000\n"
                            f"[Peer]\nPublicKey = {keys[peer][1]}\nAllowedIPs = 0.0.0.0/0\n"
                            f"Endpoint = 10.254.0.{2 - i}:51000\n")
            subprocess.run(["ip", "netns", "exec", n, "wg", "setconf", dev, str(conf)], check=True)
            subprocess.run(["ip", "-n", n, "addr", "add", f"10.253.0.{i + 1}/30", "dev", dev],
                           check=True)
            subprocess.run(["ip", "-n", n, "link", "set", dev, "up"], check=True)
        return iperf(ns[0], ns[1], "10.253.0.2", seconds)
    finally:
        pids = [p for n in ns for p in subprocess.run(["ip", "netns", "pids", n],
                                                       capture_output=True, text=True).stdout.split()]
        subprocess.run(["kill", *pids], capture_output=True)  # the two wireguard-go
        ip_batch([f"netns del {n}" for n in ns], force=True)


def tunnel_throughput(lab_plan, seconds: int) -> float:
    site = lab_plan.namespaces[lab_plan.node_ns["dc-router"]]
    (t,) = site.tunnels
    hub_ns = lab_plan.node_ns["hub"]
    inner = next(a for d, addrs in lab_plan.namespaces[hub_ns].addresses.items()
                 if d.startswith("w") for a in addrs).split("/")[0]  # the hub's tunnel end
    # A transit gateway accepts no traffic of its own: let the benchmark's iperf3 in (only
    # here; `up` removes it again as drift).
    subprocess.run(["ip", "netns", "exec", hub_ns, "nft", "insert", "rule", "inet", "cloudnet",
                    "input", "tcp", "dport", "5201", "accept"], check=True)
    return iperf(site.name, hub_ns, inner, seconds)


def failover(topo, net, lab_plan) -> None:
    """200 pings a second from dc-ops to db-1 while dx-main fails (at 2 s)."""
    ping = subprocess.Popen(["ip", "netns", "exec", lab_plan.node_ns["dc-ops"], "ping", "-D",
                             "-i", "0.005", "-w", "8", "10.20.1.10"],
                            stdout=subprocess.PIPE, text=True)
    time.sleep(2)
    t_fail = time.time()
    controller.save_faults(LAB, {"dx-main"})
    build(topo, {"dx-main"})
    out, _ = ping.communicate()
    stamps = [float(line[1:line.index("]")]) for line in out.splitlines()
              if line.startswith("[") and "bytes from" in line]
    after = [t for t in stamps if t > t_fail]
    before = max((t for t in stamps if t <= t_fail), default=t_fail)
    gaps = [b - a for a, b in zip([before] + after, after)]
    sent = int(out.split(" packets transmitted")[0].split()[-1])
    print(f"failover (dx-main fails; 200 pings/s dc-ops -> db-1): traffic stopped for "
          f"{max(gaps) * 1000:.0f} ms, {sent - len(stamps)} of {sent} packets lost, then "
          "continued over the VPN tunnel" if gaps else "failover: no packet came through after it")
    controller.save_faults(LAB, set())


def convergence(topo, label: str):
    """Build the lab and time BGP until the kernel holds every route the model predicts."""
    t0 = time.perf_counter()
    net, lab_plan = build(topo)
    t1 = time.perf_counter()
    waited, diff = bgpcheck.wait_converged(net, lab_plan)
    print(f"BGP convergence after up{label}: {t1 - t0:.2f} s to build, then {waited:.2f} s "
          f"until the kernel held every predicted BGP route ({len(net.bgp)} speakers, "
          f"{len(net.sessions)} sessions){'' if not diff else ' — NOT converged: ' + str(diff)}")
    return net, lab_plan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--topology", default=str(Path(__file__).resolve().parents[1] /
                                               "examples" / "hybrid-aws.yaml"))
    ap.add_argument("--seconds", type=int, default=5)
    args = ap.parse_args()
    topo, _ = load_model(args.topology)
    controller.down(LAB)
    try:
        net, lab_plan = convergence(topo, "")
        lab_tp = tunnel_throughput(lab_plan, args.seconds)
        bare = bare_pair(args.seconds)
        print(f"WireGuard tunnel in the lab: {lab_tp:.2f} Gbit/s; bare wireguard-go pair: "
              f"{bare:.2f} Gbit/s; ratio {lab_tp / bare:.2f} (target >= 0.9)")
        failover(topo, net, lab_plan)
    finally:
        controller.down(LAB)
    flagship = Path(__file__).resolve().parents[1] / "examples" / "multicloud.yaml"
    try:
        convergence(load_model(flagship)[0], ", flagship (multicloud.yaml)")
    finally:
        controller.down(LAB)


if __name__ == "__main__":
    main()
