"""Single sign-on: people who sign in through the campus IdP (OpenID Connect or SAML).

SSO identities are their own namespace, (issuer, subject), linked explicitly to a Django user
and the directory Person; a local account is never reached by SSO.
"""
