"""Where signing happens: the builtin CA, and later remote and batch connectors."""
