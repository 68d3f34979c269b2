//! Where OSM and the official data disagree, as a list for people to check: CSV for a
//! spreadsheet, GeoJSON for a MapRoulette challenge (one feature per task).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::POSITION_TOLERANCE_M;
use crate::extract::{Element, ElementRef, Extract};
use crate::matching::{LinkedPair, Place, distance_m, position, same_name};
use crate::profile::{Profile, normalise_reference};

/// The kinds of disagreement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiscrepancyKind {
    /// An official place no OSM element is linked to (nor proposed for).
    #[default]
    MissingInOsm,
    /// An OSM element whose reference tag names no place of the official referential.
    UnknownReference,
    /// A linked element's `name` differs from the official name.
    NameDiffers,
    /// A linked element lies more than 50 m from the official position.
    PositionDiffers,
    /// A linked element's tag says what the official data contradicts.
    TagContradicts,
}

impl DiscrepancyKind {
    /// Stable snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingInOsm => "missing_in_osm",
            Self::UnknownReference => "unknown_reference",
            Self::NameDiffers => "name_differs",
            Self::PositionDiffers => "position_differs",
            Self::TagContradicts => "tag_contradicts",
        }
    }
}

/// One disagreement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Discrepancy {
    /// What kind.
    pub kind: DiscrepancyKind,
    /// The place, when one is concerned.
    pub place: Option<i64>,
    /// Its official identifier.
    pub identifier: Option<String>,
    /// Its official name.
    pub name: Option<String>,
    /// The OSM element, when one is concerned.
    pub element: Option<ElementRef>,
    /// Where to look: the element's position, else the place's.
    pub lat: Option<f64>,
    /// See `lat`.
    pub lon: Option<f64>,
    /// The tag concerned (`name`, `operator:type`…).
    pub tag: Option<String>,
    /// What OSM says.
    pub osm_value: Option<String>,
    /// What the official data says.
    pub official_value: Option<String>,
    /// Distance between the two positions, in metres.
    pub distance_m: Option<f64>,
}

impl Discrepancy {
    /// What a mapper should do, in French then in English.
    pub fn instruction(&self) -> (String, String) {
        let name = self.name.clone().unwrap_or_default();
        let id = self.identifier.clone().unwrap_or_default();
        let el = self.element.map(|e| e.to_string()).unwrap_or_default();
        let tag = self.tag.clone().unwrap_or_default();
        let osm = self.osm_value.clone().unwrap_or_default();
        let official = self.official_value.clone().unwrap_or_default();
        let d = self
            .distance_m
            .map(|d| format!("{d:.0}"))
            .unwrap_or_default();
        match self.kind {
            DiscrepancyKind::MissingInOsm => (
                format!(
                    "« {name} » ({id}) n'est pas dans OpenStreetMap : ajoutez-le ici, avec son ref:UAI, si vous le voyez sur place ou sur l'imagerie."
                ),
                format!(
                    "“{name}” ({id}) is not in OpenStreetMap: add it here, with its ref:UAI, if you can see it on the ground or on imagery."
                ),
            ),
            DiscrepancyKind::UnknownReference => (
                format!(
                    "{el} porte la référence « {osm} » que le référentiel officiel ne connaît pas : vérifiez-la (faute de frappe, établissement fermé ?)."
                ),
                format!(
                    "{el} carries the reference “{osm}”, unknown to the official referential: check it (typo, closed establishment?)."
                ),
            ),
            DiscrepancyKind::NameDiffers => (
                format!(
                    "Le nom de {el} (« {osm} ») diffère du nom officiel « {official} » : gardez le nom d'usage s'il est affiché sur place."
                ),
                format!(
                    "The name of {el} (“{osm}”) differs from the official name “{official}”: keep the name in use if it is the one displayed on site."
                ),
            ),
            DiscrepancyKind::PositionDiffers => (
                format!(
                    "{el} est à {d} m de la position officielle de « {name} » : vérifiez lequel est au bon endroit."
                ),
                format!(
                    "{el} is {d} m from the official position of “{name}”: check which one is in the right place."
                ),
            ),
            DiscrepancyKind::TagContradicts => (
                format!(
                    "Sur {el}, {tag}={osm} alors que les données officielles de « {name} » disent {tag}={official} : corrigez si c'est bien le cas."
                ),
                format!(
                    "On {el}, {tag}={osm} while the official data of “{name}” say {tag}={official}: correct it if so."
                ),
            ),
        }
    }
}

/// A tag the official data implies: its expected value, and whether an OSM value agrees.
struct Expected {
    tag: &'static str,
    value: String,
    agrees: fn(&str, &str) -> bool,
}

/// The tag checks of a type, kept few: for schools, `operator:type` from the `sector` fact
/// and `isced:level` from the `nature` fact.
fn expected_tags(profile: &Profile, place: &Place) -> Vec<Expected> {
    let mut out = Vec::new();
    if profile.type_key != "schools" {
        return out;
    }
    match place.facts.get("sector").map(String::as_str) {
        Some("public") => out.push(Expected {
            tag: "operator:type",
            value: "public".into(),
            agrees: |osm, _| osm == "public",
        }),
        Some("private") => out.push(Expected {
            tag: "operator:type",
            value: "private".into(),
            // `private_non_profit`, `private;religious`… are private too.
            agrees: |osm, _| osm.starts_with("private") || osm == "religious",
        }),
        _ => {}
    }
    let level = match place.facts.get("nature").map(String::as_str) {
        Some("101") => Some("0"),
        Some("151") => Some("1"),
        Some("340") => Some("2"),
        _ => None,
    };
    if let Some(level) = level {
        out.push(Expected {
            tag: "isced:level",
            value: level.into(),
            // A primary school may say `0;1`: it agrees as long as the level is among them.
            agrees: |osm, want| osm.split([';', ',']).any(|l| l.trim() == want),
        });
    }
    out
}

/// Every disagreement between the places and the extract, given the confirmed links
/// (`linked`) and the places with a pending proposal (`proposed`, not reported missing).
pub fn discrepancies(
    profile: &Profile,
    places: &[Place],
    extract: &Extract,
    linked: &[LinkedPair],
    proposed: &HashSet<i64>,
) -> Vec<Discrepancy> {
    let mut out = Vec::new();
    let by_id: HashMap<i64, &Place> = places.iter().map(|p| (p.id, p)).collect();
    let known: HashSet<String> = places
        .iter()
        .map(|p| normalise_reference(&p.identifier))
        .collect();
    let with_link: HashSet<i64> = linked.iter().map(|l| l.place).collect();
    for p in places {
        if !with_link.contains(&p.id) && !proposed.contains(&p.id) {
            out.push(Discrepancy {
                kind: DiscrepancyKind::MissingInOsm,
                place: Some(p.id),
                identifier: Some(p.identifier.clone()),
                name: Some(p.name.clone()),
                lat: p.lat,
                lon: p.lon,
                ..Discrepancy::default()
            });
        }
    }
    for e in &extract.elements {
        let Some(r) = e.tag(profile.reference_tag) else {
            continue;
        };
        for r in r.split(';') {
            if !known.contains(&normalise_reference(r)) {
                out.push(on_element(e, DiscrepancyKind::UnknownReference, |d| {
                    d.tag = Some(profile.reference_tag.into());
                    d.osm_value = Some(r.trim().into());
                }));
            }
        }
    }
    for l in linked {
        let (Some(p), Some(e)) = (by_id.get(&l.place), extract.get(l.element)) else {
            continue;
        };
        let about = |d: &mut Discrepancy| {
            d.place = Some(p.id);
            d.identifier = Some(p.identifier.clone());
            d.name = Some(p.name.clone());
        };
        if let Some(n) = e.tag("name")
            && !same_name(n, &p.name)
        {
            out.push(on_element(e, DiscrepancyKind::NameDiffers, |d| {
                about(d);
                d.tag = Some("name".into());
                d.osm_value = Some(n.into());
                d.official_value = Some(p.name.clone());
            }));
        }
        if let Some(dist) = position(p).zip(e.position()).map(|(a, b)| distance_m(a, b))
            && dist > POSITION_TOLERANCE_M
        {
            out.push(on_element(e, DiscrepancyKind::PositionDiffers, |d| {
                about(d);
                d.distance_m = Some(dist);
            }));
        }
        for x in expected_tags(profile, p) {
            if let Some(v) = e.tag(x.tag)
                && !(x.agrees)(v, &x.value)
            {
                out.push(on_element(e, DiscrepancyKind::TagContradicts, |d| {
                    about(d);
                    d.tag = Some(x.tag.into());
                    d.osm_value = Some(v.into());
                    d.official_value = Some(x.value.clone());
                }));
            }
        }
    }
    out
}

fn on_element(
    e: &Element,
    kind: DiscrepancyKind,
    fill: impl FnOnce(&mut Discrepancy),
) -> Discrepancy {
    let mut d = Discrepancy {
        kind,
        element: Some(e.at),
        lat: e.lat,
        lon: e.lon,
        ..Discrepancy::default()
    };
    fill(&mut d);
    d
}

/// The report as CSV (comma-separated, header row, UTF-8).
pub fn report_csv(items: &[Discrepancy]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "kind",
        "object_id",
        "identifier",
        "name",
        "osm_element",
        "tag",
        "osm_value",
        "official_value",
        "distance_m",
        "latitude",
        "longitude",
        "instruction_fr",
        "instruction_en",
    ])?;
    for d in items {
        let (fr, en) = d.instruction();
        w.write_record([
            d.kind.as_str().to_owned(),
            d.place.map(|p| p.to_string()).unwrap_or_default(),
            d.identifier.clone().unwrap_or_default(),
            d.name.clone().unwrap_or_default(),
            d.element.map(|e| e.to_string()).unwrap_or_default(),
            d.tag.clone().unwrap_or_default(),
            d.osm_value.clone().unwrap_or_default(),
            d.official_value.clone().unwrap_or_default(),
            d.distance_m.map(|v| format!("{v:.1}")).unwrap_or_default(),
            d.lat.map(|v| v.to_string()).unwrap_or_default(),
            d.lon.map(|v| v.to_string()).unwrap_or_default(),
            fr,
            en,
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// The report as a GeoJSON FeatureCollection for a MapRoulette challenge: one Point feature
/// per task (disagreements without a position are left out), its `instruction` in French then
/// English, and the OSM element in `@id` (`node/123`) as MapRoulette expects.
pub fn report_geojson(items: &[Discrepancy]) -> Value {
    let features: Vec<Value> = items
        .iter()
        .filter_map(|d| {
            let (lat, lon) = (d.lat?, d.lon?);
            let (fr, en) = d.instruction();
            Some(json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "@id": d.element.map(|e| e.to_string()),
                    "kind": d.kind.as_str(),
                    "object_id": d.place,
                    "identifier": d.identifier,
                    "name": d.name,
                    "tag": d.tag,
                    "osm_value": d.osm_value,
                    "official_value": d.official_value,
                    "distance_m": d.distance_m.map(|v| (v * 10.0).round() / 10.0),
                    "instruction": format!("{fr}\n\n{en}"),
                    "instruction_fr": fr,
                    "instruction_en": en,
                },
            }))
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ElementType, parse_overpass_json, profile};

    fn school(
        id: i64,
        uai: &str,
        name: &str,
        lat: f64,
        lon: f64,
        sector: &str,
        nature: &str,
    ) -> Place {
        Place {
            id,
            identifier: uai.into(),
            name: name.into(),
            lat: Some(lat),
            lon: Some(lon),
            facts: [
                ("sector".into(), sector.into()),
                ("nature".into(), nature.into()),
            ]
            .into(),
        }
    }

    #[test]
    fn finds_every_kind_of_disagreement() -> Result<(), Box<dyn std::error::Error>> {
        let x = parse_overpass_json(
            r#"{"elements":[
              {"type":"node","id":1,"lat":43.2391,"lon":5.4331,"tags":{"amenity":"school","ref:UAI":"0139901S","name":"Les Calanques","operator:type":"private","isced:level":"1"}},
              {"type":"node","id":2,"lat":43.298,"lon":5.369,"tags":{"amenity":"school","ref:UAI":"0139902T","name":"École élémentaire Vieux Port","isced:level":"0;1"}},
              {"type":"node","id":9,"lat":43.25,"lon":5.4,"tags":{"amenity":"school","ref:UAI":"0139999Z"}}
            ]}"#.as_bytes(),
        )?;
        let p = profile("schools").ok_or("no profile")?;
        let places = [
            school(
                10,
                "0139901S",
                "École élémentaire Les Calanques",
                43.239,
                5.433,
                "public",
                "151",
            ),
            school(
                11,
                "0139902T",
                "École élémentaire Vieux Port",
                43.2975,
                5.369,
                "public",
                "151",
            ),
            school(
                12,
                "0139903U",
                "École maternelle Belle de Mai",
                43.3125,
                5.387,
                "public",
                "101",
            ),
            school(
                13,
                "0139904V",
                "École maternelle Proposée",
                43.31,
                5.38,
                "public",
                "101",
            ),
        ];
        let node = |id| ElementRef {
            kind: ElementType::Node,
            id,
        };
        let linked = [
            LinkedPair {
                place: 10,
                element: node(1),
            },
            LinkedPair {
                place: 11,
                element: node(2),
            },
        ];
        let d = discrepancies(p, &places, &x, &linked, &[13].into());
        let kinds: Vec<(DiscrepancyKind, Option<i64>, Option<String>)> =
            d.iter().map(|d| (d.kind, d.place, d.tag.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (DiscrepancyKind::MissingInOsm, Some(12), None),
                (
                    DiscrepancyKind::UnknownReference,
                    None,
                    Some("ref:UAI".into())
                ),
                (DiscrepancyKind::NameDiffers, Some(10), Some("name".into())),
                (
                    DiscrepancyKind::TagContradicts,
                    Some(10),
                    Some("operator:type".into())
                ),
                (DiscrepancyKind::PositionDiffers, Some(11), None),
            ]
        );
        assert_eq!(d[3].osm_value.as_deref(), Some("private"));
        assert_eq!(d[3].official_value.as_deref(), Some("public"));
        assert!(d[4].distance_m.is_some_and(|m| m > 50.0 && m < 70.0));

        let csv = String::from_utf8(report_csv(&d)?)?;
        assert_eq!(csv.lines().count(), 6);
        assert!(csv.starts_with("kind,object_id,identifier"));
        let geo = report_geojson(&d);
        assert_eq!(geo["type"], "FeatureCollection");
        assert_eq!(geo["features"].as_array().map(Vec::len), Some(5));
        assert_eq!(geo["features"][1]["properties"]["@id"], "node/9");
        let instruction = geo["features"][0]["properties"]["instruction"]
            .as_str()
            .unwrap_or_default();
        assert!(
            instruction.contains("n'est pas dans OpenStreetMap")
                && instruction.contains("is not in OpenStreetMap")
        );
        Ok(())
    }
}
