variable "cidr" {
  type    = string
  default = "10.10.0.0/16"
}

variable "azs" {
  type    = list(string)
  default = ["eu-west-1a", "eu-west-1b"]
}

variable "office" {
  type = string # no default: given with --var or --var-file
}

variable "app_port" {
  type    = number
  default = 8080
}

locals {
  apps = { api = 20, jobs = 21 }
}
