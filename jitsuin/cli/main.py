"""The ``jitsuin`` command: Django management commands with a help page of our own."""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "serve": "run jitsuin: migrate, create the demo CA if none, serve the web and a worker",
    "worker": "run a task worker (issue, revoke, publish, notify)",
    "ca": "the CA hierarchy: init, list, create-intermediate, activate, export, revoke, "
    "offline (an offline root: init and sign on the air-gapped machine, request and import)",
    "user": "people and accounts: add, unlock, enrol-code (staff TOTP), grant/withdraw a role, "
    "link-sso, show",
    "issue": "request a certificate for a person and save the PKCS#12",
    "onboarding": "save a person's Wi-Fi profile (mobileconfig, eap-config, ...) from their "
    "certificate waiting to be downloaded",
    "revoke": "request revocation of a certificate or of a person's certificates",
    "requests": "list requests",
    "request": "one request: show its history, retry or cancel it",
    "crl": "write a CA's current CRL to a file",
    "check": "is this certificate still good? (PEM, DER or PKCS#12)",
    "audit": "verify, checkpoint or export the audit log",
    "campaign": "CA switchover campaigns: plan, start, status",
    "sso": "single sign-on: refresh-metadata (fetch and verify the SAML metadata now)",
    "recovery": "S/MIME key recovery: init-key (offline, no database), list, process "
    "(approved recoveries, with the recovery private key)",
    "upstream-sim": "a simulator of the national certificate service (UPKI): init, serve "
    "(no database)",
    "upki": "the national certificate service as this portal's CA: check, status, exchange",
    "signer": "the signing service of an RA/CA split: init, serve, add-ra, remove-ra, status",
    "relying-party": "on a RADIUS or VPN host: sync (keep its CA directory of roots and CRLs "
    "current; needs no database)",
}


def _help() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: jitsuin COMMAND [options]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    lines += [
        "",
        "`jitsuin COMMAND --help` explains one command. Django's own commands",
        "(migrate, createsuperuser, shell, ...) work too.",
        "Settings come from the environment: JITSUIN_DATA_DIR, DATABASE_URL,",
        "JITSUIN_PUBLIC_URL and others (see docs/configuration.md).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    # Before anything is created: the database, its WAL, keys and e-mails are for this user.
    os.umask(0o077)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_help())
        return
    if args[0] == "relying-party":
        # Runs where there is no database or settings: dispatched before Django is imported.
        from jitsuin.agent.command import main as relying_party

        sys.exit(relying_party(args[1:]))
    if args[:2] == ["recovery", "init-key"]:
        # On the offline machine: no database, settings or data directory.
        from jitsuin.cli.recovery_key import main as init_key

        sys.exit(init_key(args[2:]))
    if args[:3] in (["ca", "offline", "init"], ["ca", "offline", "sign"]):
        # The offline root's ceremony, on the air-gapped machine: no database or settings.
        from jitsuin.cli.offline_root import main as ceremony

        sys.exit(ceremony(args[2:]))
    if args[0] == "upstream-sim":
        # Tests, demos and rehearsals: its own state directory, no database or settings.
        from jitsuin.cli.upstream_sim import main as upstream_sim

        sys.exit(upstream_sim(args[1:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jitsuin.settings")
    from django.core.management import execute_from_command_line

    from jitsuin.cli.failures import explain
    from jitsuin.cli.schema import ensure_schema

    try:
        ensure_schema(args)
        execute_from_command_line(["jitsuin", *args])
    except Exception as exc:
        message = None if "--traceback" in args else explain(exc)
        if message is None:
            raise
        print(f"jitsuin: {message}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
