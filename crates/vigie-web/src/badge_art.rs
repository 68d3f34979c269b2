//! The badge visuals shipped with Vigie ([`vigie_domain::badges::BUNDLED_VISUALS`]): a medal
//! with a symbol, drawn as plain SVG (no script, no external reference).

/// A medal around `symbol` (SVG path data on a 64 × 64 grid), in `color`.
macro_rules! medal {
    ($color:literal, $symbol:literal) => {
        concat!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">"##,
            r##"<circle cx="32" cy="32" r="30" fill=""##, $color, r##""/>"##,
            r##"<circle cx="32" cy="32" r="25" fill="none" stroke="#fff" stroke-width="2" opacity="0.7"/>"##,
            r##"<path d=""##, $symbol, r##"" fill="#fff"/></svg>"##
        )
    };
}

const STAR: &str = medal!(
    "#c98a00",
    "M32 14l5.3 11.2 12.2 1.5-9 8.4 2.3 12.1L32 41.3l-10.8 5.9 2.3-12.1-9-8.4 12.2-1.5z"
);
const SHIELD: &str = medal!(
    "#1f6f8b",
    "M32 14l14 5v10c0 9.5-6 17.5-14 21-8-3.5-14-11.5-14-21V19z"
);
const MEGAPHONE: &str = medal!(
    "#b5462f",
    "M16 28h8l16-9v26l-16-9h-8zM26 37l3 9h-5l-3-9zM43 26h4v12h-4z"
);
const HAND: &str = medal!(
    "#6a4c93",
    "M24 46V29c0-1.7 2.6-1.7 2.6 0v-9c0-1.8 2.8-1.8 2.8 0v-2c0-1.8 2.8-1.8 2.8 0v2c0-1.8 2.8-1.8 2.8 0v4c0-1.8 2.8-1.8 2.8 0v16c0 4-3 6-6 6h-4c-2.5 0-3.8-1-4.8-2z"
);
const CHECK: &str = medal!("#2e7d32", "M18 33l4-4 7 7 15-15 4 4-19 19z");
const PIN: &str = medal!(
    "#00796b",
    "M32 13c-7 0-12 5-12 12 0 9 12 24 12 24s12-15 12-24c0-7-5-12-12-12zm0 7a5 5 0 110 10 5 5 0 010-10z"
);
const BOOK: &str = medal!(
    "#455a64",
    "M16 20c6-2 11-1 15 2v24c-4-3-9-4-15-2zM48 20c-6-2-11-1-15 2v24c4-3 9-4 15-2z"
);
const HEART: &str = medal!(
    "#c2185b",
    "M32 47L18.5 33.5c-3.5-3.5-3.5-9 0-12.5s9-3.5 12.5 0L32 22l1-1c3.5-3.5 9-3.5 12.5 0s3.5 9 0 12.5z"
);

/// The SVG of a bundled visual (the star for any other name).
pub(crate) fn bundled(name: &str) -> &'static str {
    match name {
        "shield" => SHIELD,
        "megaphone" => MEGAPHONE,
        "hand" => HAND,
        "check" => CHECK,
        "pin" => PIN,
        "book" => BOOK,
        "heart" => HEART,
        _ => STAR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_visual_is_a_clean_svg() {
        for name in vigie_domain::badges::BUNDLED_VISUALS {
            let svg = bundled(name);
            assert!(svg.starts_with("<svg"), "{name}");
            // What the sanitizer keeps is what was drawn: nothing to drop.
            let clean = vigie_media::svg::sanitize(svg.as_bytes()).unwrap();
            assert!(clean.contains("<path d=\"M"), "{name}: {clean}");
        }
        assert_ne!(bundled("heart"), bundled("star"));
    }
}
