"""Generate a realistic multi-VPC AWS estate as topology YAML.

    python bench/gen.py --instances 10000 --vpcs 10 > estate.yaml
    python bench/gen.py --instances 10000 --rules 100000 > estate.yaml

Each VPC gets public and private subnets in two AZs, an internet and a NAT gateway, tiered
security groups (referencing each other and CIDRs), a custom network ACL, and an attachment
to one transit gateway whose single table joins every VPC.  `--rules` pads the security groups
with partner and cross-VPC rules (common service ports from many /24s and /20s) until the
estate's security group and ACL rules number about that many.
"""

from __future__ import annotations

import argparse

import yaml

TIERS = ["web", "app", "db", "cache", "batch"]
SERVICE_PORTS = [22, 25, 53, 80, 123, 389, 443, 445, 636, 1433, 1521, 2049, 2379, 3000, 3306,
                 3389, 5000, 5432, 5672, 6379, 6443, 7000, 8000, 8080, 8443, 8888, 9000, 9090,
                 9092, 9200, 9300, 10250, 11211, 15672, 27017, 50051]


def base_rules(vpcs: int) -> int:
    """Security group and network ACL rules the estate has without padding."""
    return vpcs * (len(TIERS) * 15 + 13)


def padding(k: int, vpcs: int) -> dict:
    """The k-th extra rule of a group: a service port from a partner /24 or a VPC's /20."""
    port = SERVICE_PORTS[k % len(SERVICE_PORTS)]
    proto = "udp" if port in (53, 123) else "tcp"
    if k % 2:
        cidr = f"100.{64 + k // 512 % 64}.{k // 2 % 256}.0/24"  # partner networks
    else:
        cidr = f"10.{k // 2 % vpcs}.{k // 2 // vpcs % 16 * 16}.0/20"
    return {"protocol": proto, "ports": port, "cidr": cidr}


def estate(instances: int, vpcs: int, subnets_per_vpc: int = 10, rules: int = 0) -> dict:
    per_vpc = max(1, instances // vpcs)
    extra = max(0, rules - base_rules(vpcs)) // (vpcs * len(TIERS))  # per security group
    doc = {"name": f"estate-{instances}", "aws": {"region": "us-east-1", "vpcs": {},
                                                    "transit_gateways": []}}
    attachments = []
    for v in range(vpcs):
        name = f"vpc{v}"
        subnets, insts = [], []
        for s in range(subnets_per_vpc):
            subnets.append({"name": f"{name}-s{s}", "cidr": f"10.{v}.{s * 16}.0/20",
                            "az": f"us-east-1{'ab'[s % 2]}",
                            "route_table": "public" if s == 0 else None,
                            "network_acl": "tiered" if s > 1 else None})
        for s in subnets:
            for k in [k for k in ("route_table", "network_acl") if s[k] is None]:
                del s[k]
        for i in range(per_vpc):
            s = 1 + i % (subnets_per_vpc - 1)  # subnet 0 holds the NAT gateway
            host = 10 + i // (subnets_per_vpc - 1)
            ip = f"10.{v}.{s * 16 + host // 250}.{host % 250 + 4}"
            inst = {"name": f"{name}-i{i}", "subnet": f"{name}-s{s}", "private_ip": ip,
                    "security_groups": [TIERS[i % len(TIERS)]]}
            if i % 50 == 0:
                inst["public_ip"] = f"198.18.{v}.{i // 50 % 250 + 1}"
            insts.append(inst)
        sgs = []
        for t, tier in enumerate(TIERS):
            ingress = [{"protocol": "tcp", "ports": 22, "cidr": "10.0.0.0/8"},
                       {"protocol": "icmp", "cidr": "10.0.0.0/8"}]
            if t == 0:
                ingress.append({"protocol": "tcp", "ports": 443, "cidr": "0.0.0.0/0"})
            else:
                ingress.append({"protocol": "tcp", "ports": 8000 + t,
                                "security_group": TIERS[t - 1]})
            ingress += [{"protocol": "tcp", "ports": 9000 + k, "cidr": f"10.{k}.0.0/16"}
                        for k in range(12)]
            ingress += [padding(k + t, vpcs) for k in range(extra)]
            sgs.append({"name": tier, "ingress": ingress})
        doc["aws"]["vpcs"][name] = {
            "cidr": f"10.{v}.0.0/16", "internet_gateway": f"{name}-igw",
            "nat_gateways": [{"name": f"{name}-nat", "subnet": f"{name}-s0",
                              "elastic_ip": f"198.19.{v}.1"}],
            "subnets": subnets,
            "route_tables": [
                {"name": "public", "routes": [{"destination": "0.0.0.0/0",
                                               "target": f"{name}-igw"}]},
                {"name": "private", "main": True, "routes": [
                    {"destination": "0.0.0.0/0", "target": f"{name}-nat"},
                    {"destination": "10.0.0.0/8", "target": "hub"}]}],
            "security_groups": sgs,
            "network_acls": [{"name": "tiered",
                              "ingress": [{"rule": 100 + k, "action": "allow",
                                           "protocol": "tcp", "ports": 8000 + k,
                                           "cidr": "10.0.0.0/8"} for k in range(10)] +
                              [{"rule": 200, "action": "allow", "protocol": "all",
                                "cidr": f"10.{v}.0.0/16"},
                               {"rule": 300, "action": "allow", "protocol": "tcp",
                                "ports": "1024-65535", "cidr": "0.0.0.0/0"}],
                              "egress": [{"rule": 100, "action": "allow", "protocol": "all",
                                          "cidr": "0.0.0.0/0"}]}],
            "instances": insts,
        }
        attachments.append({"name": f"att-{name}", "vpc": name,
                             "subnets": [f"{name}-s1", f"{name}-s2"]})
    doc["aws"]["transit_gateways"].append({"name": "hub", "attachments": attachments})
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--vpcs", type=int, default=10)
    ap.add_argument("--rules", type=int, default=0,
                    help="pad security groups until the estate has about this many rules")
    args = ap.parse_args()
    print(yaml.safe_dump(estate(args.instances, args.vpcs, rules=args.rules), sort_keys=False,
                         width=200))


if __name__ == "__main__":
    main()
