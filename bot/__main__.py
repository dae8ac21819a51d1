"""Munshi's commands: ``python -m bot serve | worker | chat | export | connect``."""
from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Munshi, the WhatsApp back office")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="web server, worker and scheduler in one process tree")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--workers", type=int, default=1, help="worker processes to run")
    p = sub.add_parser("worker", help="an RQ worker with its scheduler (for a Procfile deployment)")
    p.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    p = sub.add_parser("chat", help="talk to the bot on stdin, as WhatsApp would")
    p.add_argument("--from", dest="sender")
    p.add_argument("--json", action="store_true")
    from bot.connect import add_parser

    add_parser(sub)
    p = sub.add_parser("export", help="print all data as JSON")
    p.add_argument("--from", dest="sender")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING if args.command in ("chat", "export") else logging.INFO,
                        stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot import quiet_url_loggers

    quiet_url_loggers()
    if args.command == "serve":
        from bot.serve import serve

        return serve(args.host, args.port, args.workers)
    if args.command == "worker":
        from bot.worker import run_worker

        run_worker(burst=args.burst)
        return 0
    if args.command == "chat":
        from bot.console import chat

        return chat(args.sender, args.json)
    if args.command == "connect":
        from bot.connect import connect
        from bot.errors import ConfigError

        try:
            return connect(args)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    from bot.console import export

    return export(args.sender)


if __name__ == "__main__":
    sys.exit(main())
