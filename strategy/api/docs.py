"""/api/v1/docs: the OpenAPI document as a plain page, rendered on the server from the same
document as /api/v1/openapi.json (no script, no CDN: it works offline in the hall)."""
from flask import current_app, render_template

from strategy.api import docs_bp

METHODS = ("get", "post", "put", "patch", "delete")


def schema_name(schema: dict | None) -> str:
    """'ProposalAnswer' for {"$ref": "#/components/schemas/ProposalAnswer"}."""
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"[{schema_name(schema.get('items'))}]"
    return schema.get("type", "")


def type_of(prop: dict) -> str:
    if "$ref" in prop:
        return schema_name(prop)
    if "allOf" in prop:
        return " & ".join(schema_name(p) for p in prop["allOf"])
    kind = prop.get("type", "")
    if kind == "array":
        kind = f"[{type_of(prop.get('items', {}))}]"
    elif kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        kind = f"{{string: {type_of(prop['additionalProperties']) or 'any'}}}"
    if prop.get("format"):
        kind += f" ({prop['format']})"
    if prop.get("enum"):
        kind += " — " + " | ".join(str(v) for v in prop["enum"])
    if prop.get("nullable"):
        kind += " | null"
    return kind


def operations(spec: dict) -> list[dict]:
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
            found.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""), "tag": (op.get("tags") or [""])[0],
                "id": op.get("operationId") or f"{method}-{path}",
                "parameters": item.get("parameters", []) + op.get("parameters", []),
                "body": schema_name(body.get("schema")),
                "responses": [(code, schema_name(r.get("content", {}).get(
                    "application/json", {}).get("schema")) or r.get("$ref", "").rsplit("/", 1)[-1])
                    for code, r in op.get("responses", {}).items()]})
    return found


@docs_bp.route("/api/v1/docs")
def page():
    """The API's reference, readable on a phone."""
    spec = current_app.extensions["strategy-api"].spec.to_dict()
    schemas = spec.get("components", {}).get("schemas", {})
    return render_template("api/docs.html", spec=spec, operations=operations(spec),
                           schemas=schemas, type_of=type_of)
