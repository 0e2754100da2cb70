data "kafka_topic" "orders" {
  cluster = "events"
  name    = "orders"
}

output "orders_leaders" {
  value = [for p in data.kafka_topic.orders.partition_details : p.leader]
}
