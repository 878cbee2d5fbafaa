"""What relying services fetch: CA certificates, CRLs and OCSP responses."""
