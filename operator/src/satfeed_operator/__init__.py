"""satfeed operator: Satellite resources to KafkaTopics and producers."""

__version__ = "0.1.0"
