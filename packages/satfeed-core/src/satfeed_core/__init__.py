"""Code shared by every satfeed deployable: label contract, record schema, elements."""
