variable "name" {
  description = "Service name of the cluster in kafka-scheduler (lowercase letters, digits, hyphens; folders with /)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(/[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", var.name))
    error_message = "The name must be lowercase letters, digits and hyphens, optionally in folders (team/events)."
  }
}

variable "broker_count" {
  description = "Number of brokers. It can grow, never shrink (the scheduler refuses a decrease at plan)."
  type        = number
  default     = 3

  validation {
    condition     = var.broker_count >= 1 && floor(var.broker_count) == var.broker_count
    error_message = "broker_count must be a whole number of at least 1."
  }
}

variable "broker_cpus" {
  description = "CPUs per broker."
  type        = number
  default     = 1
}

variable "broker_mem" {
  description = "Memory per broker in MB (JVM heap included). A change rolls the brokers one at a time."
  type        = number
  default     = 2048
}

variable "broker_heap" {
  description = "JVM heap per broker in MB; it must fit in broker_mem."
  type        = number
  default     = 512
}

variable "broker_disk" {
  description = "Persistent volume per broker in MB. Fixed at install: changing it means replacing the cluster (all data lost)."
  type        = number
  default     = 5000
}

variable "retention_hours" {
  description = "Default log retention of the cluster's topics (log.retention.hours)."
  type        = number
  default     = 168
}

variable "min_insync_replicas" {
  description = "Cluster default min.insync.replicas."
  type        = number
  default     = 1
}

variable "server_properties" {
  description = "More Kafka broker properties, with Kafka's names. They win over the module's own."
  type        = map(string)
  default     = {}
}

variable "update_timeout" {
  description = "How long an apply may wait for a rolling update."
  type        = string
  default     = "60m"
}
