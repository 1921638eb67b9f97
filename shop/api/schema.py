"""The schemas of the JSON APIs and the OpenAPI document generated from them.

A JSON view declares what it takes and answers with `@documented(...)` (pydantic models);
`parse_body(Model)` validates a request body against the same model, turning pydantic's
errors into the shop's `{"success": false, "error", "code", "fields"}`. `openapi_document`
walks the application's URL map, so a route that is added is described the moment it is
documented, and a test fails for an /api route that is not: nothing here is kept by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from flask import Flask, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import models_json_schema

from ..errors import BadRequest, InvalidInput

#: Security schemes of the document, by the name an operation gives.
SECURITY_SCHEMES = {
    "botKey": {"type": "http", "scheme": "bearer",
               "description": "A store's bot API key (shk_...), from the back office."},
    "shopToken": {"type": "http", "scheme": "bearer",
                  "description": "A dealer shop's session token from /api/auth/verify-otp."},
    "adminSession": {"type": "apiKey", "in": "cookie", "name": "session",
                     "description": "The admin's login session; changes also need the page's "
                                    "CSRF token in the X-CSRFToken header."},
    "webhookToken": {"type": "http", "scheme": "bearer",
                     "description": "WHATSAPP_WEBHOOK_TOKEN, or the Cloud API's "
                                    "X-Hub-Signature-256 signature."},
}
REF_TEMPLATE = "#/components/schemas/{model}"
#: Money in an answer: a decimal string in rupiah with two decimals (money_json).
Money = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["25000.00"])]
M = TypeVar("M", bound=BaseModel)
#: Error kinds that are a value the shop refuses (422) rather than a malformed request (400).
REFUSED_VALUES = ("missing", "too_long", "too_short", "string_too_long", "string_too_short",
                  "greater_than", "greater_than_equal", "less_than", "less_than_equal",
                  "literal_error", "enum", "string_pattern_mismatch", "value_error")
FIELD_MESSAGES = {
    "missing": "Wajib diisi.", "string_type": "Harus berupa teks.",
    "int_type": "Harus berupa bilangan bulat.", "int_parsing": "Harus berupa bilangan bulat.",
    "int_from_float": "Harus berupa bilangan bulat.", "bool_type": "Harus true atau false.",
    "bool_parsing": "Harus true atau false.", "list_type": "Harus berupa daftar.",
    "dict_type": "Harus berupa objek.", "model_type": "Harus berupa objek.",
    "too_long": "Terlalu banyak isi.", "string_too_long": "Terlalu panjang.",
    "string_too_short": "Terlalu pendek.", "too_short": "Tidak boleh kosong.",
}


class Schema(BaseModel):
    """A request or answer body; unknown keys of a request are ignored."""

    model_config = ConfigDict(extra="ignore")


class ErrorAnswer(Schema):
    """Every refusal: a message to show, a stable code, the fields at fault."""

    model_config = ConfigDict(extra="allow")
    success: Literal[False]
    error: str
    code: str
    fields: dict[str, str] | None = None


class AnyObject(Schema):
    """An answer whose shape is given by another standard (the OpenAPI document itself)."""

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class Operation:
    """What one view takes and answers, for the OpenAPI document."""

    summary: str
    answer: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    security: str | None = None
    errors: tuple[int, ...] = (400, 422)
    answers: dict[int, type[BaseModel]] = field(default_factory=dict)
    content_type: str = "application/json"
    body_required: bool = True


def documented(*, answer: type[BaseModel] | None, body: type[BaseModel] | None = None,
               query: type[BaseModel] | None = None, security: str | None = None,
               status: int = 200, errors: tuple[int, ...] = (400, 422),
               answers: dict[int, type[BaseModel]] | None = None,
               summary: str | None = None, content_type: str = "application/json",
               body_required: bool = True) -> Callable:
    """Mark a view with its Operation (summary defaults to its docstring's first line);
    `body_required=False` for a view that takes no body as an empty one."""
    if security is not None and security not in SECURITY_SCHEMES:
        raise ValueError(f"unknown security scheme {security!r}")

    def mark(view: Callable) -> Callable:
        line = summary or (view.__doc__ or view.__name__).strip().splitlines()[0]
        view.openapi = Operation(summary=line, answer=answer, status=status, body=body,
                                 query=query, security=security, errors=errors,
                                 answers=answers or {}, content_type=content_type,
                                 body_required=body_required)
        return view

    return mark


def parse_body(model: type[M], body: Any = None) -> M:
    """The request's JSON body (or `body`) as `model`. Raises BadRequest (not an object,
    wrong types) or InvalidInput (missing or refused values), naming the fields."""
    if body is None:
        body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Body harus berupa objek JSON.")
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise validation_error(error) from None


def validation_error(error: ValidationError) -> BadRequest | InvalidInput:
    """pydantic's errors as the shop's refusal, one message per field."""
    fields: dict[str, str] = {}
    refused = True
    for problem in error.errors(include_url=False):
        name = ".".join(str(part) for part in problem["loc"]) or "body"
        fields.setdefault(name, FIELD_MESSAGES.get(problem["type"], problem["msg"]))
        refused = refused and problem["type"] in REFUSED_VALUES
    first, message = next(iter(fields.items()))
    kind = InvalidInput if refused else BadRequest
    return kind(f"'{first}': {message}", fields=fields)


_PATH_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-zA-Z_]\w*)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTER_TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}}


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    parameters = [
        {"name": m["name"], "in": "path", "required": True,
         "schema": _CONVERTER_TYPES.get(m["converter"] or "", {"type": "string"})}
        for m in _PATH_ARGUMENT.finditer(rule)]
    return _PATH_ARGUMENT.sub(lambda m: "{" + m["name"] + "}", rule), parameters


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    """One parameter per field; a query string has no null, so an optional field is its
    other type, and its description is the parameter's."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = {key: value for key, value in prop.items() if key not in ("title", "default")}
        description = prop.pop("description", None)
        kinds = [kind for kind in prop.pop("anyOf", ()) if kind != {"type": "null"}]
        if len(kinds) == 1:
            prop = {**kinds[0], **prop}
        elif kinds:
            prop["anyOf"] = kinds
        parameters.append({"name": name, "in": "query", "required": name in required,
                           "schema": prop, **({"description": description}
                                              if description else {})})
    return parameters


def documented_routes(app: Flask) -> list[tuple[str, str, Operation]]:
    """(rule, method, operation) of every documented view, in URL order."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        operation = getattr(app.view_functions.get(rule.endpoint), "openapi", None)
        if operation is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method.lower(), operation))
    return found


def _operation_json(method: str, operation: Operation, refs: dict, path_params: list[dict],
                    endpoint: str) -> dict:
    def content(model: type[BaseModel] | None, mode: str) -> dict:
        if model is None:
            return {}
        kind = "application/json" if issubclass(model, ErrorAnswer) else operation.content_type
        return {"content": {kind: {"schema": refs[(model, mode)]}}}

    answers = {str(operation.status): {"description": "OK", **content(operation.answer,
                                                                       "serialization")}}
    for status, model in operation.answers.items():
        answers[str(status)] = {"description": model.__doc__ or "", **content(model,
                                                                              "serialization")}
    error_statuses = set(operation.errors) | ({401} if operation.security else set())
    for status in sorted(error_statuses):
        answers.setdefault(str(status), {"description": "Refused",
                                         **content(ErrorAnswer, "serialization")})
    result: dict = {"operationId": f"{endpoint}.{method}", "summary": operation.summary,
                    "parameters": path_params + (_query_parameters(operation.query)
                                                 if operation.query else []),
                    "responses": dict(sorted(answers.items())),
                    "security": [{operation.security: []}] if operation.security else []}
    if operation.body is not None:
        result["requestBody"] = {"required": operation.body_required, "content": {
            "application/json": {"schema": refs[(operation.body, "validation")]}}}
    return result


def openapi_document(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every documented view of `app`."""
    routes = documented_routes(app)
    wanted = {(ErrorAnswer, "serialization")}
    for _, _, op in routes:
        wanted |= {(m, "serialization") for m in (op.answer, *op.answers.values()) if m}
        if op.body is not None:
            wanted.add((op.body, "validation"))
    ordered = sorted(wanted, key=lambda pair: (pair[0].__name__, pair[1]))
    refs, definitions = models_json_schema(ordered, ref_template=REF_TEMPLATE)
    paths: dict[str, dict] = {}
    endpoints = {r.rule + "|" + m.lower(): r.endpoint for r in app.url_map.iter_rules()
                 for m in (r.methods or ())}
    for rule, method, operation in routes:
        path, parameters = _openapi_path(rule)
        paths.setdefault(path, {})[method] = _operation_json(
            method, operation, refs, parameters, endpoints[f"{rule}|{method}"])
    return {
        "openapi": "3.1.0",
        "info": {"title": "Shop API", "version": "1",
                 "description": "The shop's JSON APIs: headless checkout, the back office's "
                                "calls, the dealer portal and the support bot's tools. Money "
                                "is a decimal string in rupiah."},
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {}),
                       "securitySchemes": SECURITY_SCHEMES},
    }
