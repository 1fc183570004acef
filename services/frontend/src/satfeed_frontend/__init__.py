"""satfeed frontend: the live dashboard."""
