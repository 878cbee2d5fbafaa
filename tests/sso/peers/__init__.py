"""Issue 20's end-to-end SSO suite: real IdPs (SimpleSAMLphp, panva oidc-provider), nginx TLS,
`jitsuin serve` on PostgreSQL, Chromium. Runs on CI's PostgreSQL pass:

    npm ci --prefix tests/sso/peers/op
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jitsuin JITSUIN_DATA_DIR=$(mktemp -d) \\
        .venv/bin/python -m pytest tests/sso/peers

The peers' configs, logs and screenshots stay in pytest's ``sso-peers0`` directory.
"""
