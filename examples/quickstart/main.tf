# The quickstart that `make demo` applies against `kafka-scheduler dev`:
# a 3-broker cluster and two topics (the demo produces to and consumes from
# "demo"). The provider reads the scheduler's endpoint and token
# from KAFKA_SCHEDULER_ENDPOINT and KAFKA_SCHEDULER_TOKEN, which
# `kafka-scheduler dev start` prints.

terraform {
  required_providers {
    kafka = {
      source = "kafka-on-mesos/kafka"
    }
  }
}

provider "kafka" {}

variable "broker_mem" {
  description = "Memory per broker in MB. Change it to see the plan preview a rolling restart."
  type        = number
  default     = 1024
}

resource "kafka_cluster" "quickstart" {
  name = "quickstart"

  brokers = {
    count = 3
    mem   = var.broker_mem
    heap  = 512
  }

  server_properties = {
    "default.replication.factor" = "3"
    "min.insync.replicas"        = "2"
    "log.retention.hours"        = "24"
  }
}

resource "kafka_topic" "demo" {
  cluster            = kafka_cluster.quickstart.name
  name               = "demo"
  partitions         = 3
  replication_factor = 3

  config = {
    "retention.ms"        = "86400000"
    "min.insync.replicas" = "2"
  }
}

resource "kafka_topic" "audit" {
  cluster            = kafka_cluster.quickstart.name
  name               = "audit"
  partitions         = 1
  replication_factor = 3

  config = {
    "cleanup.policy" = "compact"
  }
}

output "bootstrap_servers" {
  description = "The brokers' host:port addresses, for Kafka clients."
  value       = kafka_cluster.quickstart.bootstrap_servers
}

output "zookeeper_connect" {
  value = kafka_cluster.quickstart.zookeeper_connect
}

output "demo_topic" {
  description = "The topic the demo produces to and consumes from."
  value       = kafka_topic.demo.name
}
