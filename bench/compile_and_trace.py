"""Foundation benchmark: load + compile a 10,000-instance estate; one trace on 1,000 instances.

    python bench/compile_and_trace.py [--instances 10000] [--trace-instances 1000]

Targets (issue 2): load+compile <= 5 s at 10,000 instances; one trace <= 50 ms at 1,000.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from ipaddress import IPv4Address
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen import estate  # noqa: E402

from cloudnet.analysis.packet import make_packet  # noqa: E402
from cloudnet.analysis.trace import Tracer  # noqa: E402
from cloudnet.loader import compile_topology, load_model  # noqa: E402


def write(instances: int, folder: Path) -> Path:
    path = folder / f"estate-{instances}.yaml"
    path.write_text(yaml.safe_dump(estate(instances, 10), sort_keys=False, width=200))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=10000)
    ap.add_argument("--trace-instances", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = write(args.instances, Path(tmp))
        t0 = time.perf_counter()
        topo, _ = load_model(big)
        t1 = time.perf_counter()
        net = compile_topology(topo)
        t2 = time.perf_counter()
        rules = sum(len(f.rules) for f in net.filters.values())
        print(f"load+validate {args.instances} instances: {t1 - t0:.2f} s")
        print(f"compile to IR: {t2 - t1:.2f} s ({len(net.nodes)} nodes, {len(net.links)} "
              f"links, {len(net.filters)} filters, {rules} filter rules)")
        print(f"load+compile total: {t2 - t0:.2f} s (target <= 5 s)")

        small = write(args.trace_instances, Path(tmp))
        net = compile_topology(load_model(small)[0])
        tracer = Tracer(net)
        hosts = [n for n in net.nodes.values() if n.role == "instance"]
        pairs = [(hosts[i], hosts[(i * 7919 + 13) % len(hosts)]) for i in range(args.repeat)]
        times, fates, hops = [], {}, 0
        for src, dst in pairs:
            pkt = make_packet(src.addresses()[0], dst.addresses()[0], 6, 22)
            t = time.perf_counter()
            result = tracer.trace(src.id, pkt)  # forward and return
            times.append((time.perf_counter() - t) * 1000)
            fates[result.disposition.value] = fates.get(result.disposition.value, 0) + 1
            hops += len(result.hops) + (len(result.reply.hops) if result.reply else 0)
        times.sort()
        print(f"one trace (forward + return) on {args.trace_instances} instances: median "
              f"{statistics.median(times):.2f} ms, p95 {times[int(len(times) * .95)]:.2f} ms, "
              f"max {times[-1]:.2f} ms over {len(times)} traces (target <= 50 ms); "
              f"{hops / len(times):.1f} hops each on average; {fates}")
        out = make_packet(hosts[1].addresses()[0], IPv4Address("192.0.2.1"), 6, 443)
        t = time.perf_counter()
        tracer.trace(hosts[1].id, out)
        print(f"one trace to the internet through NAT: {(time.perf_counter() - t) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
