# A binding is imported as <cluster>/<secret path>. Both may hold '/', so
# the provider asks the scheduler which cluster delivers which secret.
# The value stays unknown to Terraform: an imported binding writes value_wo
# at the next apply only if the configuration sets value_wo_version.
terraform import kafka_secret_binding.sasl_password events/events/sasl-password
terraform import kafka_secret_binding.keystore prod/kafka/prod/kafka/keystore
