//! Reading an OpenStreetMap extract: Overpass JSON (`[out:json]`, with `out center;`, `out geom;`
//! or `out body;` for nodes).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::OsmError;

/// The three kinds of OSM element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ElementType {
    /// A point.
    Node,
    /// A line or an area drawn by nodes.
    Way,
    /// A group of elements (e.g. a multipolygon).
    Relation,
}

impl ElementType {
    /// The word OSM uses (`node`, `way`, `relation`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Node => "node",
            Self::Way => "way",
            Self::Relation => "relation",
        }
    }

    /// Reads the word OSM uses.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "node" => Some(Self::Node),
            "way" => Some(Self::Way),
            "relation" => Some(Self::Relation),
            _ => None,
        }
    }
}

/// Which element: its type and id (ids are unique per type only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ElementRef {
    /// Node, way or relation.
    pub kind: ElementType,
    /// Its OSM id.
    pub id: i64,
}

impl fmt::Display for ElementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.as_str(), self.id)
    }
}

/// A member of a relation, kept to write the relation back unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Its type.
    pub kind: ElementType,
    /// Its id.
    pub id: i64,
    /// Its role (`outer`, `inner`…).
    pub role: String,
}

/// One element of an extract.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// Which element.
    pub at: ElementRef,
    /// Its position: the node itself, the way's or relation's `center`, or the mean of a
    /// way's `geometry`.
    pub lat: Option<f64>,
    /// See `lat`.
    pub lon: Option<f64>,
    /// Its version, when the extract gave it (`out meta;`): an osmChange needs it.
    pub version: Option<i64>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// A way's nodes, when the extract gave them (`out body;`/`out geom;`).
    pub nodes: Option<Vec<i64>>,
    /// A relation's members, when the extract gave them.
    pub members: Option<Vec<Member>>,
}

impl Element {
    /// Its position, when known.
    pub fn position(&self) -> Option<(f64, f64)> {
        Some((self.lat?, self.lon?))
    }

    /// A tag's value.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }
}

/// A whole extract.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extract {
    /// Its elements, in the file's order.
    pub elements: Vec<Element>,
}

impl Extract {
    /// One element.
    pub fn get(&self, at: ElementRef) -> Option<&Element> {
        self.elements.iter().find(|e| e.at == at)
    }
}

#[derive(Deserialize)]
struct RawExtract {
    elements: Vec<RawElement>,
}

#[derive(Deserialize)]
struct LatLon {
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
struct RawMember {
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "ref")]
    id: i64,
    #[serde(default)]
    role: String,
}

#[derive(Deserialize)]
struct RawElement {
    #[serde(rename = "type")]
    kind: String,
    id: i64,
    lat: Option<f64>,
    lon: Option<f64>,
    version: Option<i64>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    center: Option<LatLon>,
    geometry: Option<Vec<Option<LatLon>>>,
    nodes: Option<Vec<i64>>,
    members: Option<Vec<RawMember>>,
}

/// Reads an Overpass JSON extract. Elements of other types (`area`, `count`…) are skipped;
/// nodes without a position and elements without tags are kept (they may be a way's nodes).
pub fn parse_overpass_json(bytes: &[u8]) -> Result<Extract, OsmError> {
    let raw: RawExtract =
        serde_json::from_slice(bytes).map_err(|e| OsmError::NotOverpassJson(e.to_string()))?;
    let mut elements = Vec::with_capacity(raw.elements.len());
    for e in raw.elements {
        let Some(kind) = ElementType::parse(&e.kind) else {
            continue;
        };
        let (lat, lon) = match (e.lat, e.lon, &e.center, &e.geometry) {
            (Some(lat), Some(lon), _, _) => (Some(lat), Some(lon)),
            (_, _, Some(c), _) => (Some(c.lat), Some(c.lon)),
            (_, _, None, Some(points)) => {
                let points: Vec<&LatLon> = points.iter().flatten().collect();
                if points.is_empty() {
                    (None, None)
                } else {
                    let n = points.len() as f64;
                    (
                        Some(points.iter().map(|p| p.lat).sum::<f64>() / n),
                        Some(points.iter().map(|p| p.lon).sum::<f64>() / n),
                    )
                }
            }
            _ => (None, None),
        };
        if let (Some(lat), Some(lon)) = (lat, lon)
            && (!(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon))
        {
            return Err(OsmError::BadPosition {
                element: format!("{}/{}", e.kind, e.id),
            });
        }
        let members = e.members.map(|ms| {
            ms.into_iter()
                .filter_map(|m| {
                    Some(Member {
                        kind: ElementType::parse(&m.kind)?,
                        id: m.id,
                        role: m.role,
                    })
                })
                .collect()
        });
        elements.push(Element {
            at: ElementRef { kind, id: e.id },
            lat,
            lon,
            version: e.version,
            tags: e.tags,
            nodes: e.nodes,
            members,
        });
    }
    Ok(Extract { elements })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nodes_ways_with_center_or_geometry_and_relations() -> Result<(), OsmError> {
        let x = parse_overpass_json(
            br#"{"version":0.6,"elements":[
              {"type":"node","id":1,"lat":43.3,"lon":5.4,"version":3,"tags":{"amenity":"school"}},
              {"type":"way","id":2,"center":{"lat":43.1,"lon":5.1},"nodes":[5,6,7,5],"tags":{"name":"A"}},
              {"type":"way","id":3,"geometry":[{"lat":43.0,"lon":5.0},{"lat":43.2,"lon":5.2}]},
              {"type":"relation","id":4,"center":{"lat":43.5,"lon":5.5},
               "members":[{"type":"way","ref":2,"role":"outer"}]},
              {"type":"area","id":3600000001}
            ]}"#,
        )?;
        assert_eq!(x.elements.len(), 4);
        assert_eq!(x.elements[0].version, Some(3));
        assert_eq!(x.elements[0].tag("amenity"), Some("school"));
        assert_eq!(x.elements[1].position(), Some((43.1, 5.1)));
        assert_eq!(x.elements[1].nodes.as_deref(), Some(&[5, 6, 7, 5][..]));
        let (lat, lon) = x.elements[2].position().ok_or(OsmError::Empty)?;
        assert!((lat - 43.1).abs() < 1e-9 && (lon - 5.1).abs() < 1e-9);
        assert_eq!(x.elements[3].at.to_string(), "relation/4");
        assert_eq!(x.elements[3].members.as_ref().map(Vec::len), Some(1));
        Ok(())
    }

    #[test]
    fn refuses_what_is_not_overpass_json() {
        let e = parse_overpass_json(b"<osm version=\"0.6\"/>");
        assert!(matches!(e, Err(OsmError::NotOverpassJson(_))));
        let e = parse_overpass_json(br#"{"nodes":[]}"#);
        assert!(matches!(e, Err(OsmError::NotOverpassJson(_))));
        let e = parse_overpass_json(br#"{"elements":[{"type":"node","id":1,"lat":143,"lon":5}]}"#);
        assert!(matches!(e, Err(OsmError::BadPosition { .. })));
    }
}
