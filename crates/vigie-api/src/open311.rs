//! Open311 GeoReport v2 at `/open311/v2/` (<http://wiki.open311.org/GeoReport_v2/>), in JSON
//! and XML: `discovery`, `services`, `services/{code}`, `requests` (GET and POST) and
//! `requests/{id}`, with `jurisdiction_id` the collective's slug. Errors are the standard's
//! list, `[{"code": 400, "description": "…"}]` (`<errors><error>…` in XML), said in French
//! and English. These are plain routes beside the OpenAPI service: the standard fixes their
//! shapes, and half of them are XML. The use cases are in `vigie_services::open311`.

use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route, handler};
use serde_json::{Value, json};
use vigie_services::{
    Open311Filing, Open311Query, Open311Request, Open311Service, ServiceError, datatype,
    datatype_description, list_values, w3c,
};
use vigie_storage::Tenant;

use crate::ApiState;

/// The specification the endpoint implements.
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// When this implementation last changed (the discovery's `changeset`).
const CHANGESET: &str = "2026-12-05T00:00:00Z";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// `name.json` or `name.xml`: the name and its format.
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    match ext {
        "json" => Some((name, Format::Json)),
        "xml" => Some((name, Format::Xml)),
        _ => None,
    }
}

/// A query string's or a form's parameters, in order.
type Params = Vec<(String, String)>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The standard's error list, with one error.
fn error(format: Format, status: StatusCode, description: &str) -> Response {
    let body = json!([{"code": status.as_u16(), "description": description}]);
    answer(format, status, "errors", &body)
}

/// A use case's refusal as the standard's error: its status as the API would give it, its
/// message in French then English.
fn refusal(format: Format, e: ServiceError) -> Response {
    let en = e.to_string();
    let description = match e.french() {
        Some(fr) => format!("{fr} / {en}"),
        None => en,
    };
    let status = crate::ApiError::from(e).into_response().status();
    error(format, status, &description)
}

fn not_found(format: Format, what: &str) -> Response {
    error(
        format,
        StatusCode::NOT_FOUND,
        &format!(
            "Rien ici : {what}. Les adresses sont discovery, services, services/{{code}}, \
             requests et requests/{{id}}, en .json ou .xml. / Nothing here: {what}. The paths \
             are discovery, services, services/{{code}}, requests and requests/{{id}}, as .json \
             or .xml."
        ),
    )
}

/// The element name of each item of a list, by the list's name (the standard's).
fn item_name(list: &str) -> &'static str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "errors" => "error",
        "endpoints" => "endpoint",
        "formats" => "format",
        "attributes" => "attribute",
        "values" => "value",
        _ => "item",
    }
}

/// Text as XML 1.0 allows it: escaped, without the control characters it forbids.
fn xml_text(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    quick_xml::escape::escape(clean.as_str()).into_owned()
}

fn xml_element(out: &mut String, name: &str, v: &Value) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&xml_text(s)),
        Value::Array(items) => {
            for item in items {
                xml_element(out, item_name(name), item);
            }
        }
        Value::Object(fields) => {
            for (k, v) in fields {
                xml_element(out, k, v);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// A document as XML, under `root`.
pub(crate) fn to_xml(root: &str, v: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    xml_element(&mut out, root, v);
    out
}

/// The answer in its format: JSON as it is, XML under `root`.
fn answer(format: Format, status: StatusCode, root: &str, body: &Value) -> Response {
    match format {
        Format::Json => Response::builder()
            .status(status)
            .content_type("application/json; charset=utf-8")
            .body(body.to_string()),
        Format::Xml => Response::builder()
            .status(status)
            .content_type("text/xml; charset=utf-8")
            .body(to_xml(root, body)),
    }
}

fn service_json(s: &Open311Service) -> Value {
    json!({
        "service_code": s.code,
        "service_name": s.name(),
        "description": format!("{} / {}", s.kind.description.fr, s.kind.description.en),
        "metadata": s.metadata(),
        "type": "realtime",
        "keywords": format!("{},{}", s.object_type.as_str(), s.kind.key),
        "group": format!("{} / {}", s.group.fr, s.group.en),
    })
}

fn definition_json(s: &Open311Service) -> Value {
    let attributes: Vec<Value> = s
        .kind
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let values: Vec<Value> = list_values(&f.kind)
                .into_iter()
                .map(|(key, name)| json!({"key": key, "name": name}))
                .collect();
            json!({
                "variable": true,
                "code": f.key,
                "datatype": datatype(&f.kind),
                "required": f.constraints.required,
                "datatype_description": datatype_description(f),
                "order": i + 1,
                "description": format!("{} / {}", f.label.fr, f.label.en),
                "values": values,
            })
        })
        .collect();
    json!({"service_code": s.code, "attributes": attributes})
}

fn request_json(r: &Open311Request) -> Value {
    json!({
        "service_request_id": r.request.id.to_string(),
        "status": if r.open { "open" } else { "closed" },
        "status_notes": r.status_notes,
        "service_name": r.service_name,
        "service_code": r.service_code,
        "description": r.description,
        "agency_responded": r.agency_responded,
        "service_notice": Value::Null,
        "requested_datetime": w3c(r.request.filed_at),
        "updated_datetime": w3c(r.request.updated_at),
        "expected_datetime": Value::Null,
        "address": r.address,
        "address_id": r.request.object_id.to_string(),
        "zipcode": r.zipcode,
        "lat": r.lat,
        "long": r.long,
        "media_url": r.media_url,
    })
}

async fn jurisdiction(
    state: &ApiState,
    format: Format,
    params: &Params,
) -> Result<Tenant, Response> {
    state
        .services
        .open311_jurisdiction(param(params, "jurisdiction_id"))
        .await
        .map_err(|e| refusal(format, e))
}

/// `GET /open311/v2/{discovery|services|requests}.{json|xml}`.
#[handler]
async fn top(
    state: Data<&ApiState>,
    Path(file): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let Some((name, format)) = split(&file) else {
        return not_found(Format::Json, &file);
    };
    match name {
        "discovery" => {
            let base = &state.services.settings().public_url;
            let body = json!({
                "changeset": CHANGESET,
                "contact": format!("Vigie — {base}"),
                "key_service": "Les clés d'API sont délivrées par un Garant du collectif \
                    (/t/{slug}/garant). / API keys are issued by a Garant of the collective \
                    (/t/{slug}/garant).",
                "endpoints": [{
                    "specification": SPECIFICATION,
                    "url": format!("{base}/open311/v2"),
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }],
            });
            answer(format, StatusCode::OK, "discovery", &body)
        }
        "services" => {
            let tenant = match jurisdiction(&state, format, &params).await {
                Ok(t) => t,
                Err(r) => return r,
            };
            let list: Vec<Value> = state
                .services
                .open311_services(&tenant)
                .iter()
                .map(service_json)
                .collect();
            answer(format, StatusCode::OK, "services", &Value::Array(list))
        }
        "requests" => {
            let tenant = match jurisdiction(&state, format, &params).await {
                Ok(t) => t,
                Err(r) => return r,
            };
            let query = Open311Query {
                service_request_id: param(&params, "service_request_id").map(str::to_owned),
                service_code: param(&params, "service_code").map(str::to_owned),
                start_date: param(&params, "start_date").map(str::to_owned),
                end_date: param(&params, "end_date").map(str::to_owned),
                status: param(&params, "status").map(str::to_owned),
            };
            match state.services.open311_requests(&tenant, &query).await {
                Ok(list) => answer(
                    format,
                    StatusCode::OK,
                    "service_requests",
                    &Value::Array(list.iter().map(request_json).collect()),
                ),
                Err(e) => refusal(format, e),
            }
        }
        _ => not_found(format, &file),
    }
}

/// `GET /open311/v2/services/{code}.{json|xml}`: a service's definition.
#[handler]
async fn definition(
    state: Data<&ApiState>,
    Path(file): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let Some((code, format)) = split(&file) else {
        return not_found(Format::Json, &file);
    };
    let tenant = match jurisdiction(&state, format, &params).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match state.services.open311_service(&tenant, code) {
        Ok(s) => answer(
            format,
            StatusCode::OK,
            "service_definition",
            &definition_json(&s),
        ),
        Err(_) => not_found(format, &format!("service {code}")),
    }
}

/// `GET /open311/v2/requests/{id}.{json|xml}`: one request (a list of one, as the standard
/// says).
#[handler]
async fn one_request(
    state: Data<&ApiState>,
    Path(file): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let Some((id, format)) = split(&file) else {
        return not_found(Format::Json, &file);
    };
    let tenant = match jurisdiction(&state, format, &params).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match state.services.open311_request(&tenant, id).await {
        Ok(r) => answer(
            format,
            StatusCode::OK,
            "service_requests",
            &json!([request_json(&r)]),
        ),
        Err(e) => refusal(format, e),
    }
}

/// `POST /open311/v2/requests.{json|xml}` (a form): files a request with an API key.
#[handler]
async fn file_request(
    req: &Request,
    state: Data<&ApiState>,
    Path(file): Path<String>,
    Query(query): Query<Params>,
    body: Body,
) -> Response {
    let Some(("requests", format)) = split(&file) else {
        return not_found(Format::Json, &file);
    };
    let bytes = match body.into_bytes().await {
        Ok(b) => b,
        Err(_) => {
            return error(
                format,
                StatusCode::BAD_REQUEST,
                "Le formulaire n'a pas pu être lu. / The form could not be read.",
            );
        }
    };
    // The standard's parameters come as a form; the query string may carry some too.
    let mut params: Params = url::form_urlencoded::parse(&bytes).into_owned().collect();
    params.extend(query);
    let tenant = match jurisdiction(&state, format, &params).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let attributes = params
        .iter()
        .filter_map(|(k, v)| {
            let code = k.strip_prefix("attribute[")?;
            let code = code.strip_suffix("[]").unwrap_or(code).strip_suffix(']')?;
            Some((code.to_owned(), v.clone()))
        })
        .collect();
    let owned = |name: &str| param(&params, name).map(str::to_owned);
    let filing = Open311Filing {
        api_key: owned("api_key"),
        service_code: owned("service_code"),
        address_id: owned("address_id"),
        lat: owned("lat"),
        long: owned("long"),
        description: owned("description"),
        attributes,
        email: owned("email"),
        media_url_given: param(&params, "media_url").is_some_and(|m| !m.trim().is_empty()),
        submission_key: req
            .headers()
            .get("Idempotency-Key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    match state.services.open311_file(&tenant, filing).await {
        Ok(done) => {
            let status = if done.filed.replayed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            answer(
                format,
                status,
                "service_requests",
                &json!([{
                    "service_request_id": done.filed.request.id.to_string(),
                    "service_notice": done.notice,
                    "account_id": Value::Null,
                    "token": done.filed.follow_token,
                }]),
            )
        }
        Err(e) => refusal(format, e),
    }
}

/// Anything else under `/open311`.
#[handler]
async fn elsewhere(req: &Request) -> Response {
    not_found(Format::Json, req.uri().path())
}

/// The routes under `/open311`.
pub fn routes(state: ApiState) -> impl Endpoint {
    Route::new()
        .at("/v2/:file", poem::get(top).post(file_request))
        .at("/v2/services/:file", poem::get(definition))
        .at("/v2/requests/:file", poem::get(one_request))
        .at("/*rest", elsewhere)
        .data(state)
        .around(tagged)
}

/// Tags every successful read with an `ETag` drawn from its bytes (and answers 304 to an
/// `If-None-Match` naming it), so that a client polling the standard's endpoints downloads
/// again only what changed. Open311 answers are small (at most 1 000 requests) and built
/// per call; the tag is a digest of what would be sent, so it is right whatever changed.
async fn tagged<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let read = req.method() == poem::http::Method::GET;
    let asked = req
        .headers()
        .get(poem::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.call(req).await?.into_response();
    if !read || response.status() != StatusCode::OK {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = body.into_bytes().await.unwrap_or_default();
    let etag = content_tag(&bytes);
    let mut response = if asked
        .as_deref()
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        let mut r = Response::from_parts(parts, Body::empty());
        r.set_status(StatusCode::NOT_MODIFIED);
        r
    } else {
        Response::from_parts(parts, Body::from(bytes))
    };
    let headers = response.headers_mut();
    if let Ok(v) = etag.parse() {
        headers.insert(poem::http::header::ETAG, v);
    }
    headers.insert(
        poem::http::header::CACHE_CONTROL,
        poem::http::HeaderValue::from_static("public, no-cache"),
    );
    Ok(response)
}

/// `W/"…"`: the first 16 bytes of the SHA-256 of `bytes`, in hex.
fn content_tag(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_names_list_items_and_escapes_text() {
        let xml = to_xml(
            "errors",
            &json!([{"code": 400, "description": "<b>&\"é\u{1}"}]),
        );
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>400</code>\
             <description>&lt;b&gt;&amp;&quot;é</description></error></errors>"
        );
    }
}
