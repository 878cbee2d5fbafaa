"""`jitsuin upstream-sim`: a simulator of the national certificate service (UPKI), for
tests, demos and an institution's own rehearsals (docs/upstream-simulator.md).

Standard library only besides jitsuin's pki core: ``http.server`` + ``ssl`` (the officer
logs in with a client certificate), ``sqlite3`` (state that survives restarts), ``smtplib``
(the notices), ``zipfile`` (the access-PIN ZIP). It follows docs/upstream-service-facts.md;
where those sources are silent it says so in its pages and docs.
"""
