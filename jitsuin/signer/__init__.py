"""The signing service of an RA/CA split (docs/signer.md): CA keys, policy, and the orders of
registered RAs over mutual TLS."""
