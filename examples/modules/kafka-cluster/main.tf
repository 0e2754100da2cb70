# A Kafka cluster on kafka-scheduler with the settings a platform team
# usually fixes for every cluster, and outputs that other modules consume.
# The caller configures the kafka provider.

locals {
  server_properties = merge({
    "log.retention.hours"        = tostring(var.retention_hours)
    "min.insync.replicas"        = tostring(var.min_insync_replicas)
    "default.replication.factor" = tostring(min(var.broker_count, 3))
    "auto.create.topics.enable"  = "false"
  }, var.server_properties)
}

resource "kafka_cluster" "this" {
  name = var.name

  brokers = {
    count = var.broker_count
    cpus  = var.broker_cpus
    mem   = var.broker_mem
    heap  = var.broker_heap
    disk  = var.broker_disk
  }

  server_properties = local.server_properties

  timeouts {
    update = var.update_timeout
  }
}
