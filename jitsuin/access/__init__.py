"""Sign-in, roles and the network policy that keeps the portal on campus networks."""
