//! Uploaded SVG images (a badge's visual), made safe before they are kept: the document is
//! parsed and written again keeping only drawing elements and presentation attributes. No
//! script, style sheet, event attribute, link, embedded image or external reference
//! survives (a `url(…)` may only point inside the image, `url(#id)`), and the result is
//! always served as an image, never as a page.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The largest SVG accepted.
pub const MAX_SVG_BYTES: usize = 100 * 1024;

const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "path",
    "circle",
    "ellipse",
    "rect",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "title",
    "desc",
    "defs",
    "lineargradient",
    "radialgradient",
    "stop",
    "clippath",
];

const ATTRIBUTES: &[&str] = &[
    "id",
    "viewbox",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "d",
    "points",
    "fill",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-dasharray",
    "stroke-miterlimit",
    "opacity",
    "fill-opacity",
    "stroke-opacity",
    "fill-rule",
    "clip-rule",
    "clip-path",
    "transform",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientunits",
    "gradienttransform",
    "font-size",
    "font-family",
    "font-weight",
    "text-anchor",
    "dominant-baseline",
    "preserveaspectratio",
];

/// Why an SVG was refused.
#[derive(Debug, thiserror::Error)]
pub enum SvgError {
    /// Too big.
    #[error("an SVG is {} KiB at most", MAX_SVG_BYTES / 1024)]
    TooLarge,
    /// Not an SVG document.
    #[error("not an SVG image: {0}")]
    NotSvg(String),
}

/// A value is kept unless it could reach outside the image or run something.
fn safe_value(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if lower.contains("javascript:") || lower.contains("expression(") || lower.contains('<') {
        return false;
    }
    // Every url( must be url(#…).
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("url(") {
        let after = rest[at + 4..].trim_start_matches([' ', '\'', '"']);
        if !after.starts_with('#') {
            return false;
        }
        rest = &rest[at + 4..];
    }
    true
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes an element's start tag keeping only allowed attributes.
fn start_tag(e: &BytesStart<'_>, name: &str, root: bool) -> Result<String, SvgError> {
    let mut out = format!("<{name}");
    if root {
        out.push_str(" xmlns=\"http://www.w3.org/2000/svg\"");
    }
    for attr in e.attributes() {
        let attr = attr.map_err(|e| SvgError::NotSvg(e.to_string()))?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).to_ascii_lowercase();
        if !ATTRIBUTES.contains(&key.as_str()) {
            continue;
        }
        let value = attr
            .unescape_value()
            .map_err(|e| SvgError::NotSvg(e.to_string()))?;
        if !safe_value(&value) {
            continue;
        }
        // SVG is case-sensitive: write the attribute as it came.
        let original = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        out.push_str(&format!(" {original}=\"{}\"", escape(&value)));
    }
    Ok(out)
}

/// Parses an SVG and writes it back with only what is safe (see the module).
pub fn sanitize(bytes: &[u8]) -> Result<String, SvgError> {
    if bytes.len() > MAX_SVG_BYTES {
        return Err(SvgError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| SvgError::NotSvg("not UTF-8".into()))?;
    let mut reader = Reader::from_str(text);
    let mut out = String::new();
    // Open kept elements; `skip` > 0 while inside a dropped one.
    let mut open: Vec<String> = Vec::new();
    let mut skip = 0usize;
    let mut seen_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| SvgError::NotSvg(e.to_string()))?;
        let (element, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) if skip > 0 => {
                skip -= 1;
                continue;
            }
            Event::End(_) => {
                if let Some(name) = open.pop() {
                    out.push_str(&format!("</{name}>"));
                }
                continue;
            }
            Event::Text(t) if skip == 0 && !open.is_empty() => {
                let t = t.unescape().map_err(|e| SvgError::NotSvg(e.to_string()))?;
                out.push_str(&escape(&t));
                continue;
            }
            Event::Eof => break,
            // Comments, CDATA (style or script bodies), processing instructions, doctypes.
            _ => continue,
        };
        let name = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
        let kept = ELEMENTS.contains(&name.to_ascii_lowercase().as_str());
        if skip > 0 || !kept {
            // A dropped element goes with everything inside it.
            if !empty {
                skip += 1;
            }
            continue;
        }
        let root = open.is_empty();
        if root && (seen_root || !name.eq_ignore_ascii_case("svg")) {
            return Err(SvgError::NotSvg(
                "the document must be one <svg> element".into(),
            ));
        }
        seen_root = true;
        if open.len() > 50 {
            return Err(SvgError::NotSvg("elements nested too deep".into()));
        }
        out.push_str(&start_tag(&element, &name, root)?);
        if empty {
            out.push_str("/>");
        } else {
            out.push('>');
            open.push(name);
        }
    }
    if !seen_root || !open.is_empty() {
        return Err(SvgError::NotSvg("no complete <svg> element".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawing_is_kept_and_everything_active_dropped() {
        let svg = br##"<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY x "y">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10" onload="alert(1)">
  <script>alert(1)</script>
  <style>@import url(http://evil.example/x.css);</style>
  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
  <a xlink:href="javascript:alert(1)"><circle r="3"/></a>
  <image href="http://evil.example/track.png"/>
  <use href="http://evil.example/s.svg#x"/>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#fc0"/></linearGradient></defs>
  <circle cx="5" cy="5" r="4" fill="url(#g)" onclick="x()" style="fill:url(http://evil.example)"/>
  <rect width="2" height="2" fill="url(http://evil.example/p)"/>
  <text x="1" y="9">5 &lt; 6</text>
</svg>"##;
        let out = sanitize(svg).unwrap();
        for bad in [
            "script",
            "alert",
            "style",
            "evil",
            "onload",
            "onclick",
            "foreignObject",
            "href",
            "image",
            "<use",
            "<a",
            "ENTITY",
            "xlink",
        ] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        assert!(
            out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">")
        );
        assert!(out.contains("<circle cx=\"5\" cy=\"5\" r=\"4\" fill=\"url(#g)\""));
        assert!(out.contains("<stop offset=\"0\" stop-color=\"#fc0\""));
        assert!(out.contains("5 &lt; 6"));
        assert!(out.ends_with("</svg>"));
    }

    #[test]
    fn non_svg_is_refused() {
        assert!(sanitize(b"<html><body/></html>").is_err());
        assert!(sanitize(b"not xml at all <").is_err());
        assert!(sanitize(b"").is_err());
        assert!(sanitize(&vec![b' '; MAX_SVG_BYTES + 1]).is_err());
        assert!(sanitize(b"<svg><svg/></svg><svg/>").is_err());
    }
}
