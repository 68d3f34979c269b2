//! Linking places to OSM elements: by the reference tag first, else by name and distance as
//! a proposal for a Garant.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::PROPOSAL_DISTANCE_M;
use crate::extract::{ElementRef, Extract};
use crate::profile::{Profile, normalise_reference};

/// A collective's place, as the matching and the report need it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Place {
    /// The object's id.
    pub id: i64,
    /// Its official identifier (a UAI for schools).
    pub identifier: String,
    /// Its official name.
    pub name: String,
    /// WGS84 latitude.
    pub lat: Option<f64>,
    /// WGS84 longitude.
    pub lon: Option<f64>,
    /// Official facts the tag checks read, by field key (`sector` → `public`, `nature` →
    /// `151`).
    pub facts: HashMap<String, String>,
}

/// How a link was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// The element carries the type's reference tag equal to the place's identifier.
    Reference,
    /// A similar name within 100 m: a proposal.
    Proximity,
}

impl MatchKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reference => "reference",
            Self::Proximity => "proximity",
        }
    }
}

/// One link found in an extract.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The object's id.
    pub place: i64,
    /// The element.
    pub element: ElementRef,
    /// How it was found.
    pub kind: MatchKind,
    /// Distance between the two positions, in metres, when both are known.
    pub distance_m: Option<f64>,
}

/// A confirmed link, as the report reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkedPair {
    /// The object's id.
    pub place: i64,
    /// The element.
    pub element: ElementRef,
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_008.8;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

fn fold(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' => 'i',
        'ô' | 'ö' => 'o',
        'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ÿ' => 'y',
        c => c,
    }
}

fn folded(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(fold)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect()
}

/// Words that say what a place is rather than which one it is.
const GENERIC: &[&str] = &[
    "ecole",
    "elementaire",
    "maternelle",
    "primaire",
    "publique",
    "public",
    "privee",
    "prive",
    "groupe",
    "scolaire",
    "college",
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "l",
    "d",
    "et",
    "demo",
];

fn distinctive_words(s: &str) -> BTreeSet<String> {
    folded(s)
        .split_whitespace()
        .filter(|w| !GENERIC.contains(w))
        .map(str::to_owned)
        .collect()
}

/// Whether two names are the same once case, accents, spaces and punctuation are set aside.
pub fn same_name(a: &str, b: &str) -> bool {
    let a: Vec<String> = folded(a).split_whitespace().map(str::to_owned).collect();
    let b: Vec<String> = folded(b).split_whitespace().map(str::to_owned).collect();
    a == b
}

/// Whether two names likely name the same place: their distinctive words (not "école",
/// "maternelle"…) overlap by at least half (Jaccard index ≥ 0.5).
pub fn similar_names(a: &str, b: &str) -> bool {
    let (a, b) = (distinctive_words(a), distinctive_words(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let common = a.intersection(&b).count() as f64;
    let all = a.union(&b).count() as f64;
    common / all >= 0.5
}

/// Links the places to the extract's elements: every element whose reference tag equals a
/// place's identifier (normalised) is a link by reference; a place left without one gets, as
/// a proposal, the nearest element of its kind without a reference tag, with a similar name,
/// less than [`PROPOSAL_DISTANCE_M`] away. An element is proposed for one place at most.
pub fn match_places(profile: &Profile, places: &[Place], extract: &Extract) -> Vec<Match> {
    let mut by_reference: HashMap<String, Vec<&crate::Element>> = HashMap::new();
    for e in &extract.elements {
        if let Some(r) = e.tag(profile.reference_tag) {
            // A tag may hold several identifiers (`0139901S;0139902T`).
            for r in r.split(';') {
                by_reference
                    .entry(normalise_reference(r))
                    .or_default()
                    .push(e);
            }
        }
    }
    let mut matches = Vec::new();
    let mut proposed: HashSet<ElementRef> = HashSet::new();
    let mut unmatched = Vec::new();
    for p in places {
        let found = by_reference
            .get(&normalise_reference(&p.identifier))
            .map(Vec::as_slice)
            .unwrap_or_default();
        if found.is_empty() {
            unmatched.push(p);
        }
        for e in found {
            matches.push(Match {
                place: p.id,
                element: e.at,
                kind: MatchKind::Reference,
                distance_m: position(p).zip(e.position()).map(|(a, b)| distance_m(a, b)),
            });
        }
    }
    for p in unmatched {
        let Some(at) = position(p) else { continue };
        let best = extract
            .elements
            .iter()
            .filter(|e| profile.describes(&e.tags) && e.tag(profile.reference_tag).is_none())
            .filter(|e| !proposed.contains(&e.at))
            .filter(|e| e.tag("name").is_some_and(|n| similar_names(n, &p.name)))
            .filter_map(|e| Some((e, distance_m(at, e.position()?))))
            .filter(|(_, d)| *d < PROPOSAL_DISTANCE_M)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((e, d)) = best {
            proposed.insert(e.at);
            matches.push(Match {
                place: p.id,
                element: e.at,
                kind: MatchKind::Proximity,
                distance_m: Some(d),
            });
        }
    }
    matches
}

pub(crate) fn position(p: &Place) -> Option<(f64, f64)> {
    Some((p.lat?, p.lon?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_overpass_json;
    use crate::profile::profile;

    fn place(id: i64, uai: &str, name: &str, lat: f64, lon: f64) -> Place {
        Place {
            id,
            identifier: uai.into(),
            name: name.into(),
            lat: Some(lat),
            lon: Some(lon),
            facts: HashMap::new(),
        }
    }

    #[test]
    fn a_hundred_metres_is_about_a_thousandth_of_a_degree_of_latitude() {
        let d = distance_m((43.3, 5.4), (43.3009, 5.4));
        assert!((d - 100.0).abs() < 1.0, "{d}");
    }

    #[test]
    fn names_are_compared_without_case_accents_or_generic_words() {
        assert!(same_name(
            "École élémentaire Les Calanques",
            "ecole elementaire les  calanques"
        ));
        assert!(!same_name("École Les Calanques", "École des Calanques"));
        assert!(similar_names(
            "École maternelle Belle de Mai (démo)",
            "Maternelle Belle-de-Mai"
        ));
        assert!(!similar_names("École Belle de Mai", "École Vieux Port"));
        assert!(!similar_names("École maternelle", "École élémentaire"));
    }

    #[test]
    fn links_by_reference_then_proposes_by_name_and_distance() -> Result<(), crate::OsmError> {
        let x = parse_overpass_json(
            r#"{"elements":[
              {"type":"node","id":1,"lat":43.2391,"lon":5.4331,"tags":{"amenity":"school","ref:UAI":"0139901s"}},
              {"type":"way","id":2,"center":{"lat":43.2976,"lon":5.3691},"tags":{"amenity":"school","name":"École Vieux-Port"}},
              {"type":"node","id":3,"lat":43.3125,"lon":5.387,"tags":{"amenity":"school","name":"École Belle de Mai"}},
              {"type":"node","id":4,"lat":43.2976,"lon":5.3691,"tags":{"shop":"bakery","name":"Vieux Port"}}
            ]}"#.as_bytes(),
        )?;
        let p = profile("schools").ok_or(crate::OsmError::Empty)?;
        let places = [
            place(
                10,
                "0139901S",
                "École élémentaire Les Calanques",
                43.239,
                5.433,
            ),
            place(
                11,
                "0139902T",
                "École élémentaire Vieux Port",
                43.2975,
                5.369,
            ),
            // 2 km away from node 3: no proposal.
            place(
                12,
                "0139903U",
                "École maternelle Belle de Mai",
                43.33,
                5.387,
            ),
        ];
        let m = match_places(p, &places, &x);
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(
            (m[0].place, m[0].element.to_string(), m[0].kind),
            (10, "node/1".into(), MatchKind::Reference)
        );
        assert_eq!(
            (m[1].place, m[1].element.to_string(), m[1].kind),
            (11, "way/2".into(), MatchKind::Proximity)
        );
        assert!(m[1].distance_m.is_some_and(|d| d < 20.0));
        Ok(())
    }
}
