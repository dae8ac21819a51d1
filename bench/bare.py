"""The baseline of the ingestion benchmark: a bare Flask app with the webhook's URL and answer.

    gunicorn --workers 2 --threads 4 "bench.bare:create_app()"

``POST /twilio/whatsapp`` answers the same empty TwiML as Munshi's webhook, but checks no signature,
reads no form, stores nothing and enqueues nothing: what gunicorn + Flask cost on their own, so the
ratio to Munshi's figures shows what Munshi's own work (signature, database, Redis) adds.
"""
from __future__ import annotations

from flask import Flask, Response

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def create_app() -> Flask:
    """The bare app (gunicorn: ``bench.bare:create_app()``)."""
    app = Flask(__name__)

    @app.post("/twilio/whatsapp")
    def inbound() -> Response:
        return Response(EMPTY_TWIML, mimetype="application/xml")

    @app.get("/")
    def index() -> dict[str, str]:
        return {"name": "bare"}

    return app
