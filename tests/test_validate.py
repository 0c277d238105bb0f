"""Validation: every problem reported at once, each at the right file, line and field.

Each case is a small topology in which the line of the expected problem ends with `#!`.
"""

from __future__ import annotations

import textwrap

import pytest

from cloudnet import yamlsource
from cloudnet.model.base import place_tree
from cloudnet.model.topology import Topology
from cloudnet.model.validate import validate_topology
from cloudnet.providers.aws.validate import validate_aws
from cloudnet.providers.onprem.validate import validate_sites


def model(text: str) -> Topology:
    data, source = yamlsource.loads(textwrap.dedent(text), "lab.yaml")
    topo = Topology.model_validate(data)
    place_tree(topo, source)
    return topo


def problems(text: str):
    return validate_topology(model(text))


def marked_line(text: str) -> int:
    return next(i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if "#!" in line)


GOOD = """\
name: good
aws:
  prefix_lists:
    office: [203.0.113.0/24]
  vpcs:
    web:
      cidrs: [10.0.0.0/16, 10.1.0.0/24]
      internet_gateway: web-igw
      vpn_gateway: {name: web-vgw}
      subnets:
        - {name: web-pub, cidr: 10.0.0.0/24, az: a, route_table: public}
        - {name: web-app, cidr: 10.0.1.0/24, az: a, network_acl: app-acl}
        - {name: web-app-b, cidr: 10.1.0.0/28, az: b}
      route_tables:
        - name: public
          routes:
            - {destination: 0.0.0.0/0, target: web-igw}
            - {destination: 10.0.0.0/16, target: local}
            - {destination: 10.20.0.0/16, target: web-db}
            - {prefix_list: office, target: web-igw}
        - name: private
          main: true
          propagate: [web-vgw]
          routes:
            - {destination: 0.0.0.0/0, target: web-nat}
            - {destination: 10.0.1.0/24, target: web-nat}
            - {destination: 10.30.0.0/16, target: hub}
            - {destination: 10.99.0.0/16, blackhole: true}
      nat_gateways:
        - {name: web-nat, subnet: web-pub, elastic_ip: 198.51.100.10}
      security_groups:
        - name: frontend
          ingress:
            - {protocol: tcp, ports: 443, cidr: 0.0.0.0/0}
            - {protocol: tcp, ports: 1024-65535, prefix_list: office}
            - {protocol: icmp, security_group: frontend}
        - name: app
          ingress: [{protocol: 6, ports: "8080", security_group: frontend}]
          egress: [{protocol: all, cidrs: [10.0.0.0/8, 192.168.0.0/16]}]
      network_acls:
        - name: app-acl
          ingress:
            - {rule: 100, action: allow, protocol: tcp, ports: 8080, cidr: 10.0.0.0/16}
            - {rule: 200, action: deny, cidr: 0.0.0.0/0}
          egress:
            - {rule: 100, action: allow}
      instances:
        - {name: web-1, subnet: web-pub, private_ip: 10.0.0.10, public_ip: 198.51.100.20,
           security_groups: [frontend]}
        - name: web-2
          interfaces:
            - {subnet: web-app, private_ip: 10.0.1.10, security_groups: [app]}
            - {subnet: web-pub, private_ip: 10.0.0.11}
    db:
      cidr: 10.20.0.0/16
      subnets: [{name: db-a, cidr: 10.20.1.0/24, az: a}]
      route_tables:
        - name: db-main
          main: true
          routes: [{destination: 10.0.0.0/16, target: web-db}]
      instances: [{name: db-1, subnet: db-a, private_ip: 10.20.1.4, security_groups: [frontend]}]
  peerings:
    - {name: web-db, requester: web, accepter: db}
  transit_gateways:
    - name: hub
      route_tables:
        - name: spokes
          routes:
            - {destination: 192.168.0.0/16, attachment: att-dc}
            - {destination: 10.66.0.0/16, blackhole: true}
      attachments:
        - {name: att-web, vpc: web, subnets: [web-app, web-app-b], associate: spokes}
        - {name: att-dc, vpn: vpn-dc, propagate: [spokes, default]}
        - {name: att-dx, direct_connect_gateway: dx-1}
  vpn_connections:
    - {name: vpn-dc, gateway: hub, customer_gateway: dc-router, static_routes: [192.168.0.0/16]}
    - {name: vpn-web, gateway: web-vgw, customer_gateway: branch, static_routes: [172.16.0.0/24]}
  direct_connect_gateways:
    - {name: dx-1, site_router: dc-router, allowed_prefixes: [10.0.0.0/8],
       onprem_prefixes: [192.168.0.0/16]}
  public_ranges: [198.51.100.0/24]
onprem:
  dc:
    network: 192.168.10.0/24
    networks: [192.168.0.0/16]
    router:
      name: dc-router
      ip: 192.168.10.1
      loopbacks: [192.168.255.1]
      routes:
        - {destination: 10.0.0.0/8, via: vpn-dc}
        - {destination: 10.20.0.0/16, via: dx-1}
    hosts: [{name: dc-ops, ip: 192.168.10.20}, {name: dc-db, ip: 192.168.10.21}]
  branch:
    network: 172.16.0.0/24
    router: {name: branch-router, ip: 172.16.0.1, routes: [{destination: 10.0.0.0/16, via: vpn-web}]}
internet:
  hosts: [{name: client, ip: 203.0.113.7}]
"""


def test_correct_topology_has_no_problems():
    assert problems(GOOD) == []


def test_spec_example_format():
    text = """\
    aws:
      vpcs:
        web:
          cidr: 10.0.0.0/16
          subnets:
            - {name: a, cidr: 10.0.0.0/24}
            - {name: b, cidr: 10.1.5.0/24}  #!
    """
    assert [str(d) for d in problems(text)] == [
        f"lab.yaml:{marked_line(text)}: aws.vpcs.web.subnets[1].cidr: 10.1.5.0/24 is outside "
        "the VPC's CIDRs (10.0.0.0/16)"]


def vpc(body: str, extra: str = "") -> str:
    """A VPC `v` (10.0.0.0/16, igw igw-v, subnet s 10.0.1.0/24 at line 6 unless `body` gives
    subnets) with `body` added to it, then `extra` (more VPCs, or more of `aws`)."""
    head = "aws:\n  vpcs:\n    v:\n      cidr: 10.0.0.0/16\n      internet_gateway: igw-v\n"
    if "subnets:" not in body:
        head += "      subnets: [{name: s, cidr: 10.0.1.0/24, az: a}]\n"
    body = textwrap.indent(textwrap.dedent(body).rstrip("\n") + "\n", "      ") if body else ""
    return head + body + extra


SITE = """\
onprem:
  dc:
    network: 192.168.10.0/24
    router: {name: dc-router, ip: 192.168.10.1}
"""

# (id, topology, field, key phrase[, severity])
CASES = [
    # ---- CIDRs everywhere --------------------------------------------------------------
    ("cidr-malformed", vpc("subnets: [{name: t, cidr: 10.0.300.0/24}]  #!"),
     "aws.vpcs.v.subnets[0].cidr", "10.0.300.0/24 is not a valid IPv4 CIDR"),
    ("cidr-not-canonical", vpc("subnets: [{name: t, cidr: 10.0.1.5/24}]  #!"),
     "aws.vpcs.v.subnets[0].cidr", "10.0.1.5/24 is not canonical (did you mean 10.0.1.0/24?)"),
    ("cidr-ipv6", vpc("route_tables: [{name: r, routes: [{destination: '::/0', target: igw-v}]}]  #!"),
     "aws.vpcs.v.route_tables[0].routes[0].destination", "IPv6; only IPv4"),
    ("cidr-no-prefix", vpc("security_groups: [{name: g, ingress: [{cidr: 1.2.3.4}]}]  #!"),
     "aws.vpcs.v.security_groups[0].ingress[0].cidr", "did you mean 1.2.3.4/32?"),
    ("cidr-sg-cidrs", vpc("security_groups: [{name: g, egress: [{cidrs: [10.0.0.0/8, 10.1/8]}]}]  #!"),
     "aws.vpcs.v.security_groups[0].egress[0].cidrs[1]", "not a valid IPv4 CIDR"),
    ("cidr-nacl", vpc("network_acls: [{name: n, ingress: [{rule: 1, action: allow, cidr: 10.0.0.1/8}]}]  #!"),
     "aws.vpcs.v.network_acls[0].ingress[0].cidr", "not canonical"),
    ("cidr-prefix-list", """\
aws:
  prefix_lists:
    office: [10.0.0.0/8, bad]  #!
""", "aws.prefix_lists.office[1]", "bad is not a CIDR"),
    ("cidr-public-ranges", "aws:\n  public_ranges: [52.0.0.1/8]  #!\n",
     "aws.public_ranges[0]", "not canonical"),
    ("cidr-vpn-static", SITE + """\
aws:
  vpcs: {v: {cidr: 10.0.0.0/16, vpn_gateway: {name: vgw}}}
  vpn_connections:
    - name: vpn
      gateway: vgw
      customer_gateway: dc-router
      static_routes: [192.168.10.0/33]  #!
""", "aws.vpn_connections[0].static_routes[0]", "not a valid IPv4 CIDR"),
    ("cidr-tgw-route", """\
aws:
  transit_gateways:
    - name: hub
      route_tables:
        - name: t
          routes: [{destination: 10.0.0.0/33, blackhole: true}]  #!
""", "aws.transit_gateways[0].route_tables[0].routes[0].destination", "not a valid IPv4 CIDR"),
    ("cidr-site-network", """\
onprem:
  dc:
    network: 192.168.10.1/24  #!
    router: {name: r, ip: 192.168.10.2}
""", "onprem.dc.network", "did you mean 192.168.10.0/24?"),
    ("cidr-dx-prefix", SITE + """\
aws:
  direct_connect_gateways:
    - name: dx
      site_router: dc-router
      allowed_prefixes: [10.0.0.0/8, 10.0.0.0/-1]  #!
""", "aws.direct_connect_gateways[0].allowed_prefixes[1]", "not a valid IPv4 CIDR"),

    # ---- VPC -----------------------------------------------------------------------------
    ("vpc-no-cidr", "aws:\n  vpcs:\n    v: {}  #!\n", "aws.vpcs.v", "at least one CIDR"),
    ("vpc-too-large", "aws:\n  vpcs:\n    v: {cidr: 10.0.0.0/8}  #!\n",
     "aws.vpcs.v.cidr", "too large for a VPC CIDR"),
    ("vpc-too-small", "aws:\n  vpcs:\n    v:\n      cidrs: [10.0.0.0/16, 10.9.0.0/29]  #!\n",
     "aws.vpcs.v.cidrs[1]", "too small for a VPC CIDR"),
    ("vpc-cidrs-overlap", "aws:\n  vpcs:\n    v:\n      cidr: 10.0.0.0/16\n"
                          "      cidrs: [10.0.128.0/17]  #!\n",
     "aws.vpcs.v.cidrs[0]", "10.0.128.0/17 overlaps the VPC's CIDR 10.0.0.0/16"),

    # ---- subnets -------------------------------------------------------------------------
    ("subnet-size", vpc("subnets: [{name: t, cidr: 10.0.8.0/29}]  #!"),
     "aws.vpcs.v.subnets[0].cidr", "too small for a subnet"),
    ("subnet-overlap", vpc("""\
subnets:
  - {name: a, cidr: 10.0.0.0/23}
  - {name: b, cidr: 10.0.1.0/24}  #!
"""), "aws.vpcs.v.subnets[1].cidr", "10.0.1.0/24 overlaps subnet a (10.0.0.0/23)"),
    ("subnet-name-twice", vpc("""\
subnets:
  - {name: a, cidr: 10.0.0.0/24}
  - {name: a, cidr: 10.0.1.0/24}  #!
"""), "aws.vpcs.v.subnets[1].name", "name 'a' is already used by the subnet at lab.yaml:7"),
    ("subnet-route-table", vpc("""\
route_tables: [{name: public}]
subnets: [{name: t, cidr: 10.0.2.0/24, route_table: pubic}]  #!
"""), "aws.vpcs.v.subnets[0].route_table", "no route table 'pubic' in VPC v (did you mean 'public'?)"),
    ("subnet-acl", vpc("""\
network_acls: [{name: locked}]
subnets: [{name: t, cidr: 10.0.2.0/24, network_acl: lockd}]  #!
"""), "aws.vpcs.v.subnets[0].network_acl", "no network ACL 'lockd' in VPC v (did you mean 'locked'?)"),

    # ---- instances -----------------------------------------------------------------------
    ("inst-subnet-missing", vpc("instances: [{name: i, subnet: ss, private_ip: 10.0.1.10}]  #!"),
     "aws.vpcs.v.instances[0].subnet", "no subnet 'ss' in VPC v (did you mean 's'?)"),
    ("inst-subnet-other-vpc", vpc("instances: [{name: i, subnet: w1, private_ip: 10.1.1.10}]  #!",
                                  "    w: {cidr: 10.1.0.0/16, subnets: [{name: w1, cidr: 10.1.1.0/24}]}\n"),
     "aws.vpcs.v.instances[0].subnet", "subnet w1 is in VPC w, not in VPC v"),
    ("inst-ip-malformed", vpc("instances: [{name: i, subnet: s, private_ip: 10.0.1.256}]  #!"),
     "aws.vpcs.v.instances[0].private_ip", "10.0.1.256 is not a valid IPv4 address"),
    ("inst-ip-outside", vpc("instances: [{name: i, subnet: s, private_ip: 10.0.2.10}]  #!"),
     "aws.vpcs.v.instances[0].private_ip", "10.0.2.10 is outside subnet s (10.0.1.0/24)"),
    ("inst-ip-router", vpc("instances: [{name: i, subnet: s, private_ip: 10.0.1.1}]  #!"),
     "aws.vpcs.v.instances[0].private_ip", "reserved by AWS in subnet s (10.0.1.0/24): the VPC router"),
    ("inst-ip-dns", vpc("instances: [{name: i, subnet: s, private_ip: 10.0.1.2}]  #!"),
     "aws.vpcs.v.instances[0].private_ip", "the Amazon DNS server"),
    ("inst-ip-future", vpc("instances: [{name: i, subnet: s, private_ip: 10.0.1.3}]  #!"),
     "aws.vpcs.v.instances[0].private_ip", "reserved by AWS for future use"),
    ("inst-ip-network", vpc("instances: [{name: i, subnet: s, private_ip: 10.0.1.0}]  #!"),
     "aws.vpcs.v.instances[0].private_ip", "the network address"),
    ("inst-ip-broadcast", vpc("instances: [{name: i, subnet: s, private_ip: 10.0.1.255}]  #!"),
     "aws.vpcs.v.instances[0].private_ip", "the broadcast address"),
    ("inst-ip-twice", vpc("""\
instances:
  - {name: i, subnet: s, private_ip: 10.0.1.9}
  - {name: j, subnet: s, private_ip: 10.0.1.9}  #!
"""), "aws.vpcs.v.instances[1].private_ip", "10.0.1.9 is already used by instance i at lab.yaml:8"),
    ("nat-ip-twice", vpc("""\
instances: [{name: i, subnet: s, private_ip: 10.0.1.9}]
nat_gateways: [{name: n, subnet: s, private_ip: 10.0.1.9, elastic_ip: 198.51.100.1}]  #!
"""), "aws.vpcs.v.nat_gateways[0].private_ip", "10.0.1.9 is already used by instance i at lab.yaml:7"),
    ("inst-public-ip-bad", vpc("instances: [{name: i, subnet: s, private_ip: 10.0.1.9, public_ip: 1.2.3}]  #!"),
     "aws.vpcs.v.instances[0].public_ip", "1.2.3 is not a valid IPv4 address"),
    ("inst-public-ip-twice", vpc("""\
instances:
  - {name: i, subnet: s, private_ip: 10.0.1.9, public_ip: 198.51.100.1}
  - {name: j, subnet: s, private_ip: 10.0.1.8, public_ip: 198.51.100.1}  #!
"""), "aws.vpcs.v.instances[1].public_ip", "public IP 198.51.100.1 is already used by instance i"),
    ("inst-public-ip-no-igw", """\
aws:
  vpcs:
    v:
      cidr: 10.0.0.0/16
      subnets: [{name: s, cidr: 10.0.1.0/24}]
      instances: [{name: i, subnet: s, private_ip: 10.0.1.9, public_ip: 198.51.100.1}]  #!
""", "aws.vpcs.v.instances[0].public_ip", "VPC v has no internet gateway", "warning"),
    ("inst-sg-missing", vpc("""\
security_groups: [{name: frontend}]
instances: [{name: i, subnet: s, private_ip: 10.0.1.9, security_groups: [default, frontnd]}]  #!
"""), "aws.vpcs.v.instances[0].security_groups[1]", "no security group 'frontnd' (did you mean 'frontend'?)"),
    ("inst-sg-ambiguous", vpc("instances: [{name: i, subnet: s, private_ip: 10.0.1.9, security_groups: [g]}]  #!", """\
    w1: {cidr: 10.1.0.0/16, security_groups: [{name: g}]}
    w2: {cidr: 10.2.0.0/16, security_groups: [{name: g}]}
"""), "aws.vpcs.v.instances[0].security_groups[0]", "ambiguous: VPCs w1, w2"),
    ("eni-ip-outside", vpc("""\
instances:
  - name: i
    interfaces:
      - {subnet: s, private_ip: 10.0.1.10}
      - {subnet: s, private_ip: 10.9.1.10}  #!
"""), "aws.vpcs.v.instances[0].interfaces[1].private_ip", "is outside subnet s"),
    ("eni-sg-missing", vpc("""\
instances:
  - name: i
    interfaces:
      - {subnet: s, private_ip: 10.0.1.10, security_groups: [nope]}  #!
"""), "aws.vpcs.v.instances[0].interfaces[0].security_groups[0]", "no security group 'nope'"),
    ("eni-azs", vpc("""\
subnets: [{name: s, cidr: 10.0.1.0/24, az: a}, {name: t, cidr: 10.0.2.0/24, az: b}]
instances:
  - name: i
    interfaces:
      - {subnet: s, private_ip: 10.0.1.10}
      - {subnet: t, private_ip: 10.0.2.10}  #!
"""), "aws.vpcs.v.instances[0].interfaces[1].subnet", "one AZ per instance"),

    # ---- NAT gateways --------------------------------------------------------------------
    ("nat-subnet", vpc("nat_gateways: [{name: n, subnet: x, elastic_ip: 198.51.100.1}]  #!"),
     "aws.vpcs.v.nat_gateways[0].subnet", "no subnet 'x' in VPC v"),
    ("nat-no-eip", vpc("nat_gateways: [{name: n, subnet: s}]  #!"),
     "aws.vpcs.v.nat_gateways[0].elastic_ip", "a public NAT gateway needs an elastic_ip"),
    ("nat-eip-bad", vpc("nat_gateways: [{name: n, subnet: s, elastic_ip: 198.51.100.0/24}]  #!"),
     "aws.vpcs.v.nat_gateways[0].elastic_ip", "is a CIDR; expected a single IPv4 address"),
    ("nat-ip-reserved", vpc("nat_gateways: [{name: n, subnet: s, private_ip: 10.0.1.1, elastic_ip: 198.51.100.1}]  #!"),
     "aws.vpcs.v.nat_gateways[0].private_ip", "the VPC router"),
    ("nat-ip-outside", vpc("nat_gateways: [{name: n, subnet: s, private_ip: 10.0.9.9, elastic_ip: 198.51.100.1}]  #!"),
     "aws.vpcs.v.nat_gateways[0].private_ip", "outside subnet s"),

    # ---- route tables --------------------------------------------------------------------
    ("rtb-two-mains", vpc("""\
route_tables:
  - {name: a, main: true}
  - {name: b, main: true}  #!
"""), "aws.vpcs.v.route_tables[1].main", "already has a main route table (a at lab.yaml:8)"),
    ("rtb-name-twice", vpc("""\
route_tables:
  - {name: a}
  - {name: a}  #!
"""), "aws.vpcs.v.route_tables[1].name", "name 'a' is already used by the route table"),
    ("route-dest-and-pl", vpc("""\
route_tables:
  - name: r
    routes: [{destination: 0.0.0.0/0, prefix_list: pl, target: igw-v}]  #!
""", "  prefix_lists: {pl: [1.0.0.0/8]}\n"),
     "aws.vpcs.v.route_tables[0].routes[0]", "exactly one of destination or prefix_list"),
    ("route-no-dest", vpc("route_tables: [{name: r, routes: [{target: igw-v}]}]  #!"),
     "aws.vpcs.v.route_tables[0].routes[0]", "exactly one of destination or prefix_list"),
    ("route-no-target", vpc("route_tables: [{name: r, routes: [{destination: 0.0.0.0/0}]}]  #!"),
     "aws.vpcs.v.route_tables[0].routes[0]", "needs a target (or blackhole: true)"),
    ("route-local-wrong", vpc("route_tables: [{name: r, routes: [{destination: 10.9.0.0/16, target: local}]}]  #!"),
     "aws.vpcs.v.route_tables[0].routes[0].target", "only valid for one of the VPC's own CIDRs (10.0.0.0/16)"),
    ("route-target-missing", vpc("route_tables: [{name: r, routes: [{destination: 0.0.0.0/0, target: igw-w}]}]  #!"),
     "aws.vpcs.v.route_tables[0].routes[0].target",
     "no gateway, peering or transit gateway 'igw-w' (did you mean 'igw-v'?)"),
    ("route-target-other-vpc", vpc("route_tables: [{name: r, routes: [{destination: 0.0.0.0/0, target: igw-w}]}]  #!",
                                   "    w: {cidr: 10.1.0.0/16, internet_gateway: igw-w}\n"),
     "aws.vpcs.v.route_tables[0].routes[0].target", "internet gateway igw-w is attached to VPC w"),
    ("route-prefix-list-missing", vpc("route_tables: [{name: r, routes: [{prefix_list: ofice, target: igw-v}]}]  #!",
                                      "  prefix_lists: {office: [1.0.0.0/8]}\n"),
     "aws.vpcs.v.route_tables[0].routes[0].prefix_list", "no prefix list 'ofice' (did you mean 'office'?)"),
    ("route-inside-local", vpc("route_tables: [{name: r, routes: [{destination: 10.0.1.0/24, target: igw-v}]}]  #!"),
     "aws.vpcs.v.route_tables[0].routes[0].destination",
     "routes inside the VPC's local range are not allowed"),
    ("route-inside-local-not-subnet", vpc("""\
nat_gateways: [{name: n, subnet: s, elastic_ip: 198.51.100.1}]
route_tables: [{name: r, routes: [{destination: 10.0.2.0/24, target: n}]}]  #!
"""), "aws.vpcs.v.route_tables[0].routes[0].destination", "inside the VPC's local range 10.0.0.0/16"),
    ("route-reserved-range", vpc("route_tables: [{name: r, routes: [{destination: 169.254.169.0/24, target: igw-v}]}]  #!"),
     "aws.vpcs.v.route_tables[0].routes[0].destination", "169.254.168.0/22, which AWS reserves"),
    ("route-propagate", vpc("""\
vpn_gateway: {name: vgw-v}
route_tables: [{name: r, propagate: [vgw-x]}]  #!
"""), "aws.vpcs.v.route_tables[0].propagate[0]", "no virtual private gateway 'vgw-x' on VPC v (did you mean 'vgw-v'?)"),
    ("route-propagate-no-vgw", vpc("route_tables: [{name: r, propagate: [vgw-x]}]  #!"),
     "aws.vpcs.v.route_tables[0].propagate[0]", "VPC v has no vpn_gateway"),
    ("route-duplicate", vpc("""\
route_tables:
  - name: r
    routes:
      - {destination: 0.0.0.0/0, target: igw-v}
      - {destination: 0.0.0.0/0, blackhole: true}  #!
"""), "aws.vpcs.v.route_tables[0].routes[1].destination", "duplicate route for 0.0.0.0/0 (first at lab.yaml:10)"),
    ("route-tgw-no-attachment", vpc("route_tables: [{name: r, routes: [{destination: 0.0.0.0/0, target: hub}]}]  #!",
                                    "  transit_gateways: [{name: hub}]\n"),
     "aws.vpcs.v.route_tables[0].routes[0].target", "transit gateway hub has no attachment for VPC v"),

    # ---- security groups -----------------------------------------------------------------
    ("sg-name-twice", vpc("security_groups: [{name: g}, {name: g}]  #!"),
     "aws.vpcs.v.security_groups[1].name", "name 'g' is already used by the security group"),
    ("sg-no-source", vpc("security_groups: [{name: g, ingress: [{protocol: tcp}]}]  #!"),
     "aws.vpcs.v.security_groups[0].ingress[0]", "needs one of cidr, cidrs, prefix_list or security_group"),
    ("sg-two-sources", vpc("security_groups: [{name: g, ingress: [{cidr: 1.0.0.0/8, security_group: g}]}]  #!"),
     "aws.vpcs.v.security_groups[0].ingress[0].security_group", "give only one of"),
    ("sg-ref-missing", vpc("security_groups: [{name: web, ingress: [{security_group: wbe}]}]  #!"),
     "aws.vpcs.v.security_groups[0].ingress[0].security_group", "no security group 'wbe' (did you mean 'web'?)"),
    ("sg-prefix-list-missing", vpc("security_groups: [{name: g, egress: [{prefix_list: s3}]}]  #!"),
     "aws.vpcs.v.security_groups[0].egress[0].prefix_list", "no prefix list 's3'"),
    ("sg-protocol", vpc("security_groups: [{name: g, ingress: [{protocol: tpc, cidr: 0.0.0.0/0}]}]  #!"),
     "aws.vpcs.v.security_groups[0].ingress[0].protocol", "protocol 'tpc' is not tcp, udp, icmp"),
    ("sg-protocol-number", vpc("security_groups: [{name: g, ingress: [{protocol: 256, cidr: 0.0.0.0/0}]}]  #!"),
     "aws.vpcs.v.security_groups[0].ingress[0].protocol", "protocol '256'"),
    ("sg-ports-range", vpc("security_groups: [{name: g, ingress: [{protocol: tcp, ports: 90-80, cidr: 0.0.0.0/0}]}]  #!"),
     "aws.vpcs.v.security_groups[0].ingress[0].ports", "ports '90-80' is not a port 0-65535"),
    ("sg-ports-big", vpc("security_groups: [{name: g, ingress: [{protocol: udp, ports: 70000, cidr: 0.0.0.0/0}]}]  #!"),
     "aws.vpcs.v.security_groups[0].ingress[0].ports", "ports '70000'"),
    ("sg-ports-icmp", vpc("security_groups: [{name: g, ingress: [{protocol: icmp, ports: 8, cidr: 0.0.0.0/0}]}]  #!"),
     "aws.vpcs.v.security_groups[0].ingress[0].ports", "ports are ignored for protocol icmp", "warning"),

    # ---- network ACLs --------------------------------------------------------------------
    ("acl-rule-range", vpc("network_acls: [{name: n, egress: [{rule: 32767, action: deny}]}]  #!"),
     "aws.vpcs.v.network_acls[0].egress[0].rule", "rule number 32767 is outside 1-32766"),
    ("acl-rule-twice", vpc("""\
network_acls:
  - name: n
    ingress:
      - {rule: 100, action: allow}
      - {rule: 100, action: deny}  #!
    egress:
      - {rule: 100, action: allow}
"""), "aws.vpcs.v.network_acls[0].ingress[1].rule", "rule number 100 is already used in ingress (at lab.yaml:10)"),
    ("acl-ports", vpc("network_acls: [{name: n, ingress: [{rule: 1, action: allow, protocol: tcp, ports: 'x-1'}]}]  #!"),
     "aws.vpcs.v.network_acls[0].ingress[0].ports", "is not a port"),
    ("acl-name-twice", vpc("network_acls: [{name: n}, {name: n}]  #!"),
     "aws.vpcs.v.network_acls[1].name", "already used by the network ACL"),

    # ---- peerings ------------------------------------------------------------------------
    ("peer-missing", vpc("", "  peerings: [{name: p, requester: v, accepter: vv}]  #!\n"),
     "aws.peerings[0].accepter", "no VPC 'vv' (did you mean 'v'?)"),
    ("peer-self", vpc("", "  peerings: [{name: p, requester: v, accepter: v}]  #!\n"),
     "aws.peerings[0].accepter", "cannot peer with itself"),
    ("peer-overlap", vpc("", """\
    w: {cidrs: [10.9.0.0/16, 10.0.128.0/17]}
  peerings: [{name: p, requester: v, accepter: w}]  #!
"""), "aws.peerings[0].accepter", "v's CIDR 10.0.0.0/16 overlaps w's CIDR 10.0.128.0/17"),
    ("peer-twice", vpc("", """\
    w: {cidr: 10.1.0.0/16}
  peerings:
    - {name: p, requester: v, accepter: w}
    - {name: q, requester: w, accepter: v}  #!
"""), "aws.peerings[1].accepter", "already peered by p"),

    # ---- transit gateways ----------------------------------------------------------------
    ("tgw-table-twice", """\
aws:
  transit_gateways:
    - name: hub
      route_tables: [{name: t}, {name: t}]  #!
""", "aws.transit_gateways[0].route_tables[1].name", "already used by the route table"),
    ("tgw-att-none", "aws:\n  transit_gateways: [{name: hub, attachments: [{name: a}]}]  #!\n",
     "aws.transit_gateways[0].attachments[0]", "exactly one of vpc, vpn or direct_connect_gateway"),
    ("tgw-att-two", vpc("", """\
  direct_connect_gateways: [{name: dx, site_router: dc-router}]
  transit_gateways:
    - name: hub
      attachments: [{name: a, vpc: v, direct_connect_gateway: dx}]  #!
""") + SITE, "aws.transit_gateways[0].attachments[0]", "exactly one of vpc, vpn or direct_connect_gateway"),
    ("tgw-att-vpc", vpc("", """\
  transit_gateways:
    - name: hub
      attachments: [{name: a, vpc: vv}]  #!
"""), "aws.transit_gateways[0].attachments[0].vpc", "no VPC 'vv' (did you mean 'v'?)"),
    ("tgw-att-vpn", """\
aws:
  transit_gateways:
    - name: hub
      attachments: [{name: a, vpn: vpn1}]  #!
""", "aws.transit_gateways[0].attachments[0].vpn", "no VPN connection 'vpn1'"),
    ("tgw-att-vpn-elsewhere", SITE + """\
aws:
  transit_gateways:
    - {name: hub, attachments: [{name: a, vpn: vpn1}]}  #!
    - {name: hub2}
  vpn_connections: [{name: vpn1, gateway: hub2, customer_gateway: dc-router}]
""", "aws.transit_gateways[0].attachments[0].vpn", "terminates on hub2, not on hub"),
    ("tgw-att-dx", """\
aws:
  transit_gateways:
    - name: hub
      attachments: [{name: a, direct_connect_gateway: dxx}]  #!
""", "aws.transit_gateways[0].attachments[0].direct_connect_gateway", "no Direct Connect gateway 'dxx'"),
    ("tgw-att-subnet-other-vpc", vpc("", """\
    w: {cidr: 10.1.0.0/16, subnets: [{name: w1, cidr: 10.1.1.0/24}]}
  transit_gateways:
    - name: hub
      attachments: [{name: a, vpc: v, subnets: [s, w1]}]  #!
"""), "aws.transit_gateways[0].attachments[0].subnets[1]", "subnet w1 is in VPC w, not in the attached VPC v"),
    ("tgw-att-subnet-missing", vpc("", """\
  transit_gateways:
    - name: hub
      attachments: [{name: a, vpc: v, subnets: [ss]}]  #!
"""), "aws.transit_gateways[0].attachments[0].subnets[0]", "no subnet 'ss' in VPC v (did you mean 's'?)"),
    ("tgw-associate", vpc("", """\
  transit_gateways:
    - name: hub
      route_tables: [{name: spokes}]
      attachments: [{name: a, vpc: v, associate: spoke}]  #!
"""), "aws.transit_gateways[0].attachments[0].associate",
     "no route table 'spoke' on transit gateway hub (did you mean 'spokes'?)"),
    ("tgw-associate-no-default", vpc("", """\
  transit_gateways:
    - name: hub
      default_route_table: null
      attachments: [{name: a, vpc: v}]  #!
"""), "aws.transit_gateways[0].attachments[0]", "has no default route table: give associate"),
    ("tgw-propagate", vpc("", """\
  transit_gateways:
    - name: hub
      route_tables: [{name: spokes}]
      attachments: [{name: a, vpc: v, propagate: [spokes, defualt]}]  #!
"""), "aws.transit_gateways[0].attachments[0].propagate[1]", "no route table 'defualt' on transit gateway hub (did you mean 'default'?)"),
    ("tgw-route-attachment", vpc("", """\
  transit_gateways:
    - name: hub
      route_tables:
        - name: t
          routes: [{destination: 10.0.0.0/16, attachment: att-vv}]  #!
      attachments: [{name: att-v, vpc: v}]
"""), "aws.transit_gateways[0].route_tables[0].routes[0].attachment",
     "no attachment 'att-vv' on transit gateway hub (did you mean 'att-v'?)"),
    ("tgw-route-neither", """\
aws:
  transit_gateways:
    - name: hub
      route_tables: [{name: t, routes: [{destination: 10.0.0.0/16}]}]  #!
""", "aws.transit_gateways[0].route_tables[0].routes[0]", "needs an attachment (or blackhole: true)"),

    # ---- VPN connections -----------------------------------------------------------------
    ("vpn-gateway", SITE + vpc("vpn_gateway: {name: vgw-v}", """\
  vpn_connections: [{name: x, gateway: vgw-w, customer_gateway: dc-router}]  #!
"""), "aws.vpn_connections[0].gateway", "no virtual private gateway or transit gateway 'vgw-w' (did you mean 'vgw-v'?)"),
    ("vpn-customer-gateway", SITE + vpc("vpn_gateway: {name: vgw-v}", """\
  vpn_connections: [{name: x, gateway: vgw-v, customer_gateway: dc-rooter}]  #!
"""), "aws.vpn_connections[0].customer_gateway", "no site router or customer gateway 'dc-rooter' (did you mean 'dc-router'?)"),
    ("vpn-tgw-unattached", SITE + """\
aws:
  transit_gateways: [{name: hub}]
  vpn_connections: [{name: x, gateway: hub, customer_gateway: dc-router}]  #!
""", "aws.vpn_connections[0].gateway", "has no attachment with vpn: x", "warning"),

    # ---- sites ---------------------------------------------------------------------------
    ("site-router-outside", """\
onprem:
  dc:
    network: 192.168.10.0/24
    router: {name: r, ip: 192.168.11.1}  #!
""", "onprem.dc.router.ip", "192.168.11.1 is outside the site network 192.168.10.0/24"),
    ("site-router-network-address", """\
onprem:
  dc:
    network: 192.168.10.0/24
    router: {name: r, ip: 192.168.10.0}  #!
""", "onprem.dc.router.ip", "is the network address of 192.168.10.0/24"),
    ("site-router-broadcast", """\
onprem:
  dc:
    network: 192.168.10.0/24
    router: {name: r, ip: 192.168.10.255}  #!
""", "onprem.dc.router.ip", "is the broadcast address"),
    ("site-host-outside", SITE + "    hosts: [{name: h, ip: 10.0.0.1}]  #!\n",
     "onprem.dc.hosts[0].ip", "10.0.0.1 is outside the site network"),
    ("site-host-twice", SITE + """\
    hosts:
      - {name: h1, ip: 192.168.10.5}
      - {name: h2, ip: 192.168.10.5}  #!
""", "onprem.dc.hosts[1].ip", "192.168.10.5 is already used by host h1 at lab.yaml:6"),
    ("site-host-router-ip", SITE + "    hosts: [{name: h, ip: 192.168.10.1}]  #!\n",
     "onprem.dc.hosts[0].ip", "already used by router dc-router"),
    ("site-route-dest", """\
onprem:
  dc:
    network: 192.168.10.0/24
    router:
      name: r
      ip: 192.168.10.1
      routes: [{destination: 10.0.0.0/55, via: x}]  #!
""", "onprem.dc.router.routes[0].destination", "not a valid IPv4 CIDR"),
    ("site-route-via", SITE.replace("192.168.10.1}", "192.168.10.1, routes: [{destination: 10.0.0.0/8, via: vpn-dcc}]}  #!")
     + vpc("vpn_gateway: {name: vgw}", "  vpn_connections: [{name: vpn-dc, gateway: vgw, customer_gateway: dc-router}]\n"),
     "onprem.dc.router.routes[0].via", "no VPN connection or Direct Connect gateway or VIF 'vpn-dcc' (did you mean 'vpn-dc'?)"),
    ("site-route-via-other-router", SITE + """\
  branch:
    network: 172.16.0.0/24
    router: {name: br, ip: 172.16.0.1, routes: [{destination: 10.0.0.0/8, via: vpn-dc}]}  #!
""" + vpc("vpn_gateway: {name: vgw}", "  vpn_connections: [{name: vpn-dc, gateway: vgw, customer_gateway: dc}]\n"),
     "onprem.branch.router.routes[0].via", "VPN connection vpn-dc ends at router dc, not at this site's router br"),

    # ---- topology-wide -------------------------------------------------------------------
    ("name-instance-vs-subnet", vpc("instances: [{name: s, subnet: s, private_ip: 10.0.1.10}]  #!"),
     "aws.vpcs.v.instances[0].name", "name 's' is already used by the subnet at lab.yaml:6"),
    ("name-host-vs-vpc", vpc("") + """\
onprem:
  dc:
    network: 192.168.10.0/24
    router: {name: dc-router, ip: 192.168.10.1}
    hosts: [{name: v, ip: 192.168.10.9}]  #!
""", "onprem.dc.hosts[0].name", "name 'v' is already used by the VPC at lab.yaml:3"),
    ("name-igw-vs-router", vpc("") + """\
onprem:
  dc:
    network: 192.168.10.0/24
    router: {name: igw-v, ip: 192.168.10.1}  #!
""", "onprem.dc.router.name", "already used by the internet gateway at lab.yaml:5"),
    ("name-reserved", "internet:\n  hosts: [{name: internet, ip: 8.8.8.8}]  #!\n",
     "internet.hosts[0].name", "name 'internet' is reserved"),
    ("name-reserved-backbone", vpc("", "  peerings: [{name: aws-backbone, requester: v, accepter: v}]  #!\n"),
     "aws.peerings[0].name", "name 'aws-backbone' is reserved"),
    ("internet-host-private", "internet:\n  hosts: [{name: h, ip: 10.1.2.3}]  #!\n",
     "internet.hosts[0].ip", "10.1.2.3 is a private (RFC 1918) address"),
    ("internet-host-bad", "internet:\n  hosts: [{name: h, ip: 8.8.8}]  #!\n",
     "internet.hosts[0].ip", "8.8.8 is not a valid IPv4 address"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_problem_is_reported_at_its_line_and_field(case):
    _, text, field, phrase, *rest = case
    severity = rest[0] if rest else "error"
    found = problems(text)
    hits = [d for d in found if d.field == field and phrase in d.message]
    assert hits, f"no {field!r} containing {phrase!r} in:\n" + "\n".join(map(str, found))
    assert hits[0].line == marked_line(text), str(hits[0])
    assert hits[0].file == "lab.yaml"
    assert hits[0].severity == severity


def test_dx_gateway_site_router_must_exist():
    text = SITE + """\
aws:
  direct_connect_gateways:
    - {name: dx, site_router: dc-rtr}  #!
  transit_gateways: [{name: hub, attachments: [{name: a, direct_connect_gateway: dx}]}]
"""
    assert [(d.line, d.field, d.message) for d in problems(text)] == [
        (marked_line(text), "aws.direct_connect_gateways[0].site_router",
         "no site router 'dc-rtr' (did you mean 'dc-router'?)")]


def test_unattached_dx_gateway_is_a_warning():
    text = SITE + "aws:\n  direct_connect_gateways: [{name: dx, site_router: dc}]  #!\n"
    (d,) = problems(text)
    assert (d.severity, d.line, d.field) == ("warning", marked_line(text),
                                              "aws.direct_connect_gateways[0].name")


def test_blackhole_route_may_keep_its_deleted_target():
    """As AWS (and the snapshot importer) report it: the target no longer exists."""
    text = vpc("route_tables: [{name: r, routes: [{destination: 0.0.0.0/0, target: igw-gone, "
               "blackhole: true}]}]")
    assert problems(text) == []


def test_subnet_route_to_nat_gateway_is_allowed():
    text = vpc("""\
subnets: [{name: s, cidr: 10.0.1.0/24}, {name: t, cidr: 10.0.2.0/24}]
nat_gateways: [{name: n, subnet: t, elastic_ip: 198.51.100.1}]
route_tables: [{name: r, routes: [{destination: 10.0.1.0/24, target: n}]}]
""")
    assert problems(text) == []


def test_propagated_route_may_overlap_the_local_range():
    text = vpc("route_tables: [{name: r, routes: [{destination: 10.0.1.0/24, target: igw-v, "
               "origin: propagated}]}]")
    assert problems(text) == []


def test_many_problems_are_all_reported_at_once():
    text = SITE + """\
aws:
  prefix_lists: {pl: [1.2.3.4/8]}
  vpcs:
    v:
      cidrs: [10.0.0.0/16, 10.0.0.0/8, nonsense]
      subnets:
        - {name: s, cidr: 10.0.1.0/24, route_table: nope}
        - {name: t, cidr: 10.0.1.128/25}
        - {name: u, cidr: 10.0.2.5/24}
      instances:
        - {name: i, subnet: s, private_ip: 10.0.1.1, public_ip: x, security_groups: [zz]}
        - {name: j, subnet: q, private_ip: 300.1.1.1}
      nat_gateways: [{name: n, subnet: s}]
      route_tables:
        - name: r
          main: true
          routes:
            - {destination: 10.0.1.0/24, target: n}
            - {destination: 0.0.0.0/0}
            - {destination: 1.0.0.0/8, target: bogus}
        - {name: r2, main: true}
      security_groups:
        - name: g
          ingress: [{protocol: xyz, ports: 99999}]
      network_acls:
        - name: a
          ingress: [{rule: 0, action: allow, cidr: 10.0.0.0/33}]
  peerings: [{name: p, requester: v, accepter: w}]
  vpn_connections: [{name: vpn, gateway: nowhere, customer_gateway: nobody}]
internet:
  hosts: [{name: i, ip: 192.168.1.1}]
"""
    found = problems(text)
    fields = {d.field for d in found}
    assert len(found) >= 25, "\n".join(map(str, found))
    for expected in [
        "aws.prefix_lists.pl[0]", "aws.vpcs.v.cidrs[1]", "aws.vpcs.v.cidrs[2]",
        "aws.vpcs.v.subnets[0].route_table", "aws.vpcs.v.subnets[1].cidr",
        "aws.vpcs.v.subnets[2].cidr", "aws.vpcs.v.instances[0].private_ip",
        "aws.vpcs.v.instances[0].public_ip", "aws.vpcs.v.instances[0].security_groups[0]",
        "aws.vpcs.v.instances[1].subnet", "aws.vpcs.v.instances[1].private_ip",
        "aws.vpcs.v.nat_gateways[0].elastic_ip", "aws.vpcs.v.route_tables[0].routes[1]",
        "aws.vpcs.v.route_tables[0].routes[2].target", "aws.vpcs.v.route_tables[1].main",
        "aws.vpcs.v.security_groups[0].ingress[0]",
        "aws.vpcs.v.security_groups[0].ingress[0].protocol",
        "aws.vpcs.v.security_groups[0].ingress[0].ports",
        "aws.vpcs.v.network_acls[0].ingress[0].rule", "aws.vpcs.v.network_acls[0].ingress[0].cidr",
        "aws.peerings[0].accepter", "aws.vpn_connections[0].gateway",
        "aws.vpn_connections[0].customer_gateway", "internet.hosts[0].ip",
        "internet.hosts[0].name",
    ]:
        assert expected in fields, f"{expected} missing from:\n" + "\n".join(map(str, found))
    assert all(d.line for d in found)


def test_provider_validators_work_alone():
    topo = model(GOOD)
    assert validate_aws(topo.aws, {"dc-router", "branch"}) == []
    assert validate_sites(topo.onprem) == []
    unknown = validate_aws(topo.aws, set())
    assert {d.field for d in unknown} == {"aws.vpn_connections[0].customer_gateway",
                                          "aws.vpn_connections[1].customer_gateway",
                                          "aws.direct_connect_gateways[0].site_router"}


def test_models_built_in_code_have_no_source():
    topo = Topology.model_validate({"aws": {"vpcs": {"v": {"cidr": "10.0.0.1/16"}}}})
    (d,) = validate_topology(topo)
    assert (d.file, d.line, d.field) == ("<model>", None, "cidr")
    assert "not canonical" in d.message


GARBAGE = ["", "x", "10.0.0.0/99", "::1", "::/0", "1.2.3.4/8", "-1", "999.1.1.1", "10.0.0.0/16"]


@pytest.mark.parametrize("bad", GARBAGE)
def test_garbage_values_never_crash(bad):
    """Every address-like field at once set to one bad value: reported, never raised."""
    text = f"""\
aws:
  prefix_lists: {{pl: ['{bad}']}}
  public_ranges: ['{bad}']
  vpcs:
    v:
      cidrs: ['{bad}']
      internet_gateway: g
      subnets: [{{name: s, cidr: '{bad}', route_table: r}}]
      instances: [{{name: i, subnet: s, private_ip: '{bad}', public_ip: '{bad}'}}]
      nat_gateways: [{{name: n, subnet: s, private_ip: '{bad}', elastic_ip: '{bad}'}}]
      route_tables: [{{name: r, routes: [{{destination: '{bad}', target: g}}]}}]
      security_groups: [{{name: sg, ingress: [{{protocol: '{bad}', ports: '{bad}', cidr: '{bad}'}}]}}]
      network_acls: [{{name: a, ingress: [{{rule: 1, action: allow, protocol: '{bad}', ports: '{bad}', cidr: '{bad}'}}]}}]
  peerings: [{{name: p, requester: v, accepter: v}}]
  transit_gateways:
    - name: t
      route_tables: [{{name: rt, routes: [{{destination: '{bad}', attachment: at}}]}}]
      attachments: [{{name: at, vpc: v, subnets: [s]}}]
  vpn_connections: [{{name: vpn, gateway: t, customer_gateway: r1, static_routes: ['{bad}']}}]
  direct_connect_gateways: [{{name: dx, site_router: r1, allowed_prefixes: ['{bad}'], onprem_prefixes: ['{bad}']}}]
onprem:
  site:
    network: '{bad}'
    networks: ['{bad}']
    router: {{name: r1, ip: '{bad}', loopbacks: ['{bad}'], routes: [{{destination: '{bad}', via: vpn}}]}}
    hosts: [{{name: h, ip: '{bad}'}}]
internet:
  hosts: [{{name: ih, ip: '{bad}'}}]
"""
    found = problems(text)
    assert found and all(d.line for d in found)
