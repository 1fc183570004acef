"""Real services on loopback for satfeed tests, usable from pytest and by hand."""
