"""satfeed operator: Satellite resources to KafkaTopics and producers."""
