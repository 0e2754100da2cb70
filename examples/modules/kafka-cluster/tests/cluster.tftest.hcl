# terraform test for the module, run against `kafka-scheduler dev` (make
# test does it; see the "Testing modules in CI" guide). The provider reads
# KAFKA_SCHEDULER_ENDPOINT and KAFKA_SCHEDULER_TOKEN from the environment.

variables {
  name       = "module-ci"
  broker_mem = 1024
}

run "rejects_a_bad_name" {
  command = plan

  variables {
    name = "Not_A_Name"
  }

  expect_failures = [var.name]
}

run "rejects_zero_brokers" {
  command = plan

  variables {
    broker_count = 0
  }

  expect_failures = [var.broker_count]
}

run "creates_the_cluster" {
  assert {
    condition     = length(kafka_cluster.this.broker_addresses) == 3
    error_message = "The cluster must have 3 brokers, got ${jsonencode(kafka_cluster.this.broker_addresses)}."
  }

  assert {
    condition     = length(split(",", output.bootstrap_servers)) == 3
    error_message = "bootstrap_servers must list the 3 brokers."
  }

  assert {
    condition     = kafka_cluster.this.server_properties["auto.create.topics.enable"] == "false"
    error_message = "The module's defaults must reach the scheduler."
  }

  assert {
    condition     = kafka_cluster.this.brokers.kafka_uri != ""
    error_message = "Settings the module leaves out must read back from the scheduler."
  }
}

run "rolls_a_memory_change" {
  variables {
    broker_mem = 1280
  }

  assert {
    condition     = kafka_cluster.this.brokers.mem == 1280
    error_message = "brokers.mem must be 1280 after the update."
  }

  assert {
    condition     = length(kafka_cluster.this.broker_addresses) == 3
    error_message = "The update must keep the 3 brokers."
  }
}

run "overrides_win" {
  command = plan

  variables {
    broker_mem        = 1280
    server_properties = { "log.retention.hours" = "12" }
  }

  assert {
    condition     = kafka_cluster.this.server_properties["log.retention.hours"] == "12"
    error_message = "server_properties given by the caller must win over the module's."
  }
}
