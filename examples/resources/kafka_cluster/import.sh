# A cluster is imported by its service name (folders included, e.g. prod/events).
terraform import kafka_cluster.events events
