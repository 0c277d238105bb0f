variable "location" {
  default = "West Europe"
}

variable "office" {
  description = "the office's public range, allowed to SSH to the jump host"
  default     = "198.51.100.0/24"
}

variable "spokes" {
  default = {
    spoke1 = "10.1.0.0/16"
    spoke2 = "10.2.0.0/16"
  }
}

locals {
  dc_prefix = "192.168.10.0/24"
}
