"""The JSON API at /api/v1 (django-ninja; OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Endpoints live in one module per area (``check.py``, ...) and join this router; errors.py
turns typed errors into answers, so endpoints only call services.
"""

from __future__ import annotations

from ninja import NinjaAPI

from jitsuin.api import (
    campaigns,
    certificates,
    check,
    errors,
    people,
    pickups,
    relying_parties,
    request_batches,
    requests,
    revocations,
    sightings,
)

api = NinjaAPI(
    title="jitsuin API",
    version="1",
    urls_namespace="api-v1",
    description=(
        "Client certificates of the institution: checks, people, certificates, pickups, "
        "requests and switchover campaigns. "
        "Every endpoint but /check needs Authorization: Bearer TOKEN (docs/api.md)."
    ),
)
errors.install(api)
api.add_router("/", check.router)
api.add_router("/", people.router)
api.add_router("/", certificates.router)
api.add_router("/", pickups.router)
api.add_router("/", revocations.router)
api.add_router("/", request_batches.router)  # before /requests/{request_id}
api.add_router("/", requests.router)
api.add_router("/", campaigns.router)
api.add_router("/", sightings.router)
api.add_router("/", relying_parties.router)
