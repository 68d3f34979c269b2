//! A collective's map: every place with the values its plugin's layers and filters read,
//! kept in memory per collective, filtered and clustered on the server.
//!
//! The index holds, for each place, its identity (name, identifier, address, position), the
//! newest known value of each number, choice and boolean field of its type and the type's
//! indicators computed on them, and its requests counted by status. It is built once, then
//! kept current: a change of one object's sheet (a fact accepted, a request filed or moved)
//! reloads that object only; a change of the collective's listing (an import, a new place)
//! rebuilds it. Tiles of clustered markers (`z/x/y`, the slippy-map scheme), the list beside
//! the map and the search box all read the same index with the same [`MapFilter`], so they
//! always show the same selection.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use vigie_domain::requests::RequestStatus;
use vigie_domain::{DomainError, TenantId};
use vigie_plugins::wit;
use vigie_plugins::{LoadedPlugin, dataset::normalize_column_name};
use vigie_storage::{BoundingBox, ReadScope, Tenant};

use crate::objects::decode_value;
use crate::{ServiceError, Services};

/// Markers closer than this many pixels on screen are drawn as one cluster (a tile of 256
/// pixels is cut into a 4 × 4 grid).
const CELLS_PER_TILE: u32 = 4;
/// From this zoom on, every place is its own marker.
pub const UNCLUSTERED_ZOOM: u8 = 16;
/// The deepest zoom a tile may be asked for.
pub const MAX_ZOOM: u8 = 20;
/// The most places one page of the map's list holds.
pub const MAX_LIST: usize = 200;

/// A value the map can filter on and colour by.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MapVariable {
    /// Key of the field or indicator.
    pub key: String,
    /// Its name.
    pub label: wit::Localized,
    /// Unit shown after a number.
    pub unit: Option<wit::Localized>,
    /// Decimals shown for a number.
    pub decimals: u8,
    /// What its values are.
    pub kind: VariableKind,
    /// Whether it is an indicator computed by the plugin (else a field).
    pub indicator: bool,
}

/// The values of a [`MapVariable`].
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "options")]
pub enum VariableKind {
    /// A number (integer, decimal or indicator).
    Number,
    /// One option of a closed list (stored as the option's index).
    Choice(Vec<wit::ChoiceOption>),
    /// Yes or no (stored as 1 or 0).
    Boolean,
}

/// One class of a layer's legend.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LegendClass {
    /// Marker colour, `#rrggbb`.
    pub color: String,
    /// What the class holds.
    pub label: wit::Localized,
}

/// A layer of a type: its plugin's `map-layer`, with the legend its markers are coloured by.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MapLayer {
    /// `type.layer`, as the `layer` parameter names it.
    pub key: String,
    /// Its name.
    pub label: wit::Localized,
    /// What it shows.
    pub description: wit::Localized,
    /// Whether the plugin shows it first.
    pub default_visible: bool,
    /// The classes, in order; then the class of places without a value, then the class of
    /// places of other types (drawn in their type's colour).
    pub legend: Vec<LegendClass>,
    /// Index of the class of places without a value.
    pub missing: usize,
}

/// A type of the collective as the map shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MapType {
    /// Type key.
    pub key: String,
    /// Singular and plural names.
    pub name: wit::Localized,
    /// Plural name.
    pub plural: wit::Localized,
    /// Marker colour of the type.
    pub color: String,
    /// The values places of this type can be filtered on.
    pub variables: Vec<MapVariable>,
    /// The plugin's layers.
    pub layers: Vec<MapLayer>,
}

/// How a layer's class is chosen from a value.
#[derive(Debug, Clone)]
enum Classify {
    /// Steps with upper bounds (`None`: the rest).
    Thresholds(Vec<Option<f64>>),
    /// Values matching each case, in the variable's encoding.
    Categories(Vec<f64>),
}

#[derive(Debug, Clone)]
struct LayerRule {
    ty: u16,
    variable: Option<usize>,
    classify: Classify,
    missing: usize,
}

/// One place of the index.
#[derive(Debug, Clone)]
pub struct MapPlace {
    /// The object.
    pub id: i64,
    ty: u16,
    /// Its type key.
    pub object_type: String,
    /// Official name.
    pub name: String,
    /// Official identifier.
    pub identifier: String,
    /// Street line, postcode and city, as known.
    pub address: String,
    /// City.
    pub city: Option<String>,
    /// Position, when known.
    pub position: Option<(f64, f64)>,
    /// Whether the last referential no longer listed it.
    pub possibly_closed: bool,
    /// Newest vintage with a value.
    pub vintage: Option<String>,
    /// Values by the type's variable index (NaN: none).
    values: Box<[f64]>,
    /// Requests by status (in the order of [`RequestStatus::ALL`]).
    statuses: [u32; 10],
    /// Name, identifier and address normalised for the search box.
    search: String,
}

impl MapPlace {
    /// How many of its requests are open.
    pub fn open_requests(&self) -> u32 {
        RequestStatus::ALL
            .iter()
            .zip(self.statuses)
            .filter(|(s, _)| s.is_open())
            .map(|(_, n)| n)
            .sum()
    }
}

/// The index of one collective's map.
#[derive(Debug, Clone)]
pub struct MapIndex {
    revision: u64,
    /// The collective's types.
    pub types: Vec<MapType>,
    rules: HashMap<String, LayerRule>,
    /// Shared with the index's next versions: an update copies pointers, not places.
    places: Vec<Arc<MapPlace>>,
    /// Position in `places` by object id.
    at: HashMap<i64, usize>,
    /// Indexes of `places` in the order of their names.
    by_name: Vec<u32>,
}

/// A condition of a filter.
#[derive(Debug, Clone, PartialEq)]
enum Condition {
    /// A number at least / at most.
    Range {
        ty: u16,
        var: usize,
        min: Option<f64>,
        max: Option<f64>,
    },
    /// One of these encoded values (choices, booleans).
    OneOf { ty: u16, var: usize, set: Vec<f64> },
}

/// Which places a view of the map shows. Read from query parameters (see [`MapIndex::filter`]),
/// the same for the tiles, the list and the page, so that a shared URL shows the same view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapFilter {
    types: Vec<u16>,
    conditions: Vec<Condition>,
    /// `Some(true)`: places with an open request; `Some(false)`: without.
    open: Option<bool>,
    statuses: Vec<usize>,
    words: Vec<String>,
    bbox: Option<BoundingBox>,
    /// Normalised text of the filter, for cache keys.
    pub key: String,
}

impl MapFilter {
    /// Whether the filter keeps every place.
    pub fn is_empty(&self) -> bool {
        self.key.is_empty()
    }
}

/// The markers of one tile of a view.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TileMarkers {
    /// Column of the tile.
    pub x: u32,
    /// Row of the tile.
    pub y: u32,
    /// Its markers.
    pub markers: Vec<Marker>,
}

/// The most tiles one view may ask for at once (a 4K screen holds about 15 × 9 tiles of 256
/// pixels; the map asks for its view in pieces of at most this many).
pub const MAX_TILES_PER_VIEW: u64 = 64;

/// A marker of a map tile: one place, or a cluster of places close on screen.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Marker {
    /// Latitude (a cluster's: the mean of its places).
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// How many places.
    pub count: u32,
    /// The place, when it is alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Its name, when it is alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its type, when it is alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    /// Places per class of the layer asked for (its legend's order), when one was.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<u32>,
}

/// A page of the map's list.
#[derive(Debug)]
pub struct MapList<'a> {
    /// The places of the page, by name.
    pub places: Vec<&'a MapPlace>,
    /// How many places the filter keeps in all.
    pub total: usize,
}

fn invalid(field: &'static str, en: impl Into<String>, fr: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(DomainError::invalid(field, en).fr(fr))
}

fn variables_of(plugin: &LoadedPlugin) -> Vec<MapVariable> {
    let m = plugin.manifest();
    let mut out = Vec::new();
    for f in &m.fields {
        let kind = match &f.kind {
            wit::FieldKind::Integer | wit::FieldKind::Decimal => VariableKind::Number,
            wit::FieldKind::Boolean => VariableKind::Boolean,
            wit::FieldKind::Choice(options) => VariableKind::Choice(options.clone()),
            _ => continue,
        };
        out.push(MapVariable {
            key: f.key.clone(),
            label: f.label.clone(),
            unit: f.unit.clone(),
            decimals: u8::from(matches!(f.kind, wit::FieldKind::Decimal)),
            kind,
            indicator: false,
        });
    }
    for i in &m.indicators {
        out.push(MapVariable {
            key: i.key.clone(),
            label: i.label.clone(),
            unit: i.unit.clone(),
            decimals: i.decimals,
            kind: VariableKind::Number,
            indicator: true,
        });
    }
    out
}

/// A value in a variable's encoding: numbers as they are, a choice as its option's index,
/// a boolean as 1 or 0.
fn encode(kind: &VariableKind, v: &wit::Value) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    match (kind, v) {
        (VariableKind::Number, wit::Value::Integer(n)) => Some(*n as f64),
        (VariableKind::Number, wit::Value::Decimal(n)) => Some(*n),
        (VariableKind::Boolean, wit::Value::Boolean(b)) => Some(f64::from(u8::from(*b))),
        (VariableKind::Choice(options), wit::Value::Choice(c)) => options
            .iter()
            .position(|o| &o.key == c)
            .and_then(|i| u32::try_from(i).ok())
            .map(f64::from),
        _ => None,
    }
}

fn layer_of(
    ty: u16,
    type_key: &str,
    vars: &[MapVariable],
    l: &wit::MapLayer,
) -> (MapLayer, LayerRule) {
    let variable = |key: &str| vars.iter().position(|v| v.key == key);
    let (legend, classify, var, missing_color) = match &l.style {
        wit::LayerStyle::Single(color) => (
            vec![LegendClass {
                color: color.clone(),
                label: l.label.clone(),
            }],
            Classify::Thresholds(vec![None]),
            None,
            color.clone(),
        ),
        wit::LayerStyle::Thresholds(t) => (
            t.steps
                .iter()
                .map(|s| LegendClass {
                    color: s.color.clone(),
                    label: s.label.clone(),
                })
                .collect(),
            Classify::Thresholds(t.steps.iter().map(|s| s.upper_bound).collect()),
            variable(&t.variable),
            t.missing_color.clone(),
        ),
        wit::LayerStyle::Categories(c) => {
            let var = variable(&c.variable);
            let cases = c
                .cases
                .iter()
                .map(|case| {
                    var.and_then(|i| encode(&vars[i].kind, &case.value))
                        .unwrap_or(f64::NAN)
                })
                .collect();
            (
                c.cases
                    .iter()
                    .map(|s| LegendClass {
                        color: s.color.clone(),
                        label: s.label.clone(),
                    })
                    .collect(),
                Classify::Categories(cases),
                var,
                c.other_color.clone(),
            )
        }
    };
    let missing = legend.len();
    let mut legend = legend;
    legend.push(LegendClass {
        color: missing_color,
        label: wit::Localized {
            fr: "Pas de valeur connue".into(),
            en: "No known value".into(),
        },
    });
    legend.push(LegendClass {
        color: "#9e9e9e".into(),
        label: wit::Localized {
            fr: "Autres types de lieux".into(),
            en: "Other kinds of places".into(),
        },
    });
    let key = format!("{type_key}.{}", l.key);
    (
        MapLayer {
            key,
            label: l.label.clone(),
            description: l.description.clone(),
            default_visible: l.default_visible,
            legend,
            missing,
        },
        LayerRule {
            ty,
            variable: var,
            classify,
            missing,
        },
    )
}

impl LayerRule {
    fn class(&self, p: &MapPlace) -> usize {
        if p.ty != self.ty {
            return self.missing + 1;
        }
        let value = match self.variable {
            Some(i) => p.values.get(i).copied().unwrap_or(f64::NAN),
            // A single-colour layer: every place of the type in its one class.
            None => 0.0,
        };
        if value.is_nan() {
            return self.missing;
        }
        match &self.classify {
            Classify::Thresholds(bounds) => bounds
                .iter()
                .position(|b| b.is_none_or(|b| value < b))
                .unwrap_or(self.missing),
            Classify::Categories(cases) => cases
                .iter()
                .position(|c| *c == value)
                .unwrap_or(self.missing),
        }
    }
}

/// Tile `x`, `y` at zoom `z` as a bounding box (Web Mercator, the slippy-map scheme).
fn tile_bounds(z: u8, x: u32, y: u32) -> BoundingBox {
    let n = f64::from(1u32 << z);
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| {
        let t = std::f64::consts::PI * (1.0 - 2.0 * y / n);
        t.sinh().atan().to_degrees()
    };
    BoundingBox {
        west: lon(f64::from(x)),
        east: lon(f64::from(x) + 1.0),
        north: lat(f64::from(y)),
        south: lat(f64::from(y) + 1.0),
    }
}

/// A position's fractional tile coordinates at zoom `z`.
fn tile_xy(z: u8, lat: f64, lon: f64) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let x = (lon + 180.0) / 360.0 * n;
    let r = lat.clamp(-85.051_128, 85.051_128).to_radians();
    let y = (1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x, y)
}

fn inside(b: &BoundingBox, (lat, lon): (f64, f64)) -> bool {
    lat >= b.south && lat <= b.north && lon >= b.west && lon <= b.east
}

/// Text normalised for the search box: lowercase, no accents, words joined by `_`.
fn search_text(parts: &[&str]) -> String {
    normalize_column_name(&parts.join(" "))
}

impl MapIndex {
    fn empty(revision: u64, types: Vec<MapType>, rules: HashMap<String, LayerRule>) -> Self {
        Self {
            revision,
            types,
            rules,
            places: Vec::new(),
            at: HashMap::new(),
            by_name: Vec::new(),
        }
    }

    /// The revision of the collective's data the index shows.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// How many places the index holds.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// The box around every located place, if any is.
    pub fn bounds(&self) -> Option<BoundingBox> {
        let mut b: Option<BoundingBox> = None;
        for (lat, lon) in self.places.iter().filter_map(|p| p.position) {
            let e = b.get_or_insert(BoundingBox {
                west: lon,
                east: lon,
                south: lat,
                north: lat,
            });
            e.west = e.west.min(lon);
            e.east = e.east.max(lon);
            e.south = e.south.min(lat);
            e.north = e.north.max(lat);
        }
        b
    }

    /// What the map shows, as the API and the page give it to the browser: the background
    /// tiles (the collective's own, else the instance's), the default view, the box around every located place, how many places, the
    /// default layer and per type its colour, filterable values and layers with legends.
    pub fn description(
        &self,
        tenant: &Tenant,
        background: &crate::MapBackground,
    ) -> serde_json::Value {
        // The collective's own tiles, else the instance's.
        let (url, attribution) = match &tenant.tiles {
            Some(t) => (t.url(), t.attribution()),
            None => (
                background.tile_url.as_str(),
                background.attribution.as_str(),
            ),
        };
        serde_json::json!({
            "tiles": { "url": url, "attribution": attribution },
            "view": {
                "latitude": tenant.map.latitude,
                "longitude": tenant.map.longitude,
                "zoom": tenant.map.zoom,
            },
            "bounds": self.bounds().map(|b| [b.west, b.south, b.east, b.north]),
            "places": self.len(),
            "default_layer": self.default_layer().map(|l| l.key.clone()),
            "unclustered_zoom": UNCLUSTERED_ZOOM,
            "types": self.types,
        })
    }

    /// The layer `type.layer`, if the collective has it.
    pub fn layer(&self, key: &str) -> Option<&MapLayer> {
        self.types
            .iter()
            .flat_map(|t| t.layers.iter())
            .find(|l| l.key == key)
    }

    /// The layer shown when none is asked for: the first one a plugin shows by default.
    pub fn default_layer(&self) -> Option<&MapLayer> {
        let mut all = self.types.iter().flat_map(|t| t.layers.iter());
        all.clone()
            .find(|l| l.default_visible)
            .or_else(|| all.next())
    }

    fn type_index(&self, key: &str) -> Option<u16> {
        self.types
            .iter()
            .position(|t| t.key == key)
            .and_then(|i| u16::try_from(i).ok())
    }

    fn rebuild_name_order(&mut self) {
        let mut order: Vec<u32> = (0..self.places.len())
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        let places = &self.places;
        order.sort_by(|a, b| {
            let (a, b) = (&places[*a as usize], &places[*b as usize]);
            a.name.cmp(&b.name).then(a.id.cmp(&b.id))
        });
        self.by_name = order;
        self.at = self
            .places
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
    }

    /// Reads a filter from query parameters (those it does not know are left to others):
    /// `type=KEY` (repeatable), `TYPE.FIELD=OPTION` for a choice or `true`/`false` for a
    /// boolean (repeatable: any of them), `TYPE.FIELD.min=N` / `TYPE.FIELD.max=N` for numbers
    /// and indicators, `open=1` (places with an open request) or `open=0`, `status=STATUS`
    /// (repeatable: places with a request in one of them), `q=TEXT` (name, identifier,
    /// address), `bbox=west,south,east,north`. Empty values are ignored, as a form sends them.
    pub fn filter<'a>(
        &self,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<MapFilter, ServiceError> {
        let mut f = MapFilter::default();
        let mut key_parts: Vec<String> = Vec::new();
        let mut ranges: BTreeMap<(u16, usize), (Option<f64>, Option<f64>)> = BTreeMap::new();
        let mut sets: BTreeMap<(u16, usize), Vec<f64>> = BTreeMap::new();
        // A form's one number filter: `num=TYPE.KEY`, `min`, `max`.
        let (mut num, mut min, mut max) = (None, None, None);
        let number = |name: &str, value: &str| -> Result<f64, ServiceError> {
            value
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| {
                    invalid(
                        "filter",
                        format!("{name}: '{value}' is not a number"),
                        format!("{name} : « {value} » n'est pas un nombre."),
                    )
                })
        };
        for (name, value) in params {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match name {
                "type" => {
                    let ty = self.type_index(value).ok_or_else(|| {
                        invalid(
                            "type",
                            format!("this collective has no type '{value}'"),
                            format!("Ce collectif n'a pas de type « {value} »."),
                        )
                    })?;
                    if !f.types.contains(&ty) {
                        f.types.push(ty);
                    }
                }
                "open" => {
                    f.open = Some(match value {
                        "1" | "true" | "yes" | "oui" => true,
                        "0" | "false" | "no" | "non" => false,
                        _ => {
                            return Err(invalid(
                                "open",
                                "write open=1 (places with an open request) or open=0",
                                "Écrivez open=1 (lieux avec une demande ouverte) ou open=0.",
                            ));
                        }
                    });
                }
                "status" => {
                    let s = RequestStatus::ALL
                        .iter()
                        .position(|s| s.as_str() == value)
                        .ok_or_else(|| {
                            invalid(
                                "status",
                                format!(
                                    "unknown status '{value}': use one of {}",
                                    RequestStatus::ALL.map(RequestStatus::as_str).join(", ")
                                ),
                                format!("Statut de demande inconnu : « {value} »."),
                            )
                        })?;
                    if !f.statuses.contains(&s) {
                        f.statuses.push(s);
                    }
                }
                "q" => {
                    if value.chars().count() > 200 {
                        return Err(invalid(
                            "q",
                            "search for at most 200 characters",
                            "Cherchez au plus 200 caractères.",
                        ));
                    }
                    f.words = normalize_column_name(value)
                        .split('_')
                        .filter(|w| !w.is_empty())
                        .map(str::to_owned)
                        .collect();
                }
                "bbox" => f.bbox = Some(crate::parse_bbox(value)?),
                "num" => num = Some(value.to_owned()),
                "min" => min = Some(number(name, value)?),
                "max" => max = Some(number(name, value)?),
                _ => {
                    let Some((ty_key, rest)) = name.split_once('.') else {
                        continue;
                    };
                    let Some(ty) = self.type_index(ty_key) else {
                        continue;
                    };
                    let (var_key, bound) = match rest.rsplit_once('.') {
                        Some((v, b @ ("min" | "max"))) => (v, Some(b)),
                        _ => (rest, None),
                    };
                    let t = &self.types[usize::from(ty)];
                    let var = t
                        .variables
                        .iter()
                        .position(|v| v.key == var_key)
                        .ok_or_else(|| {
                            invalid(
                                "filter",
                                format!(
                                    "{name}: {ty_key} places have no value '{var_key}' to filter on"
                                ),
                                format!(
                                    "Les lieux « {ty_key} » n'ont pas de valeur « {var_key} »."
                                ),
                            )
                        })?;
                    let v = &t.variables[var];
                    match (&v.kind, bound) {
                        (VariableKind::Number, Some(b)) => {
                            let n = number(name, value)?;
                            let r = ranges.entry((ty, var)).or_default();
                            if b == "min" {
                                r.0 = Some(n);
                            } else {
                                r.1 = Some(n);
                            }
                        }
                        (VariableKind::Number, None) => {
                            return Err(invalid(
                                "filter",
                                format!("filter a number with {name}.min or {name}.max"),
                                format!("Filtrez un nombre avec {name}.min ou {name}.max."),
                            ));
                        }
                        (kind, None) => {
                            let encoded = match kind {
                                VariableKind::Boolean => match value {
                                    "true" | "1" | "oui" | "yes" => Some(1.0),
                                    "false" | "0" | "non" | "no" => Some(0.0),
                                    _ => None,
                                },
                                _ => encode(kind, &wit::Value::Choice(value.to_owned())),
                            };
                            let e = encoded.ok_or_else(|| {
                                invalid(
                                    "filter",
                                    format!("{name}: '{value}' is not a value of {var_key}"),
                                    format!("{name} : « {value} » n'est pas une valeur de « {var_key} »."),
                                )
                            })?;
                            let s = sets.entry((ty, var)).or_default();
                            if !s.contains(&e) {
                                s.push(e);
                            }
                        }
                        (_, Some(_)) => {
                            return Err(invalid(
                                "filter",
                                format!(
                                    "{var_key} is not a number: filter it with {ty_key}.{var_key}=VALUE"
                                ),
                                format!("« {var_key} » n'est pas un nombre."),
                            ));
                        }
                    }
                }
            }
        }
        match num {
            Some(key) => {
                let found = key.split_once('.').and_then(|(t, v)| {
                    let ty = self.type_index(t)?;
                    let var = self.types[usize::from(ty)]
                        .variables
                        .iter()
                        .position(|x| x.key == v && matches!(x.kind, VariableKind::Number))?;
                    Some((ty, var))
                });
                let (ty, var) = found.ok_or_else(|| {
                    invalid(
                        "num",
                        format!(
                            "'{key}' is not a number of this collective's places: write TYPE.KEY"
                        ),
                        format!(
                            "« {key} » n'est pas une valeur chiffrée des lieux de ce collectif."
                        ),
                    )
                })?;
                if min.is_some() || max.is_some() {
                    let r = ranges.entry((ty, var)).or_default();
                    r.0 = min.or(r.0);
                    r.1 = max.or(r.1);
                }
            }
            None if min.is_some() || max.is_some() => {
                return Err(invalid(
                    "num",
                    "choose the value that min and max bound (num=TYPE.KEY)",
                    "Choisissez la valeur que bornent le minimum et le maximum.",
                ));
            }
            None => {}
        }
        for ((ty, var), (min, max)) in ranges {
            f.conditions.push(Condition::Range { ty, var, min, max });
        }
        for ((ty, var), mut set) in sets {
            set.sort_by(f64::total_cmp);
            f.conditions.push(Condition::OneOf { ty, var, set });
        }
        f.types.sort_unstable();
        f.statuses.sort_unstable();
        // A canonical text of the filter, so that the same view has one cache key.
        for ty in &f.types {
            key_parts.push(format!("type={}", self.types[usize::from(*ty)].key));
        }
        for c in &f.conditions {
            key_parts.push(format!("{c:?}"));
        }
        if let Some(o) = f.open {
            key_parts.push(format!("open={o}"));
        }
        for s in &f.statuses {
            key_parts.push(format!("status={s}"));
        }
        if !f.words.is_empty() {
            key_parts.push(format!("q={}", f.words.join("_")));
        }
        if let Some(b) = f.bbox {
            key_parts.push(format!(
                "bbox={},{},{},{}",
                b.west, b.south, b.east, b.north
            ));
        }
        f.key = key_parts.join("&");
        Ok(f)
    }

    fn keeps(&self, f: &MapFilter, p: &MapPlace) -> bool {
        if !f.types.is_empty() && !f.types.contains(&p.ty) {
            return false;
        }
        for c in &f.conditions {
            let ok = match c {
                Condition::Range { ty, var, min, max } => {
                    let v = if p.ty == *ty {
                        p.values.get(*var).copied().unwrap_or(f64::NAN)
                    } else {
                        f64::NAN
                    };
                    !v.is_nan() && min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m)
                }
                Condition::OneOf { ty, var, set } => {
                    p.ty == *ty && p.values.get(*var).is_some_and(|v| set.contains(v))
                }
            };
            if !ok {
                return false;
            }
        }
        if let Some(open) = f.open
            && (p.open_requests() > 0) != open
        {
            return false;
        }
        if !f.statuses.is_empty() && !f.statuses.iter().any(|s| p.statuses[*s] > 0) {
            return false;
        }
        if !f.words.iter().all(|w| p.search.contains(w.as_str())) {
            return false;
        }
        if let Some(b) = &f.bbox
            && !p.position.is_some_and(|pos| inside(b, pos))
        {
            return false;
        }
        true
    }

    /// How many places the filter keeps.
    pub fn count(&self, f: &MapFilter) -> usize {
        if f.is_empty() {
            return self.places.len();
        }
        self.places.iter().filter(|p| self.keeps(f, p)).count()
    }

    /// A page of the places the filter keeps, by name: `offset` skipped, at most `limit`.
    pub fn list(&self, f: &MapFilter, offset: usize, limit: usize) -> MapList<'_> {
        let limit = limit.min(MAX_LIST);
        let mut total = 0;
        let mut places = Vec::new();
        for i in &self.by_name {
            let p = &self.places[*i as usize];
            if !self.keeps(f, p) {
                continue;
            }
            if total >= offset && places.len() < limit {
                places.push(p.as_ref());
            }
            total += 1;
        }
        MapList { places, total }
    }

    /// The markers of tile `z/x/y` for the places the filter keeps: places close on screen
    /// gathered in clusters (below [`UNCLUSTERED_ZOOM`]), each with its places counted per
    /// class of `layer` when given.
    pub fn tile(
        &self,
        z: u8,
        x: u32,
        y: u32,
        f: &MapFilter,
        layer: Option<&str>,
    ) -> Result<Vec<Marker>, ServiceError> {
        if z > MAX_ZOOM || x >= (1u32 << z) || y >= (1u32 << z) {
            return Err(invalid(
                "tile",
                format!("no tile {z}/{x}/{y}: zoom 0 to {MAX_ZOOM}, x and y below 2^zoom"),
                format!("Pas de tuile {z}/{x}/{y}."),
            ));
        }
        let mut tiles = self.tiles(z, x..=x, y..=y, f, layer)?;
        Ok(tiles.pop().map(|t| t.markers).unwrap_or_default())
    }

    /// The markers of every tile of zoom `z` in the columns `xs` and rows `ys` (a view: at
    /// most [`MAX_TILES_PER_VIEW`] tiles), as [`MapIndex::tile`] gives each, in one pass over
    /// the places. Every tile of the range is in the answer, empty ones too.
    pub fn tiles(
        &self,
        z: u8,
        xs: std::ops::RangeInclusive<u32>,
        ys: std::ops::RangeInclusive<u32>,
        f: &MapFilter,
        layer: Option<&str>,
    ) -> Result<Vec<TileMarkers>, ServiceError> {
        let (x0, x1, y0, y1) = (*xs.start(), *xs.end(), *ys.start(), *ys.end());
        if z > MAX_ZOOM || x0 > x1 || y0 > y1 || x1 >= (1u32 << z) || y1 >= (1u32 << z) {
            return Err(invalid(
                "tile",
                format!(
                    "no tiles {z}/{x0}-{x1}/{y0}-{y1}: zoom 0 to {MAX_ZOOM}, x and y ranges \
                     (first-last) below 2^zoom"
                ),
                format!("Pas de tuiles {z}/{x0}-{x1}/{y0}-{y1}."),
            ));
        }
        let count = u64::from(x1 - x0 + 1) * u64::from(y1 - y0 + 1);
        if count > MAX_TILES_PER_VIEW {
            return Err(invalid(
                "tile",
                format!("{count} tiles asked for at once: at most {MAX_TILES_PER_VIEW} (a view)"),
                format!("{count} tuiles demandées d'un coup : {MAX_TILES_PER_VIEW} au plus."),
            ));
        }
        let rule = match layer {
            Some(key) => Some(self.rules.get(key).ok_or_else(|| {
                invalid(
                    "layer",
                    format!("this collective has no layer '{key}'"),
                    format!("Ce collectif n'a pas de couche « {key} »."),
                )
            })?),
            None => None,
        };
        let classes = rule.map_or(0, |r| r.missing + 2);
        let cells = if z >= UNCLUSTERED_ZOOM {
            0
        } else {
            CELLS_PER_TILE
        };
        // The box of the whole range, to skip most places with two comparisons.
        let (nw, se) = (tile_bounds(z, x0, y0), tile_bounds(z, x1, y1));
        let view = BoundingBox {
            west: nw.west,
            north: nw.north,
            east: se.east,
            south: se.south,
        };
        // Per tile, per cell: count, sums of positions, the one place when alone, counts per
        // class; and the places shown alone (from UNCLUSTERED_ZOOM).
        type Cell = (u32, f64, f64, usize, Vec<u32>);
        /// A place shown alone: its index and its class.
        type Single = (usize, Option<usize>);
        let mut grids: BTreeMap<(u32, u32), BTreeMap<u32, Cell>> = BTreeMap::new();
        let mut singles: BTreeMap<(u32, u32), Vec<Single>> = BTreeMap::new();
        for (i, p) in self.places.iter().enumerate() {
            let Some(pos) = p.position else { continue };
            if !inside(&view, pos) {
                continue;
            }
            // A place on a tile's east or south edge belongs to the next tile only.
            let (tx, ty) = tile_xy(z, pos.0, pos.1);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let (x, y) = (tx.floor().max(0.0) as u32, ty.floor().max(0.0) as u32);
            if !xs.contains(&x) || !ys.contains(&y) || !self.keeps(f, p) {
                continue;
            }
            let class = rule.map(|r| r.class(p));
            if cells == 0 {
                singles.entry((x, y)).or_default().push((i, class));
                continue;
            }
            let cx = ((tx - f64::from(x)) * f64::from(cells)).clamp(0.0, f64::from(cells - 1));
            let cy = ((ty - f64::from(y)) * f64::from(cells)).clamp(0.0, f64::from(cells - 1));
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let cell = cy as u32 * cells + cx as u32;
            let e = grids
                .entry((x, y))
                .or_default()
                .entry(cell)
                .or_insert_with(|| (0, 0.0, 0.0, i, vec![0; classes]));
            e.0 += 1;
            e.1 += pos.0;
            e.2 += pos.1;
            if let Some(c) = class {
                e.4[c] += 1;
            }
        }
        let single = |i: usize, class: Option<usize>| {
            let p = &self.places[i];
            let (lat, lon) = p.position.unwrap_or_default();
            let mut counts = vec![0; classes];
            if let Some(c) = class {
                counts[c] = 1;
            }
            Marker {
                lat,
                lon,
                count: 1,
                id: Some(p.id),
                name: Some(p.name.clone()),
                object_type: Some(p.object_type.clone()),
                classes: counts,
            }
        };
        let mut out = Vec::new();
        for y in ys {
            for x in xs.clone() {
                let mut markers: Vec<Marker> = singles
                    .remove(&(x, y))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(i, c)| single(i, c))
                    .collect();
                for (n, lat, lon, first, counts) in
                    grids.remove(&(x, y)).unwrap_or_default().into_values()
                {
                    if n == 1 {
                        let mut m = single(first, None);
                        m.classes = counts;
                        markers.push(m);
                    } else {
                        markers.push(Marker {
                            lat: lat / f64::from(n),
                            lon: lon / f64::from(n),
                            count: n,
                            id: None,
                            name: None,
                            object_type: None,
                            classes: counts,
                        });
                    }
                }
                out.push(TileMarkers { x, y, markers });
            }
        }
        Ok(out)
    }
}

/// The map indexes of the collectives, kept between reads.
#[derive(Clone, Default)]
pub(crate) struct MapIndexes {
    kept: Arc<Mutex<HashMap<TenantId, Arc<MapIndex>>>>,
    /// One build or update at a time per collective.
    building: Arc<Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>>,
}

impl MapIndexes {
    fn get(&self, t: TenantId) -> Option<Arc<MapIndex>> {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&t)
            .cloned()
    }

    fn put(&self, t: TenantId, index: Arc<MapIndex>) {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(t, index);
    }

    fn gate(&self, t: TenantId) -> Arc<tokio::sync::Mutex<()>> {
        self.building
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(t)
            .or_default()
            .clone()
    }
}

/// Facts of one object as they are read: field → (vintage, value), newest vintage winning.
/// The newest accepted values of a set of objects, compactly (65 000 places have some
/// 250 000 facts): field keys and vintages interned, values decoded as they stream in.
#[derive(Default)]
struct Newest {
    fields: Vec<String>,
    field_ids: HashMap<String, u16>,
    vintages: Vec<String>,
    vintage_ids: HashMap<String, u16>,
    /// Per object: (field, vintage, value), one per field.
    objects: HashMap<i64, Vec<(u16, u16, wit::Value)>>,
}

impl Newest {
    fn intern(ids: &mut HashMap<String, u16>, list: &mut Vec<String>, s: String) -> u16 {
        if let Some(id) = ids.get(&s) {
            return *id;
        }
        let id = u16::try_from(list.len()).unwrap_or(u16::MAX);
        list.push(s.clone());
        ids.insert(s, id);
        id
    }

    fn add(&mut self, f: vigie_storage::MapFact) {
        let Some(value) = decode_value(&f.value) else {
            return;
        };
        let field = Self::intern(&mut self.field_ids, &mut self.fields, f.field_key);
        let vintage = Self::intern(&mut self.vintage_ids, &mut self.vintages, f.vintage);
        let kept = self.objects.entry(f.object_id).or_default();
        // Facts come in the order they were filed: a later one of the same or a newer
        // vintage replaces the value kept.
        match kept.iter_mut().find(|(k, _, _)| *k == field) {
            Some(e) => {
                if self.vintages[usize::from(e.1)] <= self.vintages[usize::from(vintage)] {
                    *e = (field, vintage, value);
                }
            }
            None => kept.push((field, vintage, value)),
        }
    }
}

impl Services {
    /// The map index of a collective, current with its data: built on first use, then
    /// updated for the objects that changed since.
    pub async fn map_index(&self, tenant: &Tenant) -> Result<Arc<MapIndex>, ServiceError> {
        let revision = self.read_revision(ReadScope::AnyOf(tenant.id));
        if let Some(index) = self.maps.get(tenant.id)
            && index.revision == revision
        {
            return Ok(index);
        }
        let gate = self.maps.gate(tenant.id);
        let _building = gate.lock().await;
        // Revisions only grow: what was current when the build started is at least as new.
        let revision = self.read_revision(ReadScope::AnyOf(tenant.id));
        let kept = self.maps.get(tenant.id);
        if let Some(index) = &kept
            && index.revision == revision
        {
            return Ok(index.clone());
        }
        let changed = kept.as_ref().and_then(|k| {
            self.store
                .changes()
                .objects_changed_since(tenant.id, k.revision)
        });
        let index = match (kept, changed) {
            (Some(kept), Some(ids)) => self.update_map(tenant, &kept, revision, &ids).await?,
            _ => self.build_map(tenant, revision).await?,
        };
        let index = Arc::new(index);
        self.maps.put(tenant.id, index.clone());
        Ok(index)
    }

    fn map_types(&self, tenant: &Tenant) -> (Vec<MapType>, HashMap<String, LayerRule>) {
        let mut types = Vec::new();
        let mut rules = HashMap::new();
        for key in &tenant.object_types {
            let Some(plugin) = self.plugins.get(key.as_str()) else {
                continue;
            };
            let ty = u16::try_from(types.len()).unwrap_or(u16::MAX);
            let m = plugin.manifest();
            let variables = variables_of(plugin);
            let mut layers = Vec::new();
            for l in &m.layers {
                let (layer, rule) = layer_of(ty, key.as_str(), &variables, l);
                rules.insert(layer.key.clone(), rule);
                layers.push(layer);
            }
            types.push(MapType {
                key: key.as_str().to_owned(),
                name: m.identity.name.clone(),
                plural: m.identity.plural_name.clone(),
                color: m.identity.color.clone(),
                variables,
                layers,
            });
        }
        (types, rules)
    }

    async fn build_map(&self, tenant: &Tenant, revision: u64) -> Result<MapIndex, ServiceError> {
        let (types, rules) = self.map_types(tenant);
        let mut index = MapIndex::empty(revision, types, rules);
        let places = self.store.places(tenant.id).await?;
        let facts = self.newest_facts(tenant.id, None).await?;
        let statuses = self.status_counts(tenant.id, None).await?;
        index.places = self
            .map_places(&index, places, facts, statuses)
            .await?
            .into_iter()
            .map(Arc::new)
            .collect();
        index.rebuild_name_order();
        Ok(index)
    }

    async fn update_map(
        &self,
        tenant: &Tenant,
        kept: &MapIndex,
        revision: u64,
        ids: &[i64],
    ) -> Result<MapIndex, ServiceError> {
        let mut index = kept.clone();
        index.revision = revision;
        if ids.is_empty() {
            return Ok(index);
        }
        let places = self.store.places_among(tenant.id, ids).await?;
        let facts = self.newest_facts(tenant.id, Some(ids)).await?;
        let statuses = self.status_counts(tenant.id, Some(ids)).await?;
        let fresh = self.map_places(&index, places, facts, statuses).await?;
        let mut renamed = false;
        for p in fresh {
            match index.at.get(&p.id) {
                Some(i) => {
                    renamed |= index.places[*i].name != p.name;
                    index.places[*i] = Arc::new(p);
                }
                None => {
                    index.places.push(Arc::new(p));
                    renamed = true;
                }
            }
        }
        if renamed {
            index.rebuild_name_order();
        }
        Ok(index)
    }

    async fn newest_facts(
        &self,
        tenant: TenantId,
        ids: Option<&[i64]>,
    ) -> Result<Newest, ServiceError> {
        let mut out = Newest::default();
        self.store
            .for_each_accepted_fact(tenant, ids, |f| out.add(f))
            .await?;
        Ok(out)
    }

    async fn status_counts(
        &self,
        tenant: TenantId,
        ids: Option<&[i64]>,
    ) -> Result<HashMap<i64, [u32; 10]>, ServiceError> {
        let mut out: HashMap<i64, [u32; 10]> = HashMap::new();
        for c in self.store.request_status_counts(tenant, ids).await? {
            if let Some(i) = RequestStatus::ALL
                .iter()
                .position(|s| s.as_str() == c.status)
            {
                out.entry(c.object_id).or_default()[i] = u32::try_from(c.count).unwrap_or(u32::MAX);
            }
        }
        Ok(out)
    }

    /// The index's places for these stored places, their facts and request counts; the
    /// plugins compute the indicators (off the async threads).
    async fn map_places(
        &self,
        index: &MapIndex,
        places: Vec<vigie_storage::Place>,
        mut facts: Newest,
        mut statuses: HashMap<i64, [u32; 10]>,
    ) -> Result<Vec<MapPlace>, ServiceError> {
        let types: Vec<(String, Vec<MapVariable>, Option<Arc<LoadedPlugin>>)> = index
            .types
            .iter()
            .map(|t| {
                (
                    t.key.clone(),
                    t.variables.clone(),
                    self.plugins.get(&t.key).cloned(),
                )
            })
            .collect();
        let built = tokio::task::spawn_blocking(move || {
            places
                .into_iter()
                .filter_map(|p| {
                    let ty = types.iter().position(|(k, _, _)| *k == p.object_type)?;
                    let (_, vars, plugin) = &types[ty];
                    let values = facts.objects.remove(&p.id).unwrap_or_default();
                    let s = statuses.remove(&p.id).unwrap_or_default();
                    Some(place_of(ty, vars, plugin.as_deref(), p, &facts, values, s))
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("map index: {e}")))?;
        Ok(built)
    }
}

fn place_of(
    ty: usize,
    vars: &[MapVariable],
    plugin: Option<&LoadedPlugin>,
    p: vigie_storage::Place,
    names: &Newest,
    facts: Vec<(u16, u16, wit::Value)>,
    statuses: [u32; 10],
) -> MapPlace {
    let mut values = vec![f64::NAN; vars.len()].into_boxed_slice();
    let mut record = Vec::new();
    let mut vintage: Option<&str> = None;
    for (field, v, value) in facts {
        let key = &names.fields[usize::from(field)];
        let v = names.vintages[usize::from(v)].as_str();
        if vintage.is_none_or(|n| n < v) {
            vintage = Some(v);
        }
        if let Some(i) = vars.iter().position(|x| !x.indicator && &x.key == key) {
            values[i] = encode(&vars[i].kind, &value).unwrap_or(f64::NAN);
        }
        // The plugin computes its indicators from its own fields only.
        if plugin.is_some_and(|pl| pl.manifest().fields.iter().any(|f| &f.key == key)) {
            record.push(wit::FieldValue {
                key: key.clone(),
                value,
            });
        }
    }
    if let (Some(plugin), Some(v)) = (plugin, vintage) {
        match plugin.compute_indicators(v, &record) {
            Ok(computed) => {
                for c in computed {
                    if let Some(i) = vars.iter().position(|x| x.indicator && x.key == c.key) {
                        values[i] = if c.value.is_finite() {
                            c.value
                        } else {
                            f64::NAN
                        };
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, object = p.id, "indicators not computed for the map")
            }
        }
    }
    let address = [
        p.street.as_deref(),
        p.postcode.as_deref(),
        p.city.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    MapPlace {
        search: search_text(&[&p.name, &p.identifier, &address]),
        id: p.id,
        ty: u16::try_from(ty).unwrap_or(u16::MAX),
        object_type: p.object_type,
        name: p.name,
        identifier: p.identifier,
        address,
        city: p.city,
        position: p.latitude.zip(p.longitude),
        possibly_closed: p.possibly_closed,
        vintage: vintage.map(str::to_owned),
        values,
        statuses,
    }
}
