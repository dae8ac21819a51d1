"""`python -m bot connect SERVICE --business +E164 …`: store a business's credentials for a service."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO, Any

from bot import credentials
from bot.config import Config
from bot.console import _e164
from bot.errors import ConfigError
from bot.runtime import Runtime
from storage import queries

# service -> (option, secret?, help)
OPTIONS: dict[str, list[tuple[str, bool, str]]] = {
    "razorpay": [("key-id", False, "Razorpay key id (rzp_live_… or rzp_test_…)"),
                 ("key-secret", True, "Razorpay key secret"),
                 ("webhook-secret", True, "the secret you typed into Razorpay's webhook form")],
    "smtp": [("url", True, "smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465"),
             ("from-address", False, "the From address of emails")],
    "slack": [("webhook-url", True, "the Slack incoming-webhook URL")],
    "google": [("service-account-file", True, "the service account's JSON key file")],
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("connect", help="store a business's credentials for razorpay, google, smtp or slack")
    p.add_argument("service", choices=sorted(OPTIONS))
    p.add_argument("--business", required=True, help="the owner's WhatsApp number, E.164")
    for name, _secret, text in {o for opts in OPTIONS.values() for o in opts}:
        p.add_argument(f"--{name}", help=text)


def connect(args: argparse.Namespace, stdout: IO[str] = sys.stdout) -> int:
    """Validate the options for the service, store them encrypted, print what to do next."""
    config = Config.from_env()
    wanted = OPTIONS[args.service]
    values = {name: getattr(args, name.replace("-", "_")) for name, _s, _t in wanted}
    missing = [f"--{n}" for n, v in values.items() if not v and n != "from-address"]
    if missing:
        raise ConfigError(f"connect {args.service} needs {', '.join(missing)}")
    if args.service == "google":
        path = Path(values["service-account-file"])
        try:
            values["service-account-file"] = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the service account file {path}: {exc}") from None
    secret = {n.replace("-", "_"): v for n, v in values.items() if v}
    public = {n.replace("-", "_"): v for n, s, _t in wanted if not s and (v := values[n])}
    rt = Runtime(config)
    rt.db.migrate()
    with rt.db.session() as s:
        biz = queries.get_or_create_business(s, _e164(args.business))
        credentials.store(s, config.secret_key, biz.id, args.service, secret, public)
        webhook_id, phone = biz.webhook_id, biz.phone
    stdout.write(f"Saved {args.service} credentials for {phone} (encrypted).\n")
    if args.service == "razorpay":
        base = config.public_base_url or "https://YOUR_HOST"
        stdout.write(f"In Razorpay → Settings → Webhooks, add:\n  URL:    {base}/webhooks/razorpay/{webhook_id}\n"
                     "  Secret: the webhook secret you just gave\n"
                     "  Events: payment.captured, payment_link.paid\n")
    return 0
