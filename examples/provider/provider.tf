terraform {
  required_providers {
    kafka = {
      source = "kafka-on-mesos/kafka"
    }
  }
}

# The scheduler's REST API. `kafka-scheduler dev start` prints the URL and
# token as KAFKA_SCHEDULER_ENDPOINT and KAFKA_SCHEDULER_TOKEN, which the
# provider reads when the block leaves them out.
provider "kafka" {
  endpoint = "https://kafka-scheduler.example.com:8443"
  token    = var.scheduler_token

  # The scheduler's CA, when it serves HTTPS with a private one.
  ca_cert_pem = file("${path.module}/scheduler-ca.pem")

  # Each attempt of an API call; waits for plans are bounded by the
  # resources' timeouts instead.
  request_timeout = "30s"
  max_retries     = 4
}

variable "scheduler_token" {
  type      = string
  sensitive = true
}
