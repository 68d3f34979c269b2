//! `/tenants/{slug}/map`: what a collective's map shows — its types, layers with their
//! legends and the values places can be filtered on; tiles of clustered markers; the list of
//! the places a filter keeps. Every answer is a cached public read (`ETag`, gzip, brotli),
//! rendered again as soon as the collective's data changes.
//!
//! Filters are query parameters, the same for the tiles, the list and the collective's page
//! (so that a shared URL shows the same view): `type=KEY`; `TYPE.FIELD=OPTION` (a choice or
//! `true`/`false`, repeatable: any of them); `TYPE.FIELD.min=N`, `TYPE.FIELD.max=N` (numbers
//! and indicators; places without a value are left out, never taken as zero); `open=1` or
//! `open=0` (places with / without an open request); `status=STATUS` (with a request in that
//! status, repeatable); `q=TEXT` (name, identifier or address); `bbox=W,S,E,N`.

use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use serde_json::{Value, json};
use vigie_http::{PUBLIC_REVALIDATE, Rendered, VARY_ENCODING};
use vigie_services::{MapFilter, MapIndex, ServiceError};

use crate::cached::Cached;
use crate::{ApiError, ApiState, ApiTags};

/// The query parameters of a request, as pairs.
fn params(req: &poem::Request) -> Vec<(String, String)> {
    req.params::<Vec<(String, String)>>().unwrap_or_default()
}

fn filter_of(index: &MapIndex, req: &poem::Request) -> Result<MapFilter, ServiceError> {
    let pairs = params(req);
    index.filter(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// A range of tile columns or rows: `first-last` or one number.
fn tile_range(
    name: &'static str,
    raw: &str,
) -> Result<std::ops::RangeInclusive<u32>, ServiceError> {
    let (a, b) = raw.split_once('-').unwrap_or((raw, raw));
    match (a.trim().parse::<u32>(), b.trim().parse::<u32>()) {
        (Ok(a), Ok(b)) if a <= b => Ok(a..=b),
        _ => Err(ServiceError::Invalid(
            vigie_domain::DomainError::invalid(
                name,
                format!("{name}: '{raw}' is not a range of tiles: write first-last, e.g. 10-14"),
            )
            .fr(format!(
                "{name} : « {raw} » n'est pas une suite de tuiles : écrivez première-dernière, \
                 par exemple 10-14."
            )),
        )),
    }
}

/// The JSON of a place of the list.
fn place_json(p: &vigie_services::MapPlace) -> Value {
    json!({
        "id": p.id,
        "type": p.object_type,
        "name": p.name,
        "identifier": p.identifier,
        "address": p.address,
        "latitude": p.position.map(|p| p.0),
        "longitude": p.position.map(|p| p.1),
        "possibly_closed": p.possibly_closed,
        "open_requests": p.open_requests(),
    })
}

/// The map of a collective.
pub(crate) struct MapApi;

#[OpenApi(tag = "ApiTags::Objects")]
impl MapApi {
    /// What a collective's map shows
    ///
    /// The background tiles (URL template and attribution), the default view, the box around
    /// every located place, how many places there are, and per type: its colour, the values
    /// its places can be filtered on (numbers, choices with their options, yes/no; fields
    /// and the plugin's indicators) and its layers with their legends (each class's colour
    /// and label, then « no known value », then « other kinds of places »).
    #[oai(path = "/tenants/:slug/map", method = "get", operation_id = "get_map")]
    async fn map(
        &self,
        req: &poem::Request,
        state: Data<&ApiState>,
        slug: Path<String>,
    ) -> Result<Cached<Json<Value>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let index = state.services.map_index(&tenant).await?;
        let key = format!("api/map/{}", slug.0);
        let read = state
            .cache
            .get_or_render(key, index.revision(), || async {
                let body = index.description(&tenant, &state.services.settings().map);
                Ok::<_, ApiError>(Rendered::json(body.to_string().into_bytes()))
            })
            .await?;
        Ok(Cached::new(read.respond(
            req,
            PUBLIC_REVALIDATE,
            VARY_ENCODING,
        )))
    }

    /// The markers of one map tile
    ///
    /// Tile `z/x/y` of the slippy-map scheme (Web Mercator, as OpenStreetMap's tiles). Places
    /// close on screen come as one cluster (`count`, the mean position) below zoom
    /// `unclustered_zoom`; a lone place comes with its `id`, `name` and `type`. With
    /// `layer=TYPE.LAYER`, each marker counts its places per class of that layer's legend
    /// (`classes`). Takes the map's filters (see the tag's description).
    #[oai(
        path = "/tenants/:slug/map/tiles/:z/:x/:y",
        method = "get",
        operation_id = "get_map_tile"
    )]
    #[allow(clippy::too_many_arguments)] // one argument per extractor
    async fn tile(
        &self,
        req: &poem::Request,
        state: Data<&ApiState>,
        slug: Path<String>,
        z: Path<u8>,
        x: Path<u32>,
        y: Path<u32>,
        /// A layer, `TYPE.LAYER` (see the map's description).
        layer: Query<Option<String>>,
    ) -> Result<Cached<Json<Value>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let index = state.services.map_index(&tenant).await?;
        let filter = filter_of(&index, req)?;
        let layer = layer.0.filter(|l| !l.is_empty());
        let key = format!(
            "api/map/{}/tile/{}/{}/{}?{}&layer={}",
            slug.0,
            *z,
            *x,
            *y,
            filter.key,
            layer.as_deref().unwrap_or("")
        );
        // Computed on a miss only; a bad tile or layer is an error, never kept.
        let read = state
            .cache
            .get_or_render(key, index.revision(), || async {
                let markers = index.tile(*z, *x, *y, &filter, layer.as_deref())?;
                let body = json!({ "markers": markers });
                Ok::<_, ApiError>(Rendered::json(body.to_string().into_bytes()))
            })
            .await?;
        Ok(Cached::new(read.respond(
            req,
            PUBLIC_REVALIDATE,
            VARY_ENCODING,
        )))
    }

    /// The markers of a view: several tiles at once
    ///
    /// The tiles of zoom `z` in columns `x` and rows `y` (`first-last`, or one number), at
    /// most 64 at once, each as `/tiles/{z}/{x}/{y}` gives it: `{"tiles": [{"x", "y",
    /// "markers"}]}`, every tile of the ranges listed (row by row), empty ones too. One
    /// request for the first view instead of one per tile. Takes `layer` and the map's
    /// filters.
    #[oai(
        path = "/tenants/:slug/map/tiles/:z",
        method = "get",
        operation_id = "get_map_view"
    )]
    #[allow(clippy::too_many_arguments)] // one argument per extractor
    async fn view(
        &self,
        req: &poem::Request,
        state: Data<&ApiState>,
        slug: Path<String>,
        z: Path<u8>,
        /// Columns, `first-last` (e.g. `1052-1056`) or one column.
        x: Query<String>,
        /// Rows, `first-last` or one row.
        y: Query<String>,
        /// A layer, `TYPE.LAYER` (see the map's description).
        layer: Query<Option<String>>,
    ) -> Result<Cached<Json<Value>>, ApiError> {
        let xs = tile_range("x", &x)?;
        let ys = tile_range("y", &y)?;
        let tenant = state.services.tenant(&slug).await?;
        let index = state.services.map_index(&tenant).await?;
        let filter = filter_of(&index, req)?;
        let layer = layer.0.filter(|l| !l.is_empty());
        let key = format!(
            "api/map/{}/view/{}/{}-{}/{}-{}?{}&layer={}",
            slug.0,
            *z,
            xs.start(),
            xs.end(),
            ys.start(),
            ys.end(),
            filter.key,
            layer.as_deref().unwrap_or("")
        );
        let read = state
            .cache
            .get_or_render(key, index.revision(), || async {
                let tiles = index.tiles(*z, xs.clone(), ys.clone(), &filter, layer.as_deref())?;
                let body = json!({ "z": *z, "tiles": tiles });
                Ok::<_, ApiError>(Rendered::json(body.to_string().into_bytes()))
            })
            .await?;
        Ok(Cached::new(read.respond(
            req,
            PUBLIC_REVALIDATE,
            VARY_ENCODING,
        )))
    }

    /// The places a filter keeps, by name
    ///
    /// The list beside the map and the search box (`q`): a page of at most `limit` places
    /// (default 50, at most 200) after skipping `offset`, and the `total` the filter keeps.
    /// Takes the map's filters (see the tag's description).
    #[oai(
        path = "/tenants/:slug/map/places",
        method = "get",
        operation_id = "list_map_places"
    )]
    async fn places(
        &self,
        req: &poem::Request,
        state: Data<&ApiState>,
        slug: Path<String>,
        /// Places skipped (default 0).
        offset: Query<Option<u32>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u32>>,
    ) -> Result<Cached<Json<Value>>, ApiError> {
        let limit = limit.0.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(ServiceError::Invalid(
                vigie_domain::DomainError::invalid("limit", "give a page size between 1 and 200")
                    .fr("Donnez une taille de page entre 1 et 200."),
            )
            .into());
        }
        let offset = offset.0.unwrap_or(0);
        let tenant = state.services.tenant(&slug).await?;
        let index = state.services.map_index(&tenant).await?;
        let filter = filter_of(&index, req)?;
        let key = format!(
            "api/map/{}/places?{}&offset={offset}&limit={limit}",
            slug.0, filter.key
        );
        let read = state
            .cache
            .get_or_render(key, index.revision(), || async {
                let page = index.list(&filter, offset as usize, limit as usize);
                let body = json!({
                    "total": page.total,
                    "offset": offset,
                    "places": page.places.iter().map(|p| place_json(p)).collect::<Vec<_>>(),
                });
                Ok::<_, ApiError>(Rendered::json(body.to_string().into_bytes()))
            })
            .await?;
        Ok(Cached::new(read.respond(
            req,
            PUBLIC_REVALIDATE,
            VARY_ENCODING,
        )))
    }
}
