"""Parse and check the JSON body of ``POST /rank``.

Each check raises ``BadRequest`` with the HTTP status, the field at fault
and a message that states what is accepted, so a client can fix its request
from the response alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from harness.workload.base import Request

MAX_QUERY_CHARS = 1_000
_LTR_QUERY = re.compile(r"qid-(\d+)")


class BadRequest(Exception):
    """A request the service rejects: status, field at fault and message."""

    def __init__(self, status: int, field: str | None, message: str):
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "field": self.field}


@dataclass(frozen=True)
class RequestLimits:
    """Request limits of the loaded workload."""

    top_k: int
    retailers: int  # 0 when the workload has no retailers
    query_groups: int  # learning-to-rank query groups; 0 for the synthetic workload


def parse_body(body: bytes) -> dict[str, Any]:
    """Decode the JSON object of a request body."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(400, None, f"request body is not valid JSON ({exc}); send a JSON object") from None
    if not isinstance(payload, dict):
        raise BadRequest(422, None, f"request body is a JSON {type(payload).__name__}; send a JSON object")
    return payload


def parse_rank_request(payload: dict[str, Any], limits: RequestLimits) -> tuple[Request, int]:
    """Check ``retailer_id``, ``query`` and ``k``; return the pipeline request and k."""
    retailer_id = _integer(payload, "retailer_id")
    query = _query(payload)
    k = _integer(payload, "k")

    if not 1 <= k <= limits.top_k:
        raise BadRequest(422, "k", f"k = {k} is out of range; use 1 to {limits.top_k}")

    if limits.query_groups:
        return _ltr_request(query, retailer_id, limits), k

    if not 0 <= retailer_id < limits.retailers:
        raise BadRequest(
            404, "retailer_id", f"retailer_id {retailer_id} not found; use 0 to {limits.retailers - 1}"
        )
    # query_id only selects labels, which a served request has none of.
    return Request(index=-1, query_text=query, retailer_id=retailer_id, query_id=-1), k


def _integer(payload: dict[str, Any], field: str) -> int:
    if field not in payload:
        raise BadRequest(422, field, f"field '{field}' is missing; send it as an integer")
    value = payload[field]
    # bool is a subclass of int in Python, but true is no retailer id.
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(422, field, f"field '{field}' must be an integer, got {json.dumps(value)}")
    return value


def _query(payload: dict[str, Any]) -> str:
    if "query" not in payload:
        raise BadRequest(422, "query", "field 'query' is missing; send the search text as a string")
    query = payload["query"]
    if not isinstance(query, str):
        raise BadRequest(422, "query", f"field 'query' must be a string, got {json.dumps(query)}")
    if not query.strip() or len(query) > MAX_QUERY_CHARS:
        raise BadRequest(
            422, "query", f"field 'query' has {len(query)} characters; send 1 to {MAX_QUERY_CHARS} non-blank ones"
        )
    return query


def _ltr_request(query: str, retailer_id: int, limits: RequestLimits) -> Request:
    # Learning-to-rank data has fixed candidate lists per query group and no
    # retailers, so the query names a group and the retailer must be -1.
    if retailer_id != -1:
        raise BadRequest(404, "retailer_id", f"retailer_id {retailer_id} not found; this workload has none, send -1")
    match = _LTR_QUERY.fullmatch(query)
    if match is None or int(match.group(1)) >= limits.query_groups:
        raise BadRequest(
            404, "query", f"query {query!r} not found; send 'qid-N' with N from 0 to {limits.query_groups - 1}"
        )
    group = int(match.group(1))
    return Request(index=-1, query_text=query, retailer_id=-1, query_id=group)
