resource "kafka_cluster" "events" {
  name = "events"

  brokers = {
    count = 3
    cpus  = 2
    mem   = 8192
    heap  = 4096
    disk  = 102400 # MB; fixed at install
  }

  # One broker per agent (the default), rolled one at a time.
  placement_constraint = "[[\"hostname\", \"MAX_PER\", \"1\"]]"
  deploy_strategy      = "serial"

  # Kafka's own property names; the scheduler maps those that have a DC/OS
  # option onto it.
  server_properties = {
    "log.retention.hours"        = "72"
    "min.insync.replicas"        = "2"
    "default.replication.factor" = "3"
    "auto.create.topics.enable"  = "false"
  }

  timeouts {
    create = "30m"
    update = "2h" # a rolling restart of large brokers takes a while
    delete = "30m"
  }
}

output "events_bootstrap_servers" {
  value = kafka_cluster.events.bootstrap_servers
}
