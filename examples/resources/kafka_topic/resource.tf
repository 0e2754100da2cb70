resource "kafka_cluster" "events" {
  name = "events"
  brokers = {
    count = 3
  }
}

resource "kafka_topic" "orders" {
  cluster            = kafka_cluster.events.name
  name               = "orders"
  partitions         = 12
  replication_factor = 3

  # Only these keys are tracked: broker defaults never show as drift.
  # Removing a key resets it to the cluster's default.
  config = {
    "retention.ms"        = "604800000"
    "cleanup.policy"      = "delete"
    "min.insync.replicas" = "2"
  }
}
