"""Request bodies decoded strictly, straight into the handler's type, with hostile JSON
refused as 400 INVALID_INPUT (field ``body`` or the field at fault).

Litestar decodes a body into plain Python first and then converts it to the handler's
type with ``msgspec.convert(..., strict=False)`` (``SignatureModel``), which takes
``"0.5"`` for a number and ``"true"`` for a boolean although the schema says otherwise;
and two errors of that first decode escaped it as 500s with a traceback each, before the
token was even looked at: invalid UTF-8 inside a string (``UnicodeDecodeError``) and deep
nesting (``RecursionError``). ``StrictJsonRequest.json`` replaces that first step: the
body is decoded once, strictly, into the type of the handler's ``data`` parameter, and
Litestar's conversion then passes the decoded struct through unchanged.

- Nesting deeper than ``MAX_JSON_DEPTH`` is refused before decoding (``nesting_depth``):
  a job's metadata, payload or result is stored and sent to every monitor, and a payload
  nested a few hundred levels deep would have been beyond what their decoders follow.
- A duplicate key is not refused: the last one wins, as in msgspec and Python's json.
  One decoder reads the body, so no second reader can see another value.
- Numbers beyond what a float or a 4,300-digit integer holds are refused by the decoder
  ("out of range").
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any, Final, Literal, Union

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

from jobdesk.protocol import ErrorCode
from jobdesk.server.errors import ApiError

MAX_JSON_DEPTH: Final = 64
"""Most levels of arrays and objects in a request body (the body itself is level 1)."""

_KEEP: Final = b'[]{}"'
_DROP: Final = bytes(b for b in range(256) if b not in _KEEP)
_STEPS: Final = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_FLOAT_GIVEN: Final = "got `float`"
Decode = Callable[[bytes], Any]


def nesting_depth(body: bytes) -> int:
    """How deep the body's arrays and objects nest (brackets inside strings do not count).

    Done with bytes methods, never a loop over the body in Python: escaped backslashes
    and quotes are dropped first (so every quote left opens or closes a string), then
    everything but brackets and quotes, then empty strings (a pair of adjacent quotes:
    dropping it keeps every later byte inside or outside a string as it was), then what
    strings are left, with the brackets they contain. What remains is +1 and -1 steps,
    whose highest running sum is the depth. A malformed body gets a number too; the
    decoder then says what is wrong with it.
    """
    if b"\\" in body:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = body.translate(None, _DROP).replace(b'""', b"")
    if b'"' in brackets:
        brackets = b"".join(brackets.split(b'"')[::2])
    steps = memoryview(brackets.translate(_STEPS)).cast("b")
    return max(itertools.accumulate(steps), default=0)


@functools.lru_cache(maxsize=256)
def _decoders(annotation: Any) -> tuple[Decode, Decode, Decode]:
    """The strict decoder, and for a body it refused for a float where an int is wanted:
    its shadow (strict, every int also taking a float) and the lax one (which turns an
    integral float into the int)."""
    shadow = _shadow(msgspec.inspect.type_info(annotation))
    return (
        msgspec.json.Decoder(annotation, strict=True).decode,
        msgspec.json.Decoder(shadow, strict=True).decode,
        msgspec.json.Decoder(annotation, strict=False).decode,
    )


def _shadow(info: msgspec.inspect.Type) -> Any:
    """The type ``info`` describes, where every int also takes a float, and without its
    constraints (the lax decoder checks those). Decoded strictly, it refuses what the
    lax decoder would coerce (a string or a boolean for a number, ``"null"`` for null)
    but not ``3.0`` for an integer, which JSON Schema counts as one."""
    mi = msgspec.inspect
    simple: dict[type[mi.Type], Any] = {
        mi.IntType: int | float,
        mi.FloatType: float,
        mi.StrType: str,
        mi.BoolType: bool,
        mi.NoneType: None,
        mi.AnyType: Any,
    }
    if type(info) in simple:
        return simple[type(info)]
    if isinstance(info, mi.Metadata):
        return _shadow(info.type)
    if isinstance(info, mi.EnumType):
        return info.cls
    if isinstance(info, mi.LiteralType):
        return Literal[info.values]
    if isinstance(info, mi.ListType):
        return list[_shadow(info.item_type)]  # type: ignore[misc]
    if isinstance(info, mi.DictType):
        return dict[_shadow(info.key_type), _shadow(info.value_type)]  # type: ignore[misc]
    if isinstance(info, mi.UnionType):
        return Union[tuple(_shadow(arm) for arm in info.types)]  # noqa: UP007
    if isinstance(info, mi.StructType):
        fields = [(f.encode_name, _shadow(f.type), None) for f in info.fields]
        return msgspec.defstruct(f"{info.cls.__name__}Shadow", fields)
    raise TypeError(f"no shadow for a request body of type {info}")


def _validation_error(exc: msgspec.ValidationError) -> ValidationException:
    """msgspec's ``Expected `float`, got `str` - at `$.progress``` in the shape Litestar
    gives its own validation errors, so ``common.validation_handler`` names the field."""
    message, _, where = str(exc).partition(" - at `$")
    key = where.rstrip("`").lstrip(".") or "data"
    return ValidationException(
        detail="invalid body", extra=[{"message": message, "key": key, "source": "body"}]
    )


def _malformed(detail: str) -> ApiError:
    return ApiError(ErrorCode.INVALID_INPUT, f"malformed JSON body: {detail}", "body")


def decode_body(body: bytes, annotation: Any, optional: bool) -> Any:
    """The body as ``annotation``, strictly; an empty body is None when ``optional``."""
    if not body:
        if optional:
            return None
        raise ApiError(ErrorCode.INVALID_INPUT, "a JSON body is required", "body")
    opened = body.count(b"[") + body.count(b"{")  # fewer than the limit: no need to look
    if opened > MAX_JSON_DEPTH and (depth := nesting_depth(body)) > MAX_JSON_DEPTH:
        raise _malformed(f"nested {depth} levels deep, at most {MAX_JSON_DEPTH} are accepted")
    strict, shadow, lax = _decoders(annotation)
    try:
        try:
            return strict(body)
        except msgspec.ValidationError as exc:
            if _FLOAT_GIVEN not in str(exc):
                raise
            shadow(body)  # nothing but integral floats for ints would be coerced
            return lax(body)
    except msgspec.ValidationError as exc:
        raise _validation_error(exc) from None
    except msgspec.DecodeError as exc:
        raise _malformed(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise _malformed(f"a string is not valid UTF-8 ({exc.reason})") from None


class StrictJsonRequest(Request[Any, Any, Any]):
    """Litestar's Request, decoding a JSON body into the handler's ``data`` type strictly."""

    async def json(self) -> Any:
        data = self.route_handler.parsed_fn_signature.parameters["data"]
        return decode_body(await self.body(), data.annotation, data.is_optional)
