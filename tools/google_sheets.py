"""``google_sheets.append_row``: add a row to a Google Sheet — or to the shop's local sheet.

With a service account (the business's ``google`` connection, else
``GOOGLE_SERVICE_ACCOUNT_FILE``) the row is appended with gspread (Sheets API
``values:append``, ``USER_ENTERED`` so numbers stay numbers and dates become
dates). ``spreadsheet`` is the sheet's key, its URL or its title; the sheet
must be shared with the service account's e-mail address, which the error
names when it is not. A ``429`` (quota) is retried here a few times with
exponential backoff before the step fails as retryable.

Without any Google credentials the row goes to the local sheet: `SheetRow`
rows in the database (shown by ``python -m bot export`` and the API), stored
once per idempotency key in the step's own transaction.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import bindparam, func, select

from bot.errors import ConfigError, PermanentToolError, ToolError, TransientToolError
from flows.dispatch import insert_ignoring
from storage.models import SheetRow, utcnow
from tools.base import BaseTool, ToolContext
from tools.connections import business_credentials, config_of, release

SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive.readonly")
MAX_VALUES = 200
BACKOFF = (1.0, 2.0, 4.0)  # seconds before each retry of a 429
TIMEOUT = 20.0
_KEY = re.compile(r"^[A-Za-z0-9_-]{25,100}$")
_URL_KEY = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")
_ROW = re.compile(r"![A-Z]+(\d+)")


def cell(value: Any) -> Any:
    """A value as a sheet cell: numbers and text as they are, nothing as empty, the rest as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, default=str)


class AppendParams(BaseModel):
    spreadsheet: str = Field(min_length=1, max_length=300, description="the sheet's title, key or URL")
    worksheet: str | None = Field(None, max_length=100, description="tab name (default: the first tab)")
    values: list[Any] = Field(min_length=1, max_length=MAX_VALUES)

    @field_validator("spreadsheet")
    @classmethod
    def _spreadsheet(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("name the spreadsheet")
        return value

    @field_validator("worksheet")
    @classmethod
    def _worksheet(cls, value: str | None) -> str | None:
        return value.strip() or None if value else None

    @field_validator("values", mode="before")
    @classmethod
    def _values(cls, value: Any) -> Any:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return [value]
        return value

    @property
    def cells(self) -> list[Any]:
        return [cell(v) for v in self.values]


def service_account(ctx: ToolContext) -> dict[str, Any] | None:
    """The service account's JSON key: the business's connection, else the environment's file."""
    creds = business_credentials(ctx, "google") or {}
    info = creds.get("service_account_file") or creds.get("service_account")
    if isinstance(info, str):
        info = json.loads(info)
    if info:
        return dict(info)
    path = getattr(config_of(ctx), "google_service_account_file", None)
    if not path:
        return None
    try:
        return dict(json.loads(Path(path).read_text()))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"GOOGLE_SERVICE_ACCOUNT_FILE {path} cannot be read: {exc}") from None


_rows = SheetRow.__table__
_FIND = select(_rows.c.id, _rows.c.spreadsheet, _rows.c.worksheet).where(_rows.c.idempotency_key == bindparam("key"))
_COUNT = select(func.count(_rows.c.id)).where(
    _rows.c.business_id == bindparam("business_id"), _rows.c.spreadsheet == bindparam("spreadsheet"),
    _rows.c.worksheet == bindparam("worksheet"), _rows.c.id <= bindparam("id"))


def _quote_tab(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


class AppendRow(BaseTool):
    name = "google_sheets.append_row"
    description = ("Add a row of values to a Google Sheet (by title, key or URL; optional tab). Without Google "
                   "connected, rows are kept in the shop's local sheet.")
    Params = AppendParams
    outputs = ("row", "spreadsheet", "worksheet")
    writes = True
    idempotent = False
    external = True  # calls out or writes on its own connection (flows.engine commits first)

    def __init__(self, session_factory: Callable[[Any], Any] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.session_factory = session_factory
        self.sleep = sleep

    def reaches_out(self, ctx: ToolContext) -> bool:
        """Google is outside; the local sheet is a row in the step's own transaction."""
        return self._account(ctx) is not None

    @staticmethod
    def _account(ctx: ToolContext) -> dict[str, Any] | None:
        if "google_account" not in ctx.extra:  # looked up once per step
            ctx.extra["google_account"] = service_account(ctx)
        return ctx.extra["google_account"]

    def run(self, ctx: ToolContext, params: AppendParams) -> dict[str, Any]:
        info = self._account(ctx)
        if info is None:
            return self.append_local(ctx, params)
        return self.append_google(ctx, params, info)

    # -- the local sheet --------------------------------------------------------------------------
    @staticmethod
    def append_local(ctx: ToolContext, params: AppendParams) -> dict[str, Any]:
        conn = ctx.session.connection()
        spreadsheet, worksheet = params.spreadsheet[:200], params.worksheet or "Sheet1"
        stmt = insert_ignoring(ctx.session.get_bind().dialect.name, _rows, ("idempotency_key",), "id")
        row_id = conn.execute(stmt, {"business_id": ctx.business_id, "spreadsheet": spreadsheet,
                                     "worksheet": worksheet, "values": params.cells,
                                     "idempotency_key": ctx.idempotency_key, "created_at": utcnow()}).scalar()
        if row_id is None:  # this step added its row before
            row_id, spreadsheet, worksheet = conn.execute(_FIND, {"key": ctx.idempotency_key}).one()
        number = conn.execute(_COUNT, {"business_id": ctx.business_id, "spreadsheet": spreadsheet,
                                       "worksheet": worksheet, "id": row_id}).scalar()
        return {"row": int(number or 0), "spreadsheet": spreadsheet, "worksheet": worksheet, "local": True}

    # -- Google -----------------------------------------------------------------------------------
    def _client(self, ctx: ToolContext, info: dict[str, Any]) -> Any:
        import gspread
        from google.oauth2.service_account import Credentials

        try:
            creds = Credentials.from_service_account_info(info, scopes=list(SCOPES))
        except (ValueError, KeyError) as exc:
            raise PermanentToolError(f"the Google service account key is not valid ({exc}); connect google "
                                     "again with the JSON key file") from None
        factory = ctx.extra.get("google_session") or self.session_factory
        session = factory(creds) if factory else None
        client = gspread.Client(auth=creds, session=session)
        client.http_client.set_timeout(TIMEOUT)
        return client

    def append_google(self, ctx: ToolContext, params: AppendParams, info: dict[str, Any]) -> dict[str, Any]:
        import gspread
        import requests
        from google.auth.exceptions import RefreshError, TransportError

        client = self._client(ctx, info)
        release(ctx)
        who = info.get("client_email", "the service account")
        sleep = ctx.extra.get("sleep") or self.sleep
        for attempt in range(len(BACKOFF) + 1):
            try:
                key = self._key(client, params.spreadsheet)
                target = f"{_quote_tab(params.worksheet)}!A1" if params.worksheet else "A1"
                result = client.http_client.values_append(
                    key, target, params={"valueInputOption": "USER_ENTERED", "insertDataOption": "INSERT_ROWS"},
                    body={"values": [params.cells]})
            except gspread.exceptions.APIError as exc:
                status = exc.response.status_code
                if status == 429 and attempt < len(BACKOFF):
                    sleep(BACKOFF[attempt])
                    continue
                raise self._api_error(exc, params, who) from None
            except gspread.exceptions.SpreadsheetNotFound:
                raise PermanentToolError(f"no Google Sheet called '{params.spreadsheet}' is shared with {who}; "
                                         "share the sheet with that address") from None
            except RefreshError as exc:
                detail = exc.args[0] if exc.args else exc
                raise PermanentToolError(f"Google refused the service account key ({detail}); "
                                         "connect google again") from None
            except (requests.RequestException, TransportError) as exc:
                raise TransientToolError(f"could not reach Google Sheets ({type(exc).__name__})") from None
            updated = (result.get("updates") or {}).get("updatedRange", "")
            match = _ROW.search(updated)
            return {"row": int(match.group(1)) if match else None, "spreadsheet": params.spreadsheet,
                    "worksheet": params.worksheet, "range": updated, "local": False}
        raise TransientToolError("Google Sheets is busy (too many requests); try again later")

    @staticmethod
    def _key(client: Any, spreadsheet: str) -> str:
        match = _URL_KEY.search(spreadsheet)
        if match:
            return match.group(1)
        if _KEY.match(spreadsheet) and " " not in spreadsheet:
            return spreadsheet
        return str(client.open(spreadsheet).id)

    @staticmethod
    def _api_error(exc: Any, params: AppendParams, who: str) -> ToolError:
        status = exc.response.status_code
        message = str((exc.error or {}).get("message", "")) if hasattr(exc, "error") else ""
        if status == 429:
            return TransientToolError("Google Sheets is busy (too many requests); try again later")
        if status >= 500:
            return TransientToolError(f"Google Sheets had a problem ({status})")
        if status == 403:
            return PermanentToolError(f"the Google Sheet '{params.spreadsheet}' is not shared with {who}; "
                                      "share it with that address as an editor")
        if status == 404:
            return PermanentToolError(f"Google Sheets has no spreadsheet '{params.spreadsheet}'")
        if status == 400 and "Unable to parse range" in message:
            return PermanentToolError(f"the sheet has no tab called '{params.worksheet}'")
        return PermanentToolError(f"Google Sheets refused the row ({status}: {message[:200]})")

    def describe(self, ctx: ToolContext, params: AppendParams) -> str:
        return f"add a row to {params.spreadsheet}"


TOOLS: list[BaseTool] = [AppendRow()]
