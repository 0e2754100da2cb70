resource "kafka_cluster" "events" {
  name = "events"
  brokers = {
    count = 3
  }
}

# Ephemeral (Terraform 1.10+): the value is never saved in the plan or the
# state, and value_wo (Terraform 1.11+) never keeps it either.
variable "sasl_password" {
  type      = string
  sensitive = true
  ephemeral = true
}

# A text secret that the binding writes, delivered to every broker as an
# environment variable. Bump value_wo_version to write a new value: the
# apply rolls the brokers and waits for them.
resource "kafka_secret_binding" "sasl_password" {
  cluster          = kafka_cluster.events.name
  path             = "events/sasl-password"
  value_wo         = var.sasl_password
  value_wo_version = 1
  env_key          = "KAFKA_SASL_PASSWORD"
}

# A binary secret (a Java keystore): value_wo is its base64, and each
# broker gets the decoded bytes as a file in its sandbox.
resource "kafka_secret_binding" "keystore" {
  cluster          = kafka_cluster.events.name
  path             = "events/keystore"
  value_wo         = filebase64("${path.module}/keystore.jks")
  value_wo_version = 1
  binary           = true
  file             = "secrets/keystore.jks"
}

# A secret that already exists in the scheduler's store (written with
# PUT /v1/secrets/krb5-conf): without value_wo the binding only delivers it,
# and a destroy leaves the secret in the store.
resource "kafka_secret_binding" "krb5" {
  cluster = kafka_cluster.events.name
  path    = "krb5-conf"
  file    = "krb5.conf"
}
