"""satfeed's development package: what developers run and what tests and benchmarks share.

The test bed (real services on loopback, usable from pytest and by hand with the
``satfeed-testbed`` command), the demo, the dashboard screenshot, the helpers that run the
frontend, the operator and the node test bed's charts, and the bundled sample data's lookup.
"""
