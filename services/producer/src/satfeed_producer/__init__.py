"""satfeed producer: positions from orbital elements into Kafka."""
