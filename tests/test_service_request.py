"""Checks of the /rank request body, without a server."""

import pytest

from harness.service_request import BadRequest, RequestLimits, parse_body, parse_rank_request

SYNTHETIC = RequestLimits(top_k=20, retailers=5, query_groups=0)
LTR = RequestLimits(top_k=20, retailers=0, query_groups=3)


def rejection(payload, limits=SYNTHETIC) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        parse_rank_request(payload, limits)
    return caught.value


def test_valid_body_builds_request():
    request, k = parse_rank_request({"retailer_id": 2, "query": "red shoes", "k": 5}, SYNTHETIC)
    assert request.query_text == "red shoes"
    assert request.retailer_id == 2
    assert k == 5


def test_non_json_body_is_400():
    with pytest.raises(BadRequest) as caught:
        parse_body(b"{not json")
    assert caught.value.status == 400


def test_json_array_body_is_422():
    with pytest.raises(BadRequest) as caught:
        parse_body(b"[1, 2]")
    assert caught.value.status == 422


@pytest.mark.parametrize("field", ["retailer_id", "query", "k"])
def test_missing_field_is_422(field):
    payload = {"retailer_id": 1, "query": "lamp", "k": 3}
    del payload[field]
    error = rejection(payload)
    assert error.status == 422
    assert error.field == field


@pytest.mark.parametrize(
    ("field", "value"), [("retailer_id", "1"), ("retailer_id", True), ("retailer_id", 1.5), ("k", "3"), ("query", 7)]
)
def test_wrong_type_is_422(field, value):
    payload = {"retailer_id": 1, "query": "lamp", "k": 3} | {field: value}
    error = rejection(payload)
    assert error.status == 422
    assert error.field == field


@pytest.mark.parametrize("k", [0, -1, 21])
def test_k_out_of_range_is_422(k):
    error = rejection({"retailer_id": 1, "query": "lamp", "k": k})
    assert error.status == 422
    assert "1 to 20" in error.message


@pytest.mark.parametrize("retailer_id", [-1, 5, 10**9])
def test_unknown_retailer_is_404(retailer_id):
    error = rejection({"retailer_id": retailer_id, "query": "lamp", "k": 3})
    assert error.status == 404
    assert error.field == "retailer_id"


@pytest.mark.parametrize("query", ["", "   ", "x" * 1001])
def test_blank_or_long_query_is_422(query):
    assert rejection({"retailer_id": 1, "query": query, "k": 3}).status == 422


def test_ltr_query_names_group():
    request, _ = parse_rank_request({"retailer_id": -1, "query": "qid-2", "k": 3}, LTR)
    assert request.query_id == 2


@pytest.mark.parametrize("query", ["qid-3", "lamp", "qid-"])
def test_ltr_unknown_query_is_404(query):
    error = rejection({"retailer_id": -1, "query": query, "k": 3}, LTR)
    assert error.status == 404
    assert error.field == "query"
