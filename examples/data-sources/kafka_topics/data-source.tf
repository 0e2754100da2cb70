data "kafka_topics" "billing" {
  cluster = "events"
  prefix  = "billing."
}

output "billing_topics" {
  value = data.kafka_topics.billing.names
}
