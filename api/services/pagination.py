"""Opaque keyset cursors: the last row's sort key, signed so that a tampered cursor is refused."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

import orjson

from api.errors import InvalidInput

_SIGNATURE_BYTES = 16


def encode_cursor(secret: str, sort: str, key: list[Any]) -> str:
    body = orjson.dumps({"s": sort, "k": key})
    signature = hmac.new(secret.encode(), body, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(signature + body).decode().rstrip("=")


def decode_cursor(secret: str, sort: str, cursor: str) -> list[Any]:
    """The sort key a cursor carries; 422 naming `cursor` if it is malformed, tampered or for another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput("The cursor is not valid.", parameter="cursor") from None
    signature, body = raw[:_SIGNATURE_BYTES], raw[_SIGNATURE_BYTES:]
    expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    if not hmac.compare_digest(signature, expected):
        raise InvalidInput("The cursor is not valid.", parameter="cursor")
    data = orjson.loads(body)
    if data.get("s") != sort:
        raise InvalidInput("The cursor belongs to another sort order.", parameter="cursor")
    key = data.get("k")
    if not isinstance(key, list):
        raise InvalidInput("The cursor is not valid.", parameter="cursor")
    return key
