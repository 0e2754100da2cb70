# A topic is imported as <cluster>/<topic>. Cluster names may hold '/'
# (folders), topic names never do: the id splits at its last '/'.
terraform import kafka_topic.orders events/orders
terraform import kafka_topic.audit prod/kafka/audit
