//! Joint analysis, for anyone and without an account:
//!
//! - `GET /api/v1/tenants/{slug}/aggregates?type=&field=&over=&vintage=&group=`: a number
//!   field (or the ratio `field ÷ over`) aggregated per group of places (`group=all`,
//!   `arrondissement` or a choice field), for one vintage (`vintage=2024-2025`; the newest
//!   with values by default) or each (`vintage=all`), as JSON;
//! - `GET /api/v1/tenants/{slug}/aggregates.csv?…`: the same numbers as CSV (`sep=semicolon`
//!   for French spreadsheets).
//!
//! Only accepted facts count; every group says how many places it holds and how many have a
//! value. Both carry an `ETag` of the collective's revision, like the exports. Plain routes
//! beside the OpenAPI service, like the exports.

use poem::http::{StatusCode, header};
use poem::web::{Data, Json, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use vigie_services::{Aggregate, AggregateQuery};

use crate::ApiState;
use crate::error::ApiError;

/// The query string of an aggregate.
#[derive(Debug, Deserialize, Default)]
pub struct AggregateParams {
    /// The type of place.
    #[serde(rename = "type")]
    object_type: Option<String>,
    /// The number field.
    field: Option<String>,
    /// The divisor field, for a ratio.
    over: Option<String>,
    /// A vintage, or `all`.
    vintage: Option<String>,
    /// `all`, `arrondissement` or a choice field.
    group: Option<String>,
    /// CSV separator: `comma` (default) or `semicolon`.
    sep: Option<String>,
}

impl AggregateParams {
    fn query(&self) -> AggregateQuery {
        AggregateQuery {
            object_type: self.object_type.clone().unwrap_or_default(),
            field: self.field.clone().unwrap_or_default(),
            over: self.over.clone(),
            vintage: self.vintage.clone(),
            group: self.group.clone(),
        }
    }
}

/// `GET /api/v1/tenants/:slug/aggregates` and `…/aggregates.csv`.
#[handler]
pub async fn aggregates(
    req: &Request,
    state: Data<&ApiState>,
    Path(slug): Path<String>,
    Query(p): Query<AggregateParams>,
) -> Response {
    let csv = req.uri().path().ends_with(".csv");
    let semicolon = match p.sep.as_deref() {
        None | Some("comma" | ",") => false,
        Some("semicolon" | ";") => true,
        Some(other) => {
            return ApiError::invalid(
                "sep",
                format!("unknown separator '{other}': use sep=comma or sep=semicolon"),
            )
            .fr("Séparateur inconnu : utilisez sep=comma ou sep=semicolon.")
            .into_response();
        }
    };
    let tenant = match state.services.tenant(&slug).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let etag = format!(
        "W/\"{}-{}-aggregate-{}\"",
        crate::exports::boot(),
        state.services.export_revision(&tenant),
        if csv { "csv" } else { "json" }
    );
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if cached {
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header(header::ETAG, etag)
            .header(header::CACHE_CONTROL, "public, no-cache")
            .finish();
    }
    let answer = match state.services.aggregate(&tenant, &p.query()).await {
        Ok(a) => a,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let response = if csv {
        let filename = format!(
            "{slug}-{}{}-{}.csv",
            answer.field.key,
            answer
                .over
                .as_ref()
                .map(|o| format!("-per-{}", o.key))
                .unwrap_or_default(),
            answer.group
        );
        Response::builder()
            .header(
                header::CONTENT_TYPE,
                "text/csv; charset=utf-8; header=present",
            )
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            )
            .body(to_csv(&answer, semicolon))
    } else {
        Json(answer).into_response()
    };
    let mut response = response;
    let headers = response.headers_mut();
    if let Ok(v) = etag.parse() {
        headers.insert(header::ETAG, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        poem::http::HeaderValue::from_static("public, no-cache"),
    );
    response
}

/// The CSV columns of an aggregate, one row per vintage and group (then the vintage's total).
pub const CSV_COLUMNS: [&str; 15] = [
    "vintage",
    "group",
    "group_label",
    "field",
    "over",
    "objects",
    "objects_with_value",
    "count",
    "sum",
    "sum_over",
    "ratio",
    "mean",
    "median",
    "min",
    "max",
];

fn num(v: Option<f64>) -> String {
    v.map(|v| {
        // Short and exact enough for a spreadsheet; no exponent.
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_owned()
        } else {
            s.to_owned()
        }
    })
    .unwrap_or_default()
}

fn to_csv(a: &Aggregate, semicolon: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if semicolon {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(if semicolon { b';' } else { b',' })
        .terminator(csv::Terminator::CRLF)
        .from_writer(&mut out);
    let _ = w.write_record(CSV_COLUMNS);
    let over = a.over.as_ref().map(|o| o.key.clone()).unwrap_or_default();
    let label = |g: Option<&str>| match g {
        None => "(sans valeur)".to_owned(),
        Some(k) => a
            .group_labels
            .iter()
            .find(|l| l.key == k)
            .map_or_else(|| k.to_owned(), |l| l.label.fr.clone()),
    };
    for v in &a.vintages {
        let total = vigie_domain::aggregate::GroupStats {
            group: Some("total".into()),
            ..v.total.clone()
        };
        for g in v.groups.iter().chain(std::iter::once(&total)) {
            let key = g.group.clone().unwrap_or_default();
            let name = if g.group.as_deref() == Some("total") {
                "Total".to_owned()
            } else {
                label(g.group.as_deref())
            };
            let _ = w.write_record([
                v.vintage.clone(),
                key,
                name,
                a.field.key.clone(),
                over.clone(),
                g.objects.to_string(),
                g.objects_with_value.to_string(),
                g.count.to_string(),
                num(g.sum),
                num(g.sum_over),
                num(g.ratio),
                num(g.mean),
                num(g.median),
                num(g.min),
                num(g.max),
            ]);
        }
    }
    let _ = w.flush();
    drop(w);
    out
}
