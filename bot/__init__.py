"""Munshi's web side: the Flask app factory.

`create_app()` builds the app from the environment (gunicorn:
``bot:create_app()``); tests pass their own `Config`.
"""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.config import Config
from bot.runtime import Runtime, set_runtime

MAX_BODY = 1024 * 1024
#: Libraries that log every request's full URL (and Twilio's, its headers) at INFO. A Slack webhook URL,
#: or an API key in a flow's query string, is a credential: these loggers speak up for warnings only.
URL_LOGGERS = ("httpx", "httpcore", "httpx2", "httpcore2", "urllib3", "twilio.http_client")


def quiet_url_loggers() -> None:
    """Keep request URLs out of the logs (see `URL_LOGGERS`)."""
    for name in URL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def create_app(config: Config | None = None, *, migrate: bool = True) -> Flask:
    """Build the Flask app; migrations run first unless ``migrate`` is False."""
    from bot import api, documents, health, metrics, pages
    from bot.webhooks import hooks, razorpay, twilio

    config = config or Config.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_url_loggers()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config["MAX_FORM_MEMORY_SIZE"] = MAX_BODY
    app.config["SECRET_KEY"] = config.secret_key
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)  # type: ignore[method-assign]
    runtime = Runtime(config)
    set_runtime(runtime)
    if migrate:
        runtime.db.migrate()
    app.extensions["munshi"] = runtime
    app.register_blueprint(twilio.bp)
    app.register_blueprint(razorpay.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(hooks.bp)  # the flows' webhook URLs
    app.register_blueprint(health.bp)  # /healthz
    app.register_blueprint(metrics.bp)  # /metrics
    pages.init_app(app)  # /simulator, /dashboard, /login
    api.init_app(app)  # /api/…, /openapi.json and the rate limits (after every blueprint)

    @app.get("/")
    def index() -> dict[str, str]:
        return {"name": "Munshi", "whatsapp_webhook": "/twilio/whatsapp", "status_callback": "/twilio/status",
                "dashboard": "/dashboard", "simulator": "/simulator", "api": "/openapi.json",
                "health": "/healthz"}

    return app
