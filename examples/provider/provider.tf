terraform {
  required_providers {
    kafka = {
      source = "kafka-on-mesos/kafka"
    }
  }
}

# The scheduler's REST API. `kafka-scheduler dev` prints the URL and token to
# use here; they can also come from KAFKA_SCHEDULER_ENDPOINT and
# KAFKA_SCHEDULER_TOKEN.
provider "kafka" {
  endpoint = "http://127.0.0.1:8080"
  token    = var.scheduler_token
}

variable "scheduler_token" {
  type      = string
  sensitive = true
}
