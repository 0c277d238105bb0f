variable "project" {
  default = "shop-prod"
}

variable "region" {
  default = "us-east1"
}

variable "web_ports" {
  default = ["80", "443"]
}

locals {
  subnets = {
    web-east = { region = "us-east1", cidr = "10.10.1.0/24" }
    app-east = { region = "us-east1", cidr = "10.10.2.0/24" }
    app-west = { region = "europe-west1", cidr = "10.20.2.0/24" }
  }
}
