# Hand-written for cloudnet's importer tests: every AWS network resource kind it reads.

resource "aws_vpc" "main" {
  cidr_block = var.cidr
  tags       = { Name = "main" }
}

resource "aws_vpc_ipv4_cidr_block_association" "extra" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.20.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "main-igw" }
}

resource "aws_subnet" "public" {
  count             = length(var.azs)
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(var.cidr, 8, count.index)
  availability_zone = var.azs[count.index]
  tags              = { Name = "public-${count.index}" }
}

resource "aws_subnet" "app" {
  for_each          = local.apps
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(var.cidr, 8, each.value)
  availability_zone = var.azs[0]
}

resource "aws_subnet" "extra" {
  vpc_id     = aws_vpc_ipv4_cidr_block_association.extra.vpc_id
  cidr_block = "10.20.1.0/24"
}

resource "aws_eip" "nat" {
  domain = "vpc"
}

resource "aws_nat_gateway" "nat" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
  route {
    ipv6_cidr_block = "::/0"
    gateway_id      = aws_internet_gateway.gw.id
  }
}

resource "aws_route_table_association" "public" {
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route" "private_default" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.nat.id
}

resource "aws_route" "to_peer" {
  route_table_id            = aws_route_table.private.id
  destination_cidr_block    = aws_vpc.peer.cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.peer.id
}

resource "aws_route" "to_hub" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "10.30.0.0/16"
  transit_gateway_id     = aws_ec2_transit_gateway.hub.id
}

resource "aws_route" "to_dc" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "192.168.0.0/16"
  gateway_id             = aws_vpn_gateway.vgw.id
}

resource "aws_main_route_table_association" "main" {
  vpc_id         = aws_vpc.main.id
  route_table_id = aws_route_table.private.id
}

resource "aws_network_acl" "app" {
  vpc_id     = aws_vpc.main.id
  subnet_ids = [for s in aws_subnet.app : s.id]
  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    from_port  = var.app_port
    to_port    = var.app_port
    cidr_block = var.cidr
  }
  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "-1"
    from_port  = 0
    to_port    = 0
    cidr_block = "0.0.0.0/0"
  }
}

resource "aws_network_acl_rule" "app_ephemeral" {
  network_acl_id = aws_network_acl.app.id
  rule_number    = 200
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 1024
  to_port        = 65535
}

# web: inline ingress AND separate rules for ingress -> the perpetual-diff finding;
# the separate 443 rule duplicates the inline one -> InvalidPermission.Duplicate.
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = { Name = "web" }
}

resource "aws_security_group_rule" "web_https_again" {
  type              = "ingress"
  security_group_id = aws_security_group.web.id
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "web_ssh" {
  type              = "ingress"
  security_group_id = aws_security_group.web.id
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_blocks       = [var.office]
}

# app: separate rules only (no inline ingress), the newer rule resources.
resource "aws_security_group" "app" {
  name   = "app"
  vpc_id = aws_vpc.main.id
  tags   = { Name = "app" }
}

resource "aws_vpc_security_group_ingress_rule" "app_from_web" {
  security_group_id            = aws_security_group.app.id
  referenced_security_group_id = aws_security_group.web.id
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
}

resource "aws_vpc_security_group_egress_rule" "app_out" {
  security_group_id = aws_security_group.app.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_instance" "web" {
  ami                         = "ami-12345678"
  instance_type               = "t3.micro"
  subnet_id                   = aws_subnet.public[0].id
  private_ip                  = cidrhost(aws_subnet.public[0].cidr_block, 10)
  vpc_security_group_ids      = [aws_security_group.web.id]
  associate_public_ip_address = true
  tags                        = { Name = "web-1" }
}

resource "aws_instance" "app" {
  for_each               = local.apps
  ami                    = "ami-12345678"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.app[each.key].id
  vpc_security_group_ids = [aws_security_group.app.id]
  tags                   = { Name = "app-${each.key}" }
}

resource "aws_network_interface" "app_api_second" {
  subnet_id       = aws_subnet.public[0].id
  private_ips     = ["10.10.0.50"]
  security_groups = [aws_security_group.web.id]
  attachment {
    instance     = aws_instance.app["api"].id
    device_index = 1
  }
}

resource "aws_lb" "front" {
  name    = "front"
  subnets = aws_subnet.public[*].id
}

# A second VPC, peered.
resource "aws_vpc" "peer" {
  cidr_block = "10.40.0.0/16"
  tags       = { Name = "peer" }
}

resource "aws_vpc_peering_connection" "peer" {
  vpc_id      = aws_vpc.main.id
  peer_vpc_id = aws_vpc.peer.id
  tags        = { Name = "main-peer" }
}

resource "aws_vpc_peering_connection_accepter" "peer" {
  vpc_peering_connection_id = aws_vpc_peering_connection.peer.id
  auto_accept               = true
}

# A hub VPC on a transit gateway with its own route table.
resource "aws_vpc" "hub" {
  cidr_block = "10.30.0.0/16"
  tags       = { Name = "hub" }
}

resource "aws_subnet" "hub" {
  vpc_id            = aws_vpc.hub.id
  cidr_block        = "10.30.1.0/24"
  availability_zone = "eu-west-1a"
  tags              = { Name = "hub-a" }
}

resource "aws_ec2_transit_gateway" "hub" {
  amazon_side_asn                 = 64600
  default_route_table_association = "disable"
  default_route_table_propagation = "disable"
  tags                            = { Name = "tgw" }
}

resource "aws_ec2_transit_gateway_route_table" "spokes" {
  transit_gateway_id = aws_ec2_transit_gateway.hub.id
  tags               = { Name = "spokes" }
}

resource "aws_ec2_transit_gateway_vpc_attachment" "main" {
  transit_gateway_id = aws_ec2_transit_gateway.hub.id
  vpc_id             = aws_vpc.main.id
  subnet_ids         = [aws_subnet.app["api"].id]
  tags               = { Name = "att-main" }
}

resource "aws_ec2_transit_gateway_vpc_attachment" "hub" {
  transit_gateway_id = aws_ec2_transit_gateway.hub.id
  vpc_id             = aws_vpc.hub.id
  subnet_ids         = [aws_subnet.hub.id]
  tags               = { Name = "att-hub" }
}

resource "aws_ec2_transit_gateway_route_table_association" "main" {
  transit_gateway_attachment_id  = aws_ec2_transit_gateway_vpc_attachment.main.id
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.spokes.id
}

resource "aws_ec2_transit_gateway_route_table_association" "hub" {
  transit_gateway_attachment_id  = aws_ec2_transit_gateway_vpc_attachment.hub.id
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.spokes.id
}

resource "aws_ec2_transit_gateway_route_table_propagation" "hub" {
  transit_gateway_attachment_id  = aws_ec2_transit_gateway_vpc_attachment.hub.id
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.spokes.id
}

resource "aws_ec2_transit_gateway_route" "to_main" {
  destination_cidr_block         = var.cidr
  transit_gateway_attachment_id  = aws_ec2_transit_gateway_vpc_attachment.main.id
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.spokes.id
}

resource "aws_ec2_transit_gateway_route" "quarantine" {
  destination_cidr_block         = "10.99.0.0/16"
  blackhole                      = true
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.spokes.id
}

# The data centre over a static VPN on the virtual private gateway.
resource "aws_vpn_gateway" "vgw" {
  vpc_id          = aws_vpc.main.id
  amazon_side_asn = 64512
  tags            = { Name = "main-vgw" }
}

resource "aws_customer_gateway" "dc" {
  bgp_asn    = 65000
  ip_address = "203.0.113.1"
  type       = "ipsec.1"
  tags       = { Name = "dc-router" }
}

resource "aws_vpn_connection" "dc" {
  vpn_gateway_id      = aws_vpn_gateway.vgw.id
  customer_gateway_id = aws_customer_gateway.dc.id
  type                = "ipsec.1"
  static_routes_only  = true
  tags                = { Name = "vpn-dc" }
}

resource "aws_vpn_connection_route" "dc" {
  vpn_connection_id      = aws_vpn_connection.dc.id
  destination_cidr_block = "192.168.0.0/16"
}

# Direct Connect to the transit gateway.
resource "aws_dx_gateway" "dx" {
  name            = "dx"
  amazon_side_asn = "64513"
}

resource "aws_dx_transit_virtual_interface" "dx" {
  connection_id  = "dxcon-abc123"
  dx_gateway_id  = aws_dx_gateway.dx.id
  name           = "transit"
  vlan           = 100
  address_family = "ipv4"
  bgp_asn        = 65001
}

resource "aws_dx_gateway_association" "dx" {
  dx_gateway_id         = aws_dx_gateway.dx.id
  associated_gateway_id = aws_ec2_transit_gateway.hub.id
  allowed_prefixes      = ["10.30.0.0/16"]
}

resource "aws_ec2_transit_gateway_route_table_association" "dx" {
  transit_gateway_attachment_id  = aws_dx_gateway_association.dx.transit_gateway_attachment_id
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.spokes.id
}
