"""A small OpenID Provider on 127.0.0.1 for the tests: a real HTTP server (one thread per
request) serving a discovery document, a JWKS, the authorization, token, userinfo and
end-session endpoints, with ID tokens signed by a real RSA key through PyJWT.

Each test shapes what the provider says (claims, status codes, silence) through attributes;
the protocol checks themselves are jitsuin's, run unmodified against it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "jitsuin"
CLIENT_SECRET = "jitsuin-oidc-secret-0123456789"


@functools.cache
def provider_key() -> rsa.RSAPrivateKey:
    """The provider's signing key (one per test run: RSA key generation is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Person:
    sub: str
    claims: dict[str, Any]


@dataclass
class Provider:
    """The provider's behaviour; change the fields in a test to make it misbehave."""

    key: rsa.RSAPrivateKey = field(default_factory=lambda: provider_key())
    kid: str = "key-1"
    port: int = 0
    person: Person = field(
        default_factory=lambda: Person(
            "sub-s2310001",
            {
                "preferred_username": "s2310001",
                "email": "s2310001@example.ac.jp",
                "email_verified": True,
                "given_name": "Taro",
                "family_name": "Yamada",
                "family_name#ja": "山田",
                "given_name#ja": "太郎",
            },
        )
    )
    # ID token claims changed (None: removed) after the honest ones are made.
    id_token_changes: dict[str, Any] = field(default_factory=dict)
    id_token_alg: str = "RS256"
    userinfo_changes: dict[str, Any] = field(default_factory=dict)
    document_changes: dict[str, Any] = field(default_factory=dict)
    # "ok", or an HTTP status to answer with, or "hang up" (close the connection unanswered).
    token_answer: Any = "ok"
    discovery_answer: Any = "ok"
    authorization_answer: Any = "ok"
    requests: list[str] = field(default_factory=list)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    token_headers: list[dict[str, str]] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def document(self) -> dict[str, Any]:
        base = self.issuer
        document = {
            "issuer": base,
            "authorization_endpoint": f"{base}/auth",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/me",
            "jwks_uri": f"{base}/jwks",
            "end_session_endpoint": f"{base}/session/end",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
        document.update(self.document_changes)
        return {k: v for k, v in document.items() if v is not None}

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def id_token(self, nonce: str | None, **changes: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.person.sub,
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "auth_time": now,
            "nonce": nonce,
            **self.person.claims,
        }
        claims.update(self.id_token_changes)
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        if self.id_token_alg.startswith("HS"):
            key: Any = CLIENT_SECRET
        else:
            key = self.key
        return jwt.encode(claims, key, algorithm=self.id_token_alg, headers={"kid": self.kid})

    def authorize(self, query: dict[str, str]) -> str:
        """The callback URL the provider sends the browser back to (after a login)."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": query.get("nonce"),
            "redirect_uri": query["redirect_uri"],
            "code_challenge": query.get("code_challenge"),
        }
        return query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _misbehave(self, answer: Any) -> bool:
        if answer == "ok":
            return False
        if answer == "hang up":
            self.close_connection = True
            self.connection.close()
            return True
        self._json(int(answer), {"error": "server_error"})
        return True

    def do_GET(self) -> None:  # noqa: N802
        op = self.server.op
        url = urlsplit(self.path)
        op.requests.append(url.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            if not self._misbehave(op.discovery_answer):
                self._json(200, op.document())
        elif url.path == "/jwks":
            self._json(200, op.jwks())
        elif url.path == "/auth":
            if self._misbehave(op.authorization_answer):
                return
            if "redirect_uri" not in query:  # jitsuin's probe: a real OP answers 400 here
                self._json(400, {"error": "invalid_request"})
                return
            self.send_response(303)
            self.send_header("Location", op.authorize(query))
            self.end_headers()
        elif url.path == "/me":
            if self.headers.get("Authorization") != "Bearer access-" + op.person.sub:
                self._json(401, {"error": "invalid_token"})
                return
            self._json(200, {"sub": op.person.sub, **op.person.claims, **op.userinfo_changes})
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:  # noqa: N802
        op = self.server.op
        op.requests.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        op.token_requests.append(form)
        if self.path != "/token" or self._misbehave(op.token_answer):
            return
        op.token_headers.append(dict(self.headers))
        code = form.get("code", [""])[0]
        grant = op.codes.pop(code, None)
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if (
            form.get("client_secret") != [CLIENT_SECRET]
            and self.headers.get("Authorization") != basic
        ):
            self._json(401, {"error": "invalid_client"})
            return
        verifier = form.get("code_verifier", [""])[0].encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if grant is None or grant["code_challenge"] != challenge.decode():
            self._json(400, {"error": "invalid_grant"})
            return
        self._json(
            200,
            {
                "access_token": "access-" + op.person.sub,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": op.id_token(grant["nonce"]),
            },
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    op: Provider


class RunningProvider:
    """``Provider`` served on 127.0.0.1 until ``stop``."""

    def __init__(self, op: Provider) -> None:
        self.server = _Server(("127.0.0.1", op.port), _Handler)
        self.server.op = op
        op.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
