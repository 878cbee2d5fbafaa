"""The relying-party agent (``jitsuin relying-party sync``): runs on a RADIUS or VPN host.

Django-free (an import-linter contract keeps it so): stdlib, ``cryptography`` and the pki core.
"""
