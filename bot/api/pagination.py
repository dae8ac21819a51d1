"""Page-numbered lists: ``?page=2&per_page=20`` → ``{"items", "page", "per_page", "total", "pages"}``.

The response also carries a ``Link`` header (``rel="next"``, ``rel="prev"``)
so clients can follow pages without building URLs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, jsonify, request
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_PER_PAGE = 100


class PageQuery(BaseModel):
    """The paging part of a list's query string."""

    page: int = Field(1, ge=1, le=100_000, description="Page number, from 1")
    per_page: int = Field(20, ge=1, le=MAX_PER_PAGE, description="Items per page (at most 100)")


def paginate(
    s: Session,
    stmt: Select[Any],
    query: PageQuery,
    view: Callable[[Any], dict[str, Any]],
    *,
    scalars: bool = True,
) -> Response:
    """Run ``stmt`` for one page and answer with the page, its total and ``Link`` headers."""
    rows, total = fetch_page(s, stmt, query, scalars=scalars)
    return page_response([view(r) for r in rows], query, total)


def fetch_page(s: Session, stmt: Select[Any], query: PageQuery, *, scalars: bool = True) -> tuple[list[Any], int]:
    """One page of ``stmt``'s rows and the total count of all its rows."""
    total = s.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page_stmt = stmt.limit(query.per_page).offset((query.page - 1) * query.per_page)
    rows = s.scalars(page_stmt).all() if scalars else s.execute(page_stmt).all()
    return list(rows), total


def page_response(items: list[dict[str, Any]], query: PageQuery, total: int) -> Response:
    """The JSON page and its ``Link`` header."""
    pages = max(1, -(-total // query.per_page))
    resp = jsonify({"items": items, "page": query.page, "per_page": query.per_page, "total": total, "pages": pages})
    links = []
    if query.page < pages:
        links.append(f'<{_url_for_page(query.page + 1)}>; rel="next"')
    if query.page > 1:
        links.append(f'<{_url_for_page(min(query.page - 1, pages))}>; rel="prev"')
    if links:
        resp.headers["Link"] = ", ".join(links)
    return resp


def _url_for_page(page: int) -> str:
    from urllib.parse import urlencode

    args = request.args.to_dict(flat=True)
    args["page"] = str(page)
    return f"{request.path}?{urlencode(args)}"
