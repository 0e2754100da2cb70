terraform {
  # terraform test (tests/*.tftest.hcl) needs 1.6 or later; the module
  # itself works from 1.5.
  required_version = ">= 1.5"

  required_providers {
    kafka = {
      source = "kafka-on-mesos/kafka"
    }
  }
}
