output "bootstrap_servers" {
  description = "The brokers' host:port addresses, comma-joined, for bootstrap.servers."
  value       = kafka_cluster.this.bootstrap_servers
}

output "broker_addresses" {
  description = "The brokers' host:port addresses, broker 0 first."
  value       = kafka_cluster.this.broker_addresses
}

output "zookeeper_connect" {
  description = "ZooKeeper connect string of the brokers."
  value       = kafka_cluster.this.zookeeper_connect
}

output "config_id" {
  description = "The scheduler's configuration id after the last apply."
  value       = kafka_cluster.this.config_id
}
