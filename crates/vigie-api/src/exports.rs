//! Open data downloads, for anyone and without an account:
//!
//! - `GET /api/v1/tenants/{slug}/exports`: the collective's datasets, with their files and
//!   Table Schemas;
//! - `GET /api/v1/tenants/{slug}/exports/{dataset}.{csv|json|geojson}` (`?type=schools` for one
//!   type of place, `?sep=semicolon` for a CSV that French spreadsheets open as they are);
//! - `GET /api/v1/tenants/{slug}/exports/{dataset}.schema.json`: the Frictionless Table Schema
//!   of the CSV.
//!
//! A file streams page by page ([`vigie_services::EXPORT_PAGE`] rows, one query each), so the
//! server's memory stays flat whatever the size of the collective; it carries an `ETag` of the
//! collective's revision, and `If-None-Match` answers 304 without reading anything. These are
//! plain routes beside the OpenAPI service (a stream of CSV is not a JSON operation).

use std::sync::OnceLock;

use bytes::Bytes;
use futures::StreamExt as _;
use poem::http::{StatusCode, header};
use poem::web::{Data, Json, Path, Query};
use poem::{Body, IntoResponse, Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};
use vigie_domain::ObjectTypeKey;
use vigie_domain::export::Dataset;
use vigie_services::{ExportPage, ServiceError};

use crate::ApiState;
use crate::error::{ApiError, ErrorEnvelope};

/// What a download asks for besides its file.
#[derive(Debug, Deserialize, Default)]
pub struct ExportQuery {
    /// One type of place.
    #[serde(rename = "type")]
    object_type: Option<String>,
    /// `comma` (default) or `semicolon`.
    sep: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv { semicolon: bool },
    Json,
    GeoJson,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Self::Csv { .. } => "text/csv; charset=utf-8; header=present",
            Self::Json => "application/json",
            Self::GeoJson => "application/geo+json",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Csv { .. } => "csv",
            Self::Json => "json",
            Self::GeoJson => "geojson",
        }
    }
}

/// Changes at each start of the server: revisions are counted in memory, so an `ETag` of a
/// revision must not be mistaken for the same number of another run.
pub(crate) fn boot() -> &'static str {
    static BOOT: OnceLock<String> = OnceLock::new();
    BOOT.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        format!("{nanos:x}")
    })
}

fn not_found(file: &str) -> Response {
    let mut envelope = ErrorEnvelope::new(
        "not_found",
        format!(
            "no export named '{file}': ask for objects, facts, requests or journal, as .csv, .json, \
             .geojson (objects) or .schema.json — the list is at …/exports"
        ),
        None,
    );
    envelope.error.message_fr = Some(format!(
        "Pas d'export « {file} » : demandez objects, facts, requests ou journal, en .csv, .json, \
         .geojson (objects) ou .schema.json — la liste est à …/exports."
    ));
    poem_openapi::payload::Json(envelope)
        .with_status(StatusCode::NOT_FOUND)
        .into_response()
}

fn url(slug: &str, file: &str) -> String {
    format!("/api/v1/tenants/{slug}/exports/{file}")
}

/// `GET /api/v1/tenants/:slug/exports`: the collective's datasets.
#[handler]
pub async fn catalogue(state: Data<&ApiState>, Path(slug): Path<String>) -> Response {
    let tenant = match state.services.tenant(&slug).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let datasets: Vec<Value> = Dataset::ALL
        .into_iter()
        .map(|d| {
            let name = d.as_str();
            let (fr, en) = d.title();
            let mut files = vec![
                json!({"format": "csv", "url": url(&slug, &format!("{name}.csv"))}),
                json!({"format": "csv", "separator": ";", "url": url(&slug, &format!("{name}.csv?sep=semicolon"))}),
                json!({"format": "json", "url": url(&slug, &format!("{name}.json"))}),
            ];
            if d.located() {
                files.push(json!({"format": "geojson", "url": url(&slug, &format!("{name}.geojson"))}));
            }
            json!({
                "name": name,
                "title": fr,
                "title_en": en,
                "files": files,
                "schema": url(&slug, &format!("{name}.schema.json")),
            })
        })
        .collect();
    Json(json!({
        "collective": tenant.slug.as_str(),
        "name": tenant.name,
        "object_types": tenant.object_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "licence": {"id": tenant.licence.id(), "title": tenant.licence.title(), "url": tenant.licence.url()},
        "datasets": datasets,
        // Everything above in one file: each CSV with its schema and a `datapackage.json`.
        "archive": format!("/api/v1/tenants/{slug}/exports.zip"),
    }))
    .into_response()
}

/// The licence of the catalogue itself (its own text): Etalab's Licence Ouverte 2.0. Each
/// collective's datasets carry the collective's chosen licence.
const CATALOGUE_LICENCE: vigie_domain::DataLicence = vigie_domain::DataLicence::Etalab2;

/// `GET /api/v1/catalog.jsonld`: every dataset of every collective of the instance, as a
/// DCAT-AP catalogue in JSON-LD (the vocabulary data.gouv.fr and the European data portal
/// harvest): title, publisher, licence, last change, and each file with its format and the
/// Table Schema it conforms to.
#[handler]
pub async fn dcat_catalogue(state: Data<&ApiState>) -> Response {
    let built = async {
        let base = state.services.settings().public_url.clone();
        let mut datasets = Vec::new();
        for tenant in state.services.tenants().await? {
            let slug = tenant.slug.as_str();
            let licence = tenant.licence.url();
            let modified = state.services.last_change(&tenant).await?;
            for d in Dataset::ALL {
                let name = d.as_str();
                let (fr, en) = d.title();
                let file = |ext: &str| format!("{base}{}", url(slug, &format!("{name}.{ext}")));
                let schema = format!("{base}{}", url(slug, &format!("{name}.schema.json")));
                let mut formats = vec![("csv", "text/csv", "CSV"), ("json", "application/json", "JSON")];
                if d.located() {
                    formats.push(("geojson", "application/geo+json", "GeoJSON"));
                }
                let distributions: Vec<Value> = formats
                    .into_iter()
                    .map(|(ext, media, format)| {
                        json!({
                            "@type": "dcat:Distribution",
                            "dct:title": format!("{fr} ({format})"),
                            "dcat:accessURL": {"@id": file(ext)},
                            "dcat:downloadURL": {"@id": file(ext)},
                            "dcat:mediaType": media,
                            "dct:format": format,
                            "dct:license": {"@id": licence},
                            "dct:conformsTo": {"@id": schema},
                        })
                    })
                    .collect();
                datasets.push(json!({
                    "@id": format!("{base}{}", url(slug, name)),
                    "@type": "dcat:Dataset",
                    "dct:identifier": format!("{slug}/{name}"),
                    "dct:title": [{"@value": format!("{} — {fr}", tenant.name), "@language": "fr"},
                                  {"@value": format!("{} — {en}", tenant.name), "@language": "en"}],
                    "dct:description": tenant.description,
                    "dct:publisher": {"@type": "foaf:Agent", "foaf:name": tenant.name},
                    "dct:license": {"@id": licence},
                    "dct:modified": modified.as_ref().map(|m| json!({"@value": m, "@type": "xsd:dateTime"})),
                    "dcat:landingPage": {"@id": format!("{base}/t/{slug}")},
                    "dcat:keyword": tenant.object_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                    "dcat:distribution": distributions,
                }));
            }
            // The whole collective in one zip: every CSV, its schema and a Data Package.
            let archive = format!("{base}/api/v1/tenants/{slug}/exports.zip");
            datasets.push(json!({
                "@id": archive,
                "@type": "dcat:Dataset",
                "dct:identifier": format!("{slug}/all"),
                "dct:title": [{"@value": format!("{} — toutes les données (zip)", tenant.name), "@language": "fr"},
                              {"@value": format!("{} — all the data (zip)", tenant.name), "@language": "en"}],
                "dct:description": tenant.description,
                "dct:publisher": {"@type": "foaf:Agent", "foaf:name": tenant.name},
                "dct:license": {"@id": licence},
                "dct:modified": modified.as_ref().map(|m| json!({"@value": m, "@type": "xsd:dateTime"})),
                "dcat:landingPage": {"@id": format!("{base}/t/{slug}")},
                "dcat:distribution": [{
                    "@type": "dcat:Distribution",
                    "dct:title": format!("{} (zip)", tenant.name),
                    "dcat:accessURL": {"@id": archive},
                    "dcat:downloadURL": {"@id": archive},
                    "dcat:mediaType": "application/zip",
                    "dct:format": "ZIP",
                    "dct:license": {"@id": licence},
                    "dct:conformsTo": {"@id": "https://specs.frictionlessdata.io/data-package/"},
                }],
            }));
        }
        Ok::<_, ServiceError>(json!({
            "@context": {
                "dcat": "http://www.w3.org/ns/dcat#",
                "dct": "http://purl.org/dc/terms/",
                "foaf": "http://xmlns.com/foaf/0.1/",
                "xsd": "http://www.w3.org/2001/XMLSchema#",
            },
            "@id": format!("{base}/api/v1/catalog.jsonld"),
            "@type": "dcat:Catalog",
            "dct:title": "Vigie",
            "dct:description": "Les données publiques des collectifs de cette instance de Vigie : lieux, faits, demandes et journal.",
            "dct:license": {"@id": CATALOGUE_LICENCE.url()},
            "dcat:dataset": datasets,
        }))
    }
    .await;
    match built {
        Ok(document) => Json(document)
            .with_header(header::CONTENT_TYPE, "application/ld+json")
            .with_header(header::CACHE_CONTROL, "public, no-cache")
            .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /api/v1/tenants/:slug/exports/:file`: one dataset as a file, or its Table Schema.
#[handler]
pub async fn download(
    req: &Request,
    state: Data<&ApiState>,
    Path((slug, file)): Path<(String, String)>,
    Query(q): Query<ExportQuery>,
) -> Response {
    if let Some(name) = file.strip_suffix(".schema.json") {
        return match Dataset::parse(name) {
            Some(d) => Json(d.table_schema())
                .with_header(header::CONTENT_TYPE, "application/schema+json")
                .into_response(),
            None => not_found(&file),
        };
    }
    let Some((name, ext)) = file.rsplit_once('.') else {
        return not_found(&file);
    };
    let Some(dataset) = Dataset::parse(name) else {
        return not_found(&file);
    };
    let format = match (ext, q.sep.as_deref()) {
        ("csv", None | Some("comma" | ",")) => Format::Csv { semicolon: false },
        ("csv", Some("semicolon" | ";")) => Format::Csv { semicolon: true },
        ("csv", Some(other)) => {
            return ApiError::invalid(
                "sep",
                format!("unknown separator '{other}': use sep=comma or sep=semicolon"),
            )
            .fr("Séparateur inconnu : utilisez sep=comma ou sep=semicolon.")
            .into_response();
        }
        ("json", _) => Format::Json,
        ("geojson", _) if dataset.located() => Format::GeoJson,
        _ => return not_found(&file),
    };
    let found = async {
        let tenant = state.services.tenant(&slug).await?;
        let key = q
            .object_type
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(ObjectTypeKey::parse)
            .transpose()?;
        if let Some(k) = &key {
            state.services.check_export_type(&tenant, k)?;
        }
        Ok::<_, ServiceError>((tenant, key))
    }
    .await;
    let (tenant, key) = match found {
        Ok(found) => found,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let etag = format!(
        "W/\"{}-{}-{}\"",
        boot(),
        state.services.export_revision(&tenant),
        ext
    );
    let headers = |b: poem::ResponseBuilder| {
        b.header(header::ETAG, etag.clone())
            .header(header::CACHE_CONTROL, "public, no-cache")
            .header(header::VARY, "Accept-Encoding")
    };
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return headers(Response::builder())
            .status(StatusCode::NOT_MODIFIED)
            .finish();
    }
    let filename = format!(
        "{slug}-{}{}.{}",
        dataset.as_str(),
        key.as_ref()
            .map(|k| format!("-{}", k.as_str()))
            .unwrap_or_default(),
        format.extension()
    );
    let services = state.services.clone();
    let pages = futures::stream::unfold(Some(0i64), move |after| {
        let services = services.clone();
        let tenant = tenant.clone();
        let key = key.clone();
        async move {
            let after = after?;
            match services
                .export_page(&tenant, dataset, key.as_ref(), after)
                .await
            {
                Ok(page) => {
                    let next = page.next;
                    Some((Ok((after == 0, next.is_none(), page)), next))
                }
                Err(e) => {
                    tracing::error!(error = %e, dataset = dataset.as_str(), "export failed");
                    Some((Err(std::io::Error::other(e.to_string())), None))
                }
            }
        }
    });
    // Whether a GeoJSON feature was written yet (unlocated rows are left out).
    let mut wrote = false;
    let body = pages.map(move |page| {
        page.map(|(first, last, page)| {
            Bytes::from(encode(dataset, format, first, last, &page, &mut wrote))
        })
    });
    headers(Response::builder())
        .header(header::CONTENT_TYPE, format.content_type())
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        )
        .body(Body::from_bytes_stream(body))
}

/// One page in its format: the opening with the first page, the closing with the last.
fn encode(
    dataset: Dataset,
    format: Format,
    first: bool,
    last: bool,
    page: &ExportPage,
    wrote: &mut bool,
) -> Vec<u8> {
    let columns = dataset.columns();
    let mut out = Vec::with_capacity(page.rows.len() * 160 + 64);
    match format {
        Format::Csv { semicolon } => {
            if first && semicolon {
                // Spreadsheets that guess the encoding read UTF-8 with its mark.
                out.extend_from_slice(b"\xEF\xBB\xBF");
            }
            let mut w = csv::WriterBuilder::new()
                .delimiter(if semicolon { b';' } else { b',' })
                .terminator(csv::Terminator::CRLF)
                .from_writer(&mut out);
            if first {
                let _ = w.write_record(columns.iter().map(|c| c.name));
            }
            for row in &page.rows {
                let _ = w.write_record(row.iter().map(cell));
            }
            let _ = w.flush();
        }
        Format::Json => {
            out.extend_from_slice(if first { b"[" } else { b"" });
            for (i, row) in page.rows.iter().enumerate() {
                if !(first && i == 0) {
                    out.push(b',');
                }
                let object: serde_json::Map<String, Value> = columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| (c.name.to_owned(), v.clone()))
                    .collect();
                let _ = serde_json::to_writer(&mut out, &object);
            }
            if last {
                out.push(b']');
            }
        }
        Format::GeoJson => {
            if first {
                out.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
            }
            for (row, at) in page.rows.iter().zip(&page.positions) {
                let Some((lat, lon)) = at else { continue };
                if *wrote {
                    out.push(b',');
                }
                *wrote = true;
                let properties: serde_json::Map<String, Value> = columns
                    .iter()
                    .zip(row)
                    .filter(|(c, _)| c.name != "latitude" && c.name != "longitude")
                    .map(|(c, v)| (c.name.to_owned(), v.clone()))
                    .collect();
                let feature = json!({
                    "type": "Feature",
                    "id": row.first(),
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": properties,
                });
                let _ = serde_json::to_writer(&mut out, &feature);
            }
            if last {
                out.extend_from_slice(b"]}");
            }
        }
    }
    out
}

/// A value as a CSV cell.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Where a zip of the collective stands between two pages.
struct ZipState {
    zip: Option<crate::zip_stream::ZipStream>,
    /// The dataset being written, by its index in [`Dataset::ALL`].
    dataset: usize,
    /// The id to read the next page after; `None`: the dataset's file is not started.
    after: Option<i64>,
}

/// The collective's Frictionless Data Package: each dataset's CSV with its Table Schema.
fn datapackage(tenant: &vigie_storage::Tenant) -> Value {
    let resources: Vec<Value> = Dataset::ALL
        .into_iter()
        .map(|d| {
            let (fr, en) = d.title();
            json!({
                "name": d.as_str(),
                "path": format!("{}.csv", d.as_str()),
                "profile": "tabular-data-resource",
                "title": fr,
                "description": en,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": format!("{}.schema.json", d.as_str()),
            })
        })
        .collect();
    json!({
        "profile": "tabular-data-package",
        "name": tenant.slug.as_str(),
        "title": tenant.name,
        "description": tenant.description,
        "licenses": [{
            "name": tenant.licence.id(),
            "path": tenant.licence.url(),
            "title": tenant.licence.title(),
        }],
        "resources": resources,
    })
}

/// One step of a zip: a page of a dataset's CSV (with the file's header first and its
/// schema after its last page), or the data package and the archive's end.
async fn zip_step(
    services: &vigie_services::Services,
    tenant: &vigie_storage::Tenant,
    mut state: ZipState,
) -> std::io::Result<(Vec<u8>, ZipState)> {
    let io = |e: ServiceError| std::io::Error::other(e.to_string());
    let Some(zip) = state.zip.as_mut() else {
        return Ok((Vec::new(), state));
    };
    let Some(dataset) = Dataset::ALL.get(state.dataset).copied() else {
        let mut out = zip.start("datapackage.json")?;
        let package =
            serde_json::to_vec_pretty(&datapackage(tenant)).map_err(std::io::Error::other)?;
        out.extend(zip.write(&package)?);
        if let Some(zip) = state.zip.take() {
            out.extend(zip.finish()?);
        }
        return Ok((out, state));
    };
    let mut out = Vec::new();
    let first = state.after.is_none();
    if first {
        out.extend(zip.start(&format!("{}.csv", dataset.as_str()))?);
    }
    let after = state.after.unwrap_or(0);
    let page = services
        .export_page(tenant, dataset, None, after)
        .await
        .map_err(io)?;
    let last = page.next.is_none();
    let mut wrote = false;
    let csv = encode(
        dataset,
        Format::Csv { semicolon: false },
        first,
        last,
        &page,
        &mut wrote,
    );
    out.extend(zip.write(&csv)?);
    if last {
        out.extend(zip.start(&format!("{}.schema.json", dataset.as_str()))?);
        let schema =
            serde_json::to_vec_pretty(&dataset.table_schema()).map_err(std::io::Error::other)?;
        out.extend(zip.write(&schema)?);
        state.dataset += 1;
        state.after = None;
    } else {
        state.after = page.next;
    }
    Ok((out, state))
}

/// `GET /api/v1/tenants/:slug/exports.zip`: every dataset of the collective as CSV with its
/// Table Schema, and a `datapackage.json` describing them, in one zip streamed page by page.
#[handler]
pub async fn zip_archive(
    req: &Request,
    state: Data<&ApiState>,
    Path(slug): Path<String>,
) -> Response {
    let tenant = match state.services.tenant(&slug).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let etag = format!(
        "W/\"{}-{}-zip\"",
        boot(),
        state.services.export_revision(&tenant)
    );
    let headers = |b: poem::ResponseBuilder| {
        b.header(header::ETAG, etag.clone())
            .header(header::CACHE_CONTROL, "public, no-cache")
    };
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return headers(Response::builder())
            .status(StatusCode::NOT_MODIFIED)
            .finish();
    }
    let services = state.services.clone();
    let start = ZipState {
        zip: Some(crate::zip_stream::ZipStream::new(
            time::OffsetDateTime::now_utc(),
        )),
        dataset: 0,
        after: None,
    };
    let body = futures::stream::unfold(Some(start), move |s| {
        let services = services.clone();
        let tenant = tenant.clone();
        async move {
            let s = s?;
            s.zip.as_ref()?;
            match zip_step(&services, &tenant, s).await {
                Ok((bytes, next)) => Some((Ok(Bytes::from(bytes)), Some(next))),
                Err(e) => {
                    tracing::error!(error = %e, "zip export failed");
                    Some((Err(e), None))
                }
            }
        }
    });
    headers(Response::builder())
        .header(header::CONTENT_TYPE, "application/zip")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{slug}.zip\""),
        )
        .body(Body::from_bytes_stream(body))
}
