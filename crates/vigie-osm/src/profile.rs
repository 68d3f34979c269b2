//! What OSM calls each type of place: the host-side table, by type key, of the reference tag
//! that carries the official identifier and the tags that say "this is such a place".
//!
//! A table in code rather than in the plugin's WIT interface, for now: adding a type here is
//! one entry; moving it into the plugins' manifest is left for when a second type needs it.

/// How one type of place appears in OSM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// The type's key (`schools`).
    pub type_key: &'static str,
    /// The tag carrying the official identifier (`ref:UAI`).
    pub reference_tag: &'static str,
    /// `key=value` pairs, any of which makes an element a candidate for a link by proximity.
    pub feature_tags: &'static [(&'static str, &'static str)],
}

const PROFILES: &[Profile] = &[Profile {
    type_key: "schools",
    reference_tag: "ref:UAI",
    feature_tags: &[("amenity", "school"), ("amenity", "kindergarten")],
}];

/// The profile of a type, if OSM knows such places.
pub fn profile(type_key: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.type_key == type_key)
}

/// An identifier as the referential writes it: trimmed, without inner spaces, upper case
/// (`0139901s ` and `0139901S` are the same UAI).
pub fn normalise_reference(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

impl Profile {
    /// Whether an element is such a place (by its feature tags or its reference tag).
    pub fn describes(&self, tags: &std::collections::BTreeMap<String, String>) -> bool {
        tags.contains_key(self.reference_tag)
            || self
                .feature_tags
                .iter()
                .any(|(k, v)| tags.get(*k).map(String::as_str) == Some(*v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schools_are_known_by_ref_uai() {
        assert_eq!(profile("schools").map(|p| p.reference_tag), Some("ref:UAI"));
        assert!(profile("benches").is_none());
        assert_eq!(normalise_reference(" 0139901s "), "0139901S");
    }
}
