//! The reviewed tag corrections as an osmChange file (API 0.6), for a human to open in JOSM,
//! check and upload under their own account. Vigie never uploads anything itself (OSM's
//! automated-edits policy).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quick_xml::escape::escape;

use crate::extract::{ElementRef, ElementType, Extract};

/// One tag a Garant accepted to change on one element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCorrection {
    /// The element.
    pub element: ElementRef,
    /// The tag.
    pub tag: String,
    /// Its new value.
    pub value: String,
}

/// A correction left out of the file, and why (in French then English).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedCorrection {
    /// The correction.
    pub correction: TagCorrection,
    /// Why.
    pub reason: &'static str,
}

/// Writes the corrections as `<osmChange version="0.6" generator="Vigie">` with one `<modify>`
/// per element: the element as the extract gave it (position, way nodes, relation members,
/// every tag, and its `version` when the extract had it) with only the corrected tags changed.
/// A way without its nodes or a relation without its members cannot be written without
/// destroying its shape: such corrections are skipped and returned.
pub fn osmchange(
    extract: &Extract,
    corrections: &[TagCorrection],
) -> (String, Vec<SkippedCorrection>) {
    let mut by_element: BTreeMap<ElementRef, Vec<&TagCorrection>> = BTreeMap::new();
    for c in corrections {
        by_element.entry(c.element).or_default().push(c);
    }
    let mut skipped = Vec::new();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osmChange version=\"0.6\" generator=\"Vigie\">\n  <modify>\n",
    );
    for (at, cs) in by_element {
        let skip = |reason: &'static str, skipped: &mut Vec<SkippedCorrection>| {
            skipped.extend(cs.iter().map(|c| SkippedCorrection {
                correction: (*c).clone(),
                reason,
            }));
        };
        let Some(e) = extract.get(at) else {
            skip("absent de l'extrait / not in the extract", &mut skipped);
            continue;
        };
        let mut tags = e.tags.clone();
        for c in &cs {
            tags.insert(c.tag.clone(), c.value.clone());
        }
        let version = e
            .version
            .map(|v| format!(" version=\"{v}\""))
            .unwrap_or_default();
        let kind = at.kind.as_str();
        let mut body = String::new();
        match at.kind {
            ElementType::Node => {
                let Some((lat, lon)) = e.position() else {
                    skip("nœud sans position / node without a position", &mut skipped);
                    continue;
                };
                let _ = writeln!(
                    xml,
                    "    <node id=\"{}\"{version} lat=\"{lat}\" lon=\"{lon}\">",
                    at.id
                );
            }
            ElementType::Way => {
                let Some(nodes) = &e.nodes else {
                    skip(
                        "chemin sans ses nœuds (out body) / way without its nodes",
                        &mut skipped,
                    );
                    continue;
                };
                let _ = writeln!(xml, "    <way id=\"{}\"{version}>", at.id);
                for n in nodes {
                    let _ = writeln!(body, "      <nd ref=\"{n}\"/>");
                }
            }
            ElementType::Relation => {
                let Some(members) = &e.members else {
                    skip(
                        "relation sans ses membres / relation without its members",
                        &mut skipped,
                    );
                    continue;
                };
                let _ = writeln!(xml, "    <relation id=\"{}\"{version}>", at.id);
                for m in members {
                    let _ = writeln!(
                        body,
                        "      <member type=\"{}\" ref=\"{}\" role=\"{}\"/>",
                        m.kind.as_str(),
                        m.id,
                        escape(m.role.as_str())
                    );
                }
            }
        }
        xml.push_str(&body);
        for (k, v) in &tags {
            let _ = writeln!(
                xml,
                "      <tag k=\"{}\" v=\"{}\"/>",
                escape(k.as_str()),
                escape(v.as_str())
            );
        }
        let _ = writeln!(xml, "    </{kind}>");
    }
    xml.push_str("  </modify>\n</osmChange>\n");
    (xml, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_overpass_json;
    use quick_xml::events::Event;

    #[test]
    fn changes_only_the_reviewed_tags_and_keeps_the_rest() -> Result<(), Box<dyn std::error::Error>>
    {
        let x = parse_overpass_json(
            br#"{"elements":[
              {"type":"node","id":1,"lat":43.2391,"lon":5.4331,"version":4,"tags":{"amenity":"school","operator:type":"private","name":"A & B"}},
              {"type":"way","id":2,"center":{"lat":43.3,"lon":5.4},"nodes":[7,8,9,7],"version":2,"tags":{"amenity":"school"}},
              {"type":"way","id":3,"center":{"lat":43.3,"lon":5.4},"tags":{"amenity":"school"}}
            ]}"#,
        )?;
        let c = |kind, id, tag: &str, value: &str| TagCorrection {
            element: ElementRef { kind, id },
            tag: tag.into(),
            value: value.into(),
        };
        let (xml, skipped) = osmchange(
            &x,
            &[
                c(ElementType::Node, 1, "operator:type", "public"),
                c(ElementType::Way, 2, "isced:level", "0"),
                c(ElementType::Way, 3, "isced:level", "1"),
            ],
        );
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].correction.element.id, 3);

        let mut reader = quick_xml::Reader::from_str(&xml);
        let mut tags = Vec::new();
        let mut elements = Vec::new();
        let mut nds = 0;
        loop {
            match reader.read_event()? {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) => {
                    let name = String::from_utf8(e.name().as_ref().to_vec())?;
                    let attr = |k: &str| -> Option<String> {
                        e.attributes()
                            .flatten()
                            .find(|a| a.key.as_ref() == k.as_bytes())
                            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
                    };
                    match name.as_str() {
                        "osmChange" => assert_eq!(attr("generator").as_deref(), Some("Vigie")),
                        "node" | "way" => {
                            elements.push((name.clone(), attr("id"), attr("version")))
                        }
                        "nd" => nds += 1,
                        "tag" => tags
                            .push((attr("k").unwrap_or_default(), attr("v").unwrap_or_default())),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        assert_eq!(
            elements,
            vec![
                ("node".into(), Some("1".into()), Some("4".into())),
                ("way".into(), Some("2".into()), Some("2".into()))
            ]
        );
        assert_eq!(nds, 4);
        assert!(tags.contains(&("operator:type".into(), "public".into())));
        assert!(tags.contains(&("name".into(), "A & B".into())));
        assert!(tags.contains(&("isced:level".into(), "0".into())));
        assert_eq!(tags.len(), 5);
        Ok(())
    }
}
