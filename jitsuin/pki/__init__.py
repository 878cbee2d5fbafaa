"""The Django-free PKI core: keys, profiles, X.509 issuance, CRL, OCSP and PKCS#12.

Nothing here imports Django or reads the clock: time comes in as a :class:`Clock`,
keys come in as objects, bytes go out. Everything here is testable with bytes in
and bytes out.
"""
