# Hand-written for cloudnet's importer tests: the Azure (azurerm) network resource kinds it
# reads, as a hub and two spokes with a VPN to the data centre.

resource "azurerm_resource_group" "net" {
  name     = "net-rg"
  location = var.location
}

resource "azurerm_virtual_network" "hub" {
  name                = "hub"
  location            = azurerm_resource_group.net.location
  resource_group_name = azurerm_resource_group.net.name
  address_space       = ["10.0.0.0/16"]
}

resource "azurerm_subnet" "gateway" {
  name                 = "GatewaySubnet"
  resource_group_name  = azurerm_resource_group.net.name
  virtual_network_name = azurerm_virtual_network.hub.name
  address_prefixes     = ["10.0.255.0/27"]
}

resource "azurerm_subnet" "shared" {
  name                 = "shared"
  resource_group_name  = azurerm_resource_group.net.name
  virtual_network_name = azurerm_virtual_network.hub.name
  address_prefixes     = [cidrsubnet("10.0.0.0/16", 8, 1)]
}

resource "azurerm_virtual_network" "spoke" {
  for_each            = var.spokes
  name                = each.key
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name
  address_space       = [each.value]
}

resource "azurerm_subnet" "app" {
  for_each             = var.spokes
  name                 = "app"
  resource_group_name  = azurerm_resource_group.net.name
  virtual_network_name = azurerm_virtual_network.spoke[each.key].name
  address_prefixes     = [cidrsubnet(each.value, 8, 1)]
}

resource "azurerm_network_security_group" "spoke" {
  name                = "spoke-nsg"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name

  security_rule {
    name                       = "ssh-from-dc"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "22"
    source_address_prefix      = local.dc_prefix
    destination_address_prefix = "*"
  }
  security_rule {
    name                       = "web-from-vnet"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["80", "443"]
    source_address_prefix      = "VirtualNetwork"
    destination_address_prefix = "*"
  }
}

resource "azurerm_network_security_rule" "no_rdp" {
  name                        = "no-rdp"
  priority                    = 200
  direction                   = "Inbound"
  access                      = "Deny"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_range      = "3389"
  source_address_prefix       = "*"
  destination_address_prefix  = "*"
  resource_group_name         = azurerm_resource_group.net.name
  network_security_group_name = azurerm_network_security_group.spoke.name
}

resource "azurerm_network_security_rule" "from_storage" {
  name                        = "from-storage"
  priority                    = 300
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "*"
  source_port_range           = "*"
  destination_port_range      = "*"
  source_address_prefix       = "Storage"
  destination_address_prefix  = "*"
  resource_group_name         = azurerm_resource_group.net.name
  network_security_group_name = azurerm_network_security_group.spoke.name
}

resource "azurerm_subnet_network_security_group_association" "app" {
  for_each                  = var.spokes
  subnet_id                 = azurerm_subnet.app[each.key].id
  network_security_group_id = azurerm_network_security_group.spoke.id
}

resource "azurerm_network_security_group" "jump" {
  name                = "jump-nsg"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name

  security_rule {
    name                       = "ssh-from-office"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "22"
    source_address_prefix      = var.office
    destination_address_prefix = "*"
  }
}

resource "azurerm_route_table" "spoke" {
  name                = "spoke-rt"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name

  route {
    name           = "dc"
    address_prefix = local.dc_prefix
    next_hop_type  = "VirtualNetworkGateway"
  }
}

resource "azurerm_route" "blackhole" {
  name                = "blackhole"
  resource_group_name = azurerm_resource_group.net.name
  route_table_name    = azurerm_route_table.spoke.name
  address_prefix      = "10.99.0.0/16"
  next_hop_type       = "None"
}

resource "azurerm_subnet_route_table_association" "spoke1" {
  subnet_id      = azurerm_subnet.app["spoke1"].id
  route_table_id = azurerm_route_table.spoke.id
}

resource "azurerm_virtual_network_peering" "hub_to_spoke" {
  for_each                  = var.spokes
  name                      = "hub-to-${each.key}"
  resource_group_name       = azurerm_resource_group.net.name
  virtual_network_name      = azurerm_virtual_network.hub.name
  remote_virtual_network_id = azurerm_virtual_network.spoke[each.key].id
  allow_gateway_transit     = true
}

resource "azurerm_virtual_network_peering" "spoke_to_hub" {
  for_each                  = var.spokes
  name                      = "${each.key}-to-hub"
  resource_group_name       = azurerm_resource_group.net.name
  virtual_network_name      = azurerm_virtual_network.spoke[each.key].name
  remote_virtual_network_id = azurerm_virtual_network.hub.id
  allow_forwarded_traffic   = each.key == "spoke2"
  use_remote_gateways       = true
  depends_on                = [azurerm_virtual_network_gateway.hub]
}

resource "azurerm_public_ip" "nat" {
  name                = "nat-pip"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name
  allocation_method   = "Static"
}

resource "azurerm_nat_gateway" "spoke2" {
  name                = "spoke2-nat"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name
}

resource "azurerm_nat_gateway_public_ip_association" "spoke2" {
  nat_gateway_id       = azurerm_nat_gateway.spoke2.id
  public_ip_address_id = azurerm_public_ip.nat.id
}

resource "azurerm_subnet_nat_gateway_association" "spoke2" {
  subnet_id      = azurerm_subnet.app["spoke2"].id
  nat_gateway_id = azurerm_nat_gateway.spoke2.id
}

resource "azurerm_public_ip" "vpn" {
  name                = "vpn-pip"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name
  allocation_method   = "Static"
}

resource "azurerm_virtual_network_gateway" "hub" {
  name                = "hub-vpngw"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name
  type                = "Vpn"
  vpn_type            = "RouteBased"
  sku                 = "VpnGw1"
  enable_bgp          = true
  bgp_settings {
    asn = 65515
  }
  ip_configuration {
    name                 = "vnetGatewayConfig"
    public_ip_address_id = azurerm_public_ip.vpn.id
    subnet_id            = azurerm_subnet.gateway.id
  }
}

resource "azurerm_local_network_gateway" "dc" {
  name                = "dc"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name
  gateway_address     = "203.0.113.1"
  address_space       = [local.dc_prefix]
  bgp_settings {
    asn                 = 65010
    bgp_peering_address = "192.168.10.1"
  }
}

resource "azurerm_virtual_network_gateway_connection" "dc" {
  name                       = "hub-to-dc"
  location                   = var.location
  resource_group_name        = azurerm_resource_group.net.name
  type                       = "IPsec"
  virtual_network_gateway_id = azurerm_virtual_network_gateway.hub.id
  local_network_gateway_id   = azurerm_local_network_gateway.dc.id
  enable_bgp                 = true
  shared_key                 = "not-a-secret"
}

resource "azurerm_public_ip" "jump" {
  name                = "jump-pip"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name
  allocation_method   = "Static"
}

resource "azurerm_network_interface" "jump" {
  name                = "jump-nic"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name
  ip_configuration {
    name                          = "internal"
    subnet_id                     = azurerm_subnet.shared.id
    private_ip_address_allocation = "Static"
    private_ip_address            = "10.0.1.10"
    public_ip_address_id          = azurerm_public_ip.jump.id
  }
}

resource "azurerm_network_interface_security_group_association" "jump" {
  network_interface_id      = azurerm_network_interface.jump.id
  network_security_group_id = azurerm_network_security_group.jump.id
}

resource "azurerm_linux_virtual_machine" "jump" {
  name                  = "jump"
  location              = var.location
  resource_group_name   = azurerm_resource_group.net.name
  size                  = "Standard_B1s"
  admin_username        = "ops"
  network_interface_ids = [azurerm_network_interface.jump.id]
}

resource "azurerm_network_interface" "app" {
  count               = 2
  name                = "app${count.index + 1}-nic"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name
  ip_configuration {
    name                          = "internal"
    subnet_id                     = azurerm_subnet.app["spoke${count.index + 1}"].id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "azurerm_windows_virtual_machine" "app" {
  count                 = 2
  name                  = "app${count.index + 1}"
  location              = var.location
  resource_group_name   = azurerm_resource_group.net.name
  size                  = "Standard_B2s"
  admin_username        = "ops"
  network_interface_ids = [azurerm_network_interface.app[count.index].id]
}

resource "azurerm_network_interface" "fw" {
  for_each             = { eth0 = "10.0.1.20", eth1 = "10.0.1.21" }
  name                 = "fw-${each.key}"
  location             = var.location
  resource_group_name  = azurerm_resource_group.net.name
  ip_forwarding_enabled = true
  ip_configuration {
    name                          = "internal"
    subnet_id                     = azurerm_subnet.shared.id
    private_ip_address_allocation = "Static"
    private_ip_address            = each.value
  }
}

resource "azurerm_virtual_machine" "fw" {
  name                         = "fw"
  location                     = var.location
  resource_group_name          = azurerm_resource_group.net.name
  vm_size                      = "Standard_B2s"
  network_interface_ids        = [azurerm_network_interface.fw["eth1"].id, azurerm_network_interface.fw["eth0"].id]
  primary_network_interface_id = azurerm_network_interface.fw["eth0"].id
}

resource "azurerm_lb" "front" {
  name                = "front-lb"
  location            = var.location
  resource_group_name = azurerm_resource_group.net.name
}
