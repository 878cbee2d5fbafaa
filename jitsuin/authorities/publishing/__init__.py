"""The CA's publishing engine: CRLs and OCSP responses signed for the CA hierarchy.

``crl`` schedules, signs and keeps CRLs; ``ocsp_status`` says what is known about a serial;
``ocsp_signing`` signs (and pre-signs) OCSP responses with delegated responders;
``ocsp_store`` keeps pre-signed responses and this process's caches of them. The HTTP edge
(``jitsuin.revocation``) only reads what is published here.
"""
