# Endpoints and settings of a cluster managed elsewhere (another state, or
# installed through the scheduler's API).
data "kafka_cluster" "shared" {
  name = "shared"
}

output "shared_bootstrap_servers" {
  value = data.kafka_cluster.shared.bootstrap_servers
}
