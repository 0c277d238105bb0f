# Hand-written for cloudnet's importer tests: the GCP (google) network resource kinds it
# reads: a global network in two regions, tagged firewall rules, Cloud NAT, an HA VPN to the
# data centre and a peered network.

resource "google_compute_network" "shared" {
  name                    = "shared"
  project                 = var.project
  auto_create_subnetworks = false
  routing_mode            = "GLOBAL"
}

resource "google_compute_subnetwork" "sub" {
  for_each      = local.subnets
  name          = each.key
  project       = var.project
  region        = each.value.region
  network       = google_compute_network.shared.id
  ip_cidr_range = each.value.cidr
}

resource "google_compute_network" "ops" {
  name                            = "ops"
  project                         = var.project
  auto_create_subnetworks         = false
  delete_default_routes_on_create = true
}

resource "google_compute_subnetwork" "ops" {
  name          = "ops-1"
  project       = var.project
  region        = var.region
  network       = google_compute_network.ops.self_link
  ip_cidr_range = "10.30.0.0/24"
  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = "10.31.0.0/16"
  }
}

resource "google_compute_network_peering" "shared_ops" {
  name                 = "shared-to-ops"
  network              = google_compute_network.shared.self_link
  peer_network         = google_compute_network.ops.self_link
  export_custom_routes = true
}

resource "google_compute_network_peering" "ops_shared" {
  name                 = "ops-to-shared"
  network              = google_compute_network.ops.self_link
  peer_network         = google_compute_network.shared.self_link
  import_custom_routes = true
}

resource "google_compute_firewall" "web" {
  name          = "allow-web"
  project       = var.project
  network       = google_compute_network.shared.name
  source_ranges = ["0.0.0.0/0"]
  target_tags   = ["web"]
  allow {
    protocol = "tcp"
    ports    = var.web_ports
  }
}

resource "google_compute_firewall" "app_from_web" {
  name        = "allow-app-from-web"
  project     = var.project
  network     = google_compute_network.shared.name
  source_tags = ["web"]
  target_tags = ["app"]
  allow {
    protocol = "tcp"
    ports    = ["8080"]
  }
}

resource "google_compute_firewall" "internal" {
  for_each      = { icmp = 1000, ssh = 1100 }
  name          = "allow-${each.key}-internal"
  project       = var.project
  network       = google_compute_network.shared.name
  priority      = each.value
  source_ranges = ["10.0.0.0/8"]
  allow {
    protocol = each.key == "ssh" ? "tcp" : "icmp"
    ports    = each.key == "ssh" ? ["22"] : []
  }
}

resource "google_compute_firewall" "deny_west_ssh" {
  name               = "deny-west-egress-ssh"
  project            = var.project
  network            = google_compute_network.shared.name
  direction          = "EGRESS"
  priority           = 900
  target_tags        = ["west"]
  destination_ranges = ["0.0.0.0/0"]
  deny {
    protocol = "tcp"
    ports    = ["22"]
  }
}

resource "google_compute_firewall" "ops_from_shared" {
  name          = "ops-from-shared"
  project       = var.project
  network       = google_compute_network.ops.name
  source_ranges = ["10.10.0.0/16"]
  allow {
    protocol = "all"
  }
}

resource "google_compute_address" "web" {
  name    = "web-1-ip"
  project = var.project
  region  = var.region
}

resource "google_compute_address" "nat" {
  name    = "nat-east-ip"
  project = var.project
  region  = var.region
  address = "34.100.0.100"
}

resource "google_compute_instance" "web" {
  name         = "web-1"
  project      = var.project
  zone         = "${var.region}-b"
  machine_type = "e2-small"
  tags         = ["web"]
  network_interface {
    subnetwork = google_compute_subnetwork.sub["web-east"].id
    network_ip = "10.10.1.10"
    access_config {
      nat_ip = google_compute_address.web.address
    }
  }
}

resource "google_compute_instance" "app" {
  count        = 2
  name         = "app-${count.index + 1}"
  project      = var.project
  zone         = count.index == 0 ? "us-east1-b" : "europe-west1-b"
  machine_type = "e2-small"
  tags         = count.index == 0 ? ["app"] : ["app", "west"]
  network_interface {
    subnetwork = google_compute_subnetwork.sub[count.index == 0 ? "app-east" : "app-west"].self_link
  }
}

resource "google_compute_instance" "db" {
  name         = "db-1"
  project      = var.project
  zone         = "us-east1-c"
  machine_type = "e2-small"
  network_interface {
    subnetwork = google_compute_subnetwork.sub["app-east"].id
    network_ip = "10.10.2.50"
  }
}

resource "google_compute_instance" "fw" {
  name           = "fw-1"
  project        = var.project
  zone           = "us-east1-b"
  machine_type   = "e2-small"
  can_ip_forward = true
  service_account {
    email  = "fw@shop-prod.iam.gserviceaccount.com"
    scopes = ["cloud-platform"]
  }
  network_interface {
    subnetwork = google_compute_subnetwork.sub["app-east"].id
    network_ip = "10.10.2.5"
  }
  network_interface {
    subnetwork = google_compute_subnetwork.ops.id
    network_ip = "10.30.0.5"
  }
}

resource "google_compute_route" "via_fw" {
  name              = "via-fw"
  project           = var.project
  network           = google_compute_network.shared.name
  dest_range        = "172.16.0.0/12"
  priority          = 900
  tags              = ["app"]
  next_hop_instance = google_compute_instance.fw.self_link
}

resource "google_compute_route" "ops_internet" {
  name             = "ops-egress"
  project          = var.project
  network          = google_compute_network.ops.name
  dest_range       = "0.0.0.0/0"
  next_hop_gateway = "default-internet-gateway"
}

resource "google_compute_router" "east" {
  name    = "cr-east"
  project = var.project
  region  = var.region
  network = google_compute_network.shared.id
  bgp {
    asn               = 65010
    advertise_mode    = "CUSTOM"
    advertised_groups = []
    advertised_ip_ranges {
      range = "10.10.0.0/16"
    }
    advertised_ip_ranges {
      range = "10.20.0.0/16"
    }
  }
}

resource "google_compute_router_nat" "east" {
  name                               = "nat-east"
  project                            = var.project
  region                             = var.region
  router                             = google_compute_router.east.name
  nat_ip_allocate_option             = "MANUAL_ONLY"
  nat_ips                            = [google_compute_address.nat.self_link]
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"
  subnetwork {
    name                    = google_compute_subnetwork.sub["app-east"].id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }
}

resource "google_compute_ha_vpn_gateway" "east" {
  name    = "vpn-east"
  project = var.project
  region  = var.region
  network = google_compute_network.shared.id
}

resource "google_compute_external_vpn_gateway" "dc" {
  name            = "dc"
  project         = var.project
  redundancy_type = "SINGLE_IP_INTERNALLY_REDUNDANT"
  interface {
    id         = 0
    ip_address = "203.0.113.1"
  }
}

resource "google_compute_vpn_tunnel" "east" {
  count                           = 2
  name                            = "tun-east-${count.index}"
  project                         = var.project
  region                          = var.region
  vpn_gateway                     = google_compute_ha_vpn_gateway.east.id
  vpn_gateway_interface           = count.index
  peer_external_gateway           = google_compute_external_vpn_gateway.dc.id
  peer_external_gateway_interface = 0
  shared_secret                   = "not-a-secret"
  router                          = google_compute_router.east.name
}

resource "google_compute_router_interface" "east" {
  count      = 2
  name       = "if-tun-east-${count.index}"
  project    = var.project
  region     = var.region
  router     = google_compute_router.east.name
  ip_range   = "169.254.${count.index}.1/30"
  vpn_tunnel = google_compute_vpn_tunnel.east[count.index].name
}

resource "google_compute_router_peer" "east" {
  count                     = 2
  name                      = "peer-dc-${count.index}"
  project                   = var.project
  region                    = var.region
  router                    = google_compute_router.east.name
  peer_ip_address           = "169.254.${count.index}.2"
  peer_asn                  = 65001
  advertised_route_priority = 100 + 100 * count.index
  interface                 = google_compute_router_interface.east[count.index].name
}

resource "google_compute_forwarding_rule" "web" {
  name                  = "web-lb"
  project               = var.project
  region                = var.region
  load_balancing_scheme = "EXTERNAL"
  port_range            = "80"
}
