//! OpenStreetMap both ways, without IO: read an extract, link a collective's places to OSM
//! elements, list where OSM and the official data disagree, and write the reviewed tag
//! corrections as an osmChange file for a human to load in JOSM (never an automatic upload).
//!
//! The storage, HTTP and CLI edges hand this crate plain values ([`Place`], [`Extract`],
//! [`LinkedPair`]) and get plain values back.

pub mod extract;
pub mod matching;
pub mod osmchange;
pub mod profile;
pub mod report;

pub use extract::{Element, ElementRef, ElementType, Extract, Member, parse_overpass_json};
pub use matching::{LinkedPair, Match, MatchKind, Place, distance_m, match_places, same_name};
pub use osmchange::{SkippedCorrection, TagCorrection, osmchange};
pub use profile::{Profile, normalise_reference, profile};
pub use report::{Discrepancy, DiscrepancyKind, discrepancies, report_csv, report_geojson};

/// Links by name and position are proposed within this distance, in metres.
pub const PROPOSAL_DISTANCE_M: f64 = 100.0;
/// A linked element further than this from the official position is reported, in metres.
pub const POSITION_TOLERANCE_M: f64 = 50.0;

/// What can go wrong reading an extract.
#[derive(Debug, thiserror::Error)]
pub enum OsmError {
    /// The file is not Overpass JSON.
    #[error(
        "the extract is not Overpass JSON ({0}): export it from Overpass with [out:json] and \
         `out center meta;` / l'extrait n'est pas du JSON Overpass : exportez-le avec [out:json]"
    )]
    NotOverpassJson(String),
    /// An element's position is outside the globe.
    #[error("element {element} has a latitude or longitude out of range")]
    BadPosition {
        /// Which element.
        element: String,
    },
    /// Nothing to read.
    #[error("the extract is empty")]
    Empty,
}
