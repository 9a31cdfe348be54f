//! The published OpenAPI document: poem-openapi's spec, completed with what
//! the layers around the operations answer (the bearer gate's 401, the body
//! limit's 413, the media-type check's 415) and the ranges the domain rules
//! enforce, so typed clients generated from `/openapi.json` match the API.
//! The 405 answers carry `Allow`, taken from the same document.

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use serde_json::{Value, json};

/// A problem+json response of the given description.
fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

/// Completes poem-openapi's spec (see the module doc). `spec` is its JSON.
pub fn document(spec: &str) -> Value {
    let mut doc: Value = serde_json::from_str(spec).unwrap_or_default();
    let Some(obj) = doc.as_object_mut() else {
        return doc;
    };
    let components = obj.entry("components").or_insert_with(|| json!({}));
    if let Some(c) = components.as_object_mut() {
        c.insert(
            "securitySchemes".into(),
            json!({
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "API トークン（`renkei token create` で発行、`rk_` で始まる）"
                }
            }),
        );
    }
    obj.insert("security".into(), json!([{ "bearerToken": [] }]));
    if let Some(paths) = obj.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                let has_body = op.contains_key("requestBody");
                let responses = op.entry("responses").or_insert_with(|| json!({}));
                let Some(responses) = responses.as_object_mut() else {
                    continue;
                };
                if path == "/health" {
                    // Public: never asks for a token.
                    responses.remove("401");
                    responses.remove("403");
                    continue;
                }
                responses
                    .entry("401")
                    .or_insert_with(|| problem("Not signed in: no valid bearer token."));
                if has_body {
                    responses.entry("413").or_insert_with(|| {
                        problem("The body is over the limit (1 MiB; 16 MiB for CSV imports).")
                    });
                    responses
                        .entry("415")
                        .or_insert_with(|| problem("The body's Content-Type is not accepted."));
                }
            }
            if path == "/health"
                && let Some(op) = item.get_mut("get").and_then(Value::as_object_mut)
            {
                op.insert("security".into(), json!([]));
            }
        }
    }
    // One pass over the schemas. poem-openapi writes an absent `Option` as
    // `null` but declares it without `nullable`: every property a schema does
    // not require may be null (OpenAPI 3.0; a `$ref` is wrapped, as 3.0
    // ignores its siblings). And the ranges the domain rules enforce (422
    // beyond them) are stated.
    if let Some(schemas) = obj
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            let required: Vec<String> = schema["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
                continue;
            };
            for (name, prop) in props.iter_mut() {
                let topic = match name.as_str() {
                    "topic" => Some(&mut *prop),
                    "topics" => prop.get_mut("items"),
                    _ => None,
                };
                if let Some(t) = topic.and_then(Value::as_object_mut)
                    && t.get("type") == Some(&json!("integer"))
                {
                    t.insert("minimum".into(), json!(1));
                    t.insert("maximum".into(), json!(10));
                }
                if required.contains(name) {
                    continue;
                }
                if let Some(r) = prop.get("$ref").cloned() {
                    *prop = json!({ "allOf": [{ "$ref": r }], "nullable": true });
                } else if let Some(p) = prop.as_object_mut() {
                    p.insert("nullable".into(), json!(true));
                }
            }
        }
    }
    if let Some(params) = doc
        .pointer_mut("/paths/~1reminders~1deliveries/get/parameters")
        .and_then(Value::as_array_mut)
    {
        for p in params {
            if p["name"] == "state" {
                p["schema"]["enum"] = json!(crate::reminders::api::STATES);
            }
        }
    }
    // A 409 that is not about the PDCA ladder says what it is about.
    if let Some(conflict) =
        doc.pointer_mut("/paths/~1reminders~1deliveries~1{id}~1resend/post/responses/409")
    {
        conflict["description"] = json!(
            "The message is neither `failed` nor `refused` (queued again already, sent or cancelled); `detail` names its state."
        );
    }
    doc
}

/// The methods each path of the document takes, for `Allow`.
pub struct Methods(Vec<(Vec<String>, String)>);

impl Methods {
    /// From the document's `paths` (templates like `/wards/{ward_id}`).
    pub fn of(doc: &Value) -> Methods {
        let mut out = Vec::new();
        if let Some(paths) = doc["paths"].as_object() {
            for (path, item) in paths {
                let methods: Vec<String> = item
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_uppercase()).collect())
                    .unwrap_or_default();
                let segments = path.split('/').map(str::to_string).collect();
                out.push((segments, methods.join(", ")));
            }
        }
        Methods(out)
    }

    /// The `Allow` value for a request path (without `/api`), if a path matches.
    fn allow(&self, path: &str) -> Option<&str> {
        let asked: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == asked.len()
                    && template
                        .iter()
                        .zip(&asked)
                        .all(|(t, a)| (t.starts_with('{') && !a.is_empty()) || t == a)
            })
            .map(|(_, m)| m.as_str())
    }
}

/// Adds `Allow` to the API's 405 answers (RFC 9110).
pub async fn allow_on_405<E: Endpoint>(
    next: E,
    req: Request,
    methods: std::sync::Arc<Methods>,
) -> poem::Result<Response> {
    let path = req.uri().path().to_string();
    let mut resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
        let path = path.strip_prefix("/api").unwrap_or(&path);
        if let Some(allow) = methods
            .allow(path)
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            resp.headers_mut().insert(header::ALLOW, allow);
        }
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_matches_templates_segment_by_segment() {
        let doc = json!({ "paths": {
            "/health": { "get": {} },
            "/wards/{ward_id}": { "get": {}, "patch": {} }
        }});
        let m = Methods::of(&doc);
        assert_eq!(m.allow("/health"), Some("GET"));
        assert_eq!(m.allow("/wards/12"), Some("GET, PATCH"));
        assert_eq!(m.allow("/wards/"), None);
        assert_eq!(m.allow("/wards/12/x"), None);
    }
}
