"""The OpenAPI components every document shares: the Problem schema and the security schemes.

Apart from `cppcc_common.openapi` (which builds a service's document and so loads the idempotency
store) because the gateway merges documents with these and loads no database library.
"""

from typing import Any

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
TOKEN_URL = "/api/v1/auth/token"

PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "RFC 9457 problem details; messages in Chinese, English with Accept-Language: en.",
        "type": "object",
        "required": ["type", "title", "status", "code", "instance"],
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "code": {"type": "string", "description": "stable machine-readable code"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
        },
    },
    "FieldError": {
        "title": "FieldError",
        "type": "object",
        "required": ["field", "code", "message"],
        "properties": {
            "field": {"type": "string"},
            "code": {"type": "string"},
            "message": {"type": "string"},
        },
    },
}

SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Access token from /api/v1/auth/login (members, staff, unit users).",
    },
    "clientCredentials": {
        "type": "oauth2",
        "description": "Partner systems: OAuth2 client credentials; the token is sent as a bearer JWT.",
        "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": {}}},
    },
}
