"""Work-arounds for Litestar 2 bugs that made the served API disagree with its schema.

Each is checked by tests/server/test_openapi_schemathesis.py; drop one when Litestar
fixes the bug it works around.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import msgspec
from litestar import Litestar, Response, route
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute

from jobdesk.protocol import rest

_BOUNDS = (
    ("ge", "minimum"),
    ("gt", "exclusive_minimum"),
    ("le", "maximum"),
    ("lt", "exclusive_maximum"),
    ("min_length", "min_length"),
    ("max_length", "max_length"),
)


def with_options(handlers: Sequence[HTTPRouteHandler]) -> list[HTTPRouteHandler]:
    """The handlers, after an OPTIONS handler for each path that several of them serve.

    Litestar 2 answers OPTIONS on such a path with the methods of the handler registered
    first only (litestar-org/litestar#4169, fixed in v3). An OPTIONS handler of our own,
    registered before the others, keeps Litestar from adding its own and lists them all.
    """
    served = Counter(path for handler in handlers for path in handler.paths)
    options = []
    for path, count in served.items():
        if count > 1:
            methods = {m for h in handlers if path in h.paths for m in h.http_methods}
            options.append(_options_handler(path, ", ".join(sorted({*methods, "OPTIONS"}))))
    return [*options, *handlers]


def _options_handler(path: str, allow: str) -> HTTPRouteHandler:
    def options() -> Response[None]:
        return Response(None, status_code=204, headers={"Allow": allow})

    return route(
        path, http_method=HttpMethod.OPTIONS, include_in_schema=False, sync_to_thread=False
    )(options)


def fix_openapi(app: Litestar) -> None:
    """Make the generated schema say what the handlers really accept."""
    _optional_bodies(app)
    _restore_zero_bounds(app)
    _restore_item_bounds(app)
    _plain_optional_headers(app)


def _plain_optional_headers(app: Litestar) -> None:
    """An optional header (``Idempotency-Key: str | None``) is documented as its value's
    type alone: Litestar says ``oneOf: [string, null]``, and a header is never JSON null
    (absent is how it is left out), so a client testing the schema took any text for a
    value of the wrong type."""
    for item in (app.openapi_schema.paths or {}).values():
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if not isinstance(operation, Operation):
                continue
            for parameter in operation.parameters or []:
                schema = getattr(parameter, "schema", None)
                if getattr(parameter, "param_in", None) != "header" or not isinstance(
                    schema, Schema
                ):
                    continue
                arms = [
                    arm
                    for arm in schema.one_of or []
                    if isinstance(arm, Schema) and arm.type != OpenAPIType.NULL
                ]
                if schema.one_of and len(arms) == 1:
                    schema.type = arms[0].type
                    schema.one_of = None


def _optional_bodies(app: Litestar) -> None:
    """A body the handler defaults (``data: JSONBody[X | None] = None``) may be left out.

    Litestar marks every request body required, so a client reading the schema would
    think ``POST .../complete`` needs one, and the server's accepting none looked wrong.
    """
    paths = app.openapi_schema.paths or {}
    for found in app.routes:
        if not isinstance(found, HTTPRoute) or (found.path_format or "/") not in paths:
            continue
        item = paths[found.path_format or "/"]
        for handler in found.route_handlers:
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None or not data.has_default:
                continue
            for method in handler.http_methods:
                operation = getattr(item, method.lower(), None)
                if isinstance(operation, Operation) and isinstance(
                    operation.request_body, RequestBody
                ):
                    operation.request_body.required = False


def _without_none(field_type: msgspec.inspect.Type) -> msgspec.inspect.Type:
    if isinstance(field_type, msgspec.inspect.UnionType):
        arms = [t for t in field_type.types if not isinstance(t, msgspec.inspect.NoneType)]
        if len(arms) == 1:
            field_type = arms[0]
    if isinstance(field_type, msgspec.inspect.Metadata):
        field_type = field_type.type
    return field_type


def _wire_fields(app: Litestar) -> list[tuple[Schema, msgspec.inspect.Field]]:
    """Each documented property of a REST struct, beside the struct's own field."""
    models = {
        name: model
        for name, model in vars(rest).items()
        if isinstance(model, type) and issubclass(model, msgspec.Struct)
    }
    found = []
    for name, schema in (app.openapi_schema.components.schemas or {}).items():
        model = models.get(name)
        if model is None or not schema.properties:
            continue
        info = msgspec.inspect.type_info(model)
        assert isinstance(info, msgspec.inspect.StructType)
        for field in info.fields:
            prop = schema.properties.get(field.encode_name)
            if isinstance(prop, Schema):
                found.append((prop, field))
    return found


def _restore_item_bounds(app: Litestar) -> None:
    """Put back a list's item constraints (``jobTypes: list[JobTypeName]``), which
    Litestar leaves out, so the schema does not promise that ``""`` is a job type."""
    for prop, field in _wire_fields(app):
        inner = _without_none(field.type)
        if not isinstance(inner, msgspec.inspect.ListType) or not isinstance(prop.items, Schema):
            continue
        item = inner.item_type
        if isinstance(item, msgspec.inspect.StrType):
            prop.items.min_length = item.min_length
            prop.items.max_length = item.max_length


def _restore_zero_bounds(app: Litestar) -> None:
    """Put back the bounds of 0 that Litestar leaves out of optional fields' schemas.

    Litestar copies an optional field's constraints only when they are truthy, so e.g.
    ``progress: Fraction | None`` was documented without ``minimum: 0`` although the server
    answers a negative progress with 400. The wire structs say what is true.
    """
    for prop, field in _wire_fields(app):
        inner = _without_none(field.type)
        for constraint, key in _BOUNDS:
            if getattr(inner, constraint, None) == 0 and getattr(prop, key) is None:
                setattr(prop, key, 0)
