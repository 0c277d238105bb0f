# Security group rule forms: dynamic inline blocks, self, a group referenced by id, a rule
# repeated inside one aws_security_group_rule's CIDR list, and the unknown VPC of a variable.
variable "ports" {
  default = [80, 443]
}

variable "vpc_id" {} # not given: known only after apply

resource "aws_vpc" "v" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_security_group" "lb" {
  vpc_id = aws_vpc.v.id
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
  ingress {
    from_port = 0
    to_port   = 0
    protocol  = "-1"
    self      = true
  }
  tags = { Name = "lb" }
}

resource "aws_security_group" "svc" {
  vpc_id = aws_vpc.v.id
  tags   = { Name = "svc" }
}

resource "aws_security_group_rule" "svc_from_lb" {
  type                     = "ingress"
  security_group_id        = aws_security_group.svc.id
  source_security_group_id = aws_security_group.lb.id
  protocol                 = "tcp"
  from_port                = 8000
  to_port                  = 8999
}

resource "aws_vpc_security_group_ingress_rule" "svc_from_lb_again" {
  security_group_id            = aws_security_group.svc.id
  referenced_security_group_id = aws_security_group.lb.id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8999
}

resource "aws_security_group" "elsewhere" {
  vpc_id = var.vpc_id
  tags   = { Name = "elsewhere" }
}
