"""OpenID Connect through mozilla-django-oidc: discovery, ID token checks, logout."""
