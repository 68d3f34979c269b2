//! The demo collective shows what Vigie is for: after `vigie serve`'s first start, a nursery
//! school's page carries ATSEM counts over three school years (official, accepted, waiting,
//! refused with its reason), the indicators they feed, life events and documents — all made
//! up, all through the use cases. A second start adds nothing. The forms suggest the current
//! school year.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use vigie_domain::{FactState, Provenance};
use vigie_tests::{Backend, TestServer, both_backends};

const SLUG: &str = "ecoles-marseille";

/// The current school year's first year, from today's date: a school year starts on
/// 1 September.
fn school_year_start() -> i32 {
    let today = time::OffsetDateTime::now_utc().date();
    if u8::from(today.month()) >= 9 {
        today.year()
    } else {
        today.year() - 1
    }
}

fn school_year(start: i32) -> String {
    format!("{start}-{}", start + 1)
}

/// The text of an HTML fragment: tags dropped, the entities the templates write decoded,
/// spaces collapsed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rows of the first `<table …>` after `marker`, each as the texts of its cells.
fn table_after(page: &str, marker: &str) -> Vec<Vec<String>> {
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} on the page"));
    let rest = &page[start..];
    let table = &rest[..rest.find("</table>").expect("the table ends")];
    table
        .split("<tr")
        .skip(1)
        .map(|row| {
            row.replace("<th", "<td")
                .split("<td")
                .skip(1)
                .map(|cell| text(&format!("<td{cell}")))
                .collect()
        })
        .collect()
}

/// The row whose first cell is `label`.
fn row<'a>(rows: &'a [Vec<String>], label: &str) -> &'a [String] {
    rows.iter()
        .find(|r| {
            r.first()
                .is_some_and(|c| c.trim_end_matches(" officiel") == label)
        })
        .unwrap_or_else(|| {
            panic!(
                "no row « {label} » in {:?}",
                rows.iter().map(|r| r.first()).collect::<Vec<_>>()
            )
        })
}

async fn the_demo_shows_values_indicators_events_and_documents(backend: Backend) {
    let srv = TestServer::start(backend).await.unwrap();
    let mut settings = srv.settings.clone();
    settings.demo.enabled = true;
    srv.app.seed_demo(&settings).await.unwrap();
    let services = &srv.app.services;
    let tenant = services.tenant(SLUG).await.unwrap();

    // The school with the demo's life events is the one with the whole story.
    let mut showcase = None;
    for o in services.objects(&tenant, None).await.unwrap() {
        if !services
            .life_events(&tenant, o.id)
            .await
            .unwrap()
            .is_empty()
        {
            assert!(showcase.is_none(), "one school carries the story");
            showcase = Some(o);
        }
    }
    let school = showcase.expect("a demo school with life events");
    let made_up = school.identity.official_name.contains("(démo)");
    let id = school.id;

    // Through the use cases: the Garant's values are official, the parents' are proposals.
    let sheet = services.object_sheet(&tenant, id).await.unwrap();
    let atsem: Vec<_> = sheet
        .facts
        .iter()
        .filter(|f| f.field_key == "atsem")
        .collect();
    let y = school_year_start();
    let years = [school_year(y - 2), school_year(y - 1), school_year(y)];
    for v in &years {
        assert!(
            sheet
                .current
                .get(v)
                .is_some_and(|m| m.contains_key("atsem")),
            "an ATSEM count for {v}"
        );
    }
    let of = |p: Provenance, s: FactState| {
        atsem
            .iter()
            .filter(|f| f.provenance == p && f.state == s)
            .count()
    };
    assert_eq!(of(Provenance::Garant, FactState::Accepted), 2, "{atsem:?}");
    assert_eq!(of(Provenance::Citizen, FactState::Accepted), 1, "{atsem:?}");
    assert_eq!(of(Provenance::Citizen, FactState::Pending), 1, "{atsem:?}");
    assert_eq!(of(Provenance::Citizen, FactState::Refused), 1, "{atsem:?}");
    assert!(
        sheet
            .facts
            .iter()
            .filter(|f| f.provenance != Provenance::OfficialImport)
            .all(|f| f.source.as_deref().is_some_and(|s| s.contains("démo"))),
        "every demo value says it is made up"
    );

    // The page, as anyone sees it.
    let anon = srv.client();
    let page = anon.get(&format!("/t/{SLUG}/o/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let html = &page.text;
    let grid = table_after(html, "<table class=\"grid\">");
    let header = &grid[0];
    let col = |v: &str| {
        header
            .iter()
            .position(|h| h == v)
            .unwrap_or_else(|| panic!("no {v} column in {header:?}"))
    };
    let cols: Vec<usize> = years.iter().map(|v| col(v)).collect();
    assert!(cols.windows(2).all(|w| w[0] < w[1]), "{header:?}");
    let counts = row(&grid, "ATSEM");
    for (v, c) in years.iter().zip(&cols) {
        assert!(
            counts[*c].starts_with(|ch: char| ch.is_ascii_digit()),
            "ATSEM for {v}: {counts:?}"
        );
    }
    // The Garant's count is marked as theirs, the accepted parent's as a citizen's.
    assert!(counts[cols[0]].ends_with('●'), "{counts:?}");
    assert!(counts[cols[1]].ends_with('○'), "{counts:?}");
    assert!(counts[cols[2]].ends_with('●'), "{counts:?}");
    let per_class = row(&grid, "ATSEM par classe de maternelle");
    for (v, c) in years.iter().zip(&cols) {
        assert!(
            per_class[*c].contains(','),
            "ATSEM per nursery class for {v}: {per_class:?}"
        );
    }
    if made_up {
        // 6 ATSEM for 6 classes, 7 for 10, 6 for 10.
        let shown: Vec<&str> = cols.iter().map(|c| per_class[*c].as_str()).collect();
        assert_eq!(shown, ["1,00", "0,70", "0,60"]);
        assert_eq!(
            row(&grid, "Âge du diagnostic amiante")[cols[2]],
            (y - 2019).to_string()
        );
        assert!(!row(&grid, "Élèves de maternelle par ATSEM")[cols[0]].is_empty());
    }

    // The history: the waiting proposal, the refused one with its public reason.
    let history = table_after(html, "id=\"history-title\"");
    let atsem_history: Vec<&Vec<String>> = history
        .iter()
        .filter(|r| r.get(1).is_some_and(|f| f == "ATSEM"))
        .collect();
    assert!(
        atsem_history
            .iter()
            .any(|r| r[2] == years[2] && r[5] == "en attente"),
        "{atsem_history:?}"
    );
    let refused = atsem_history
        .iter()
        .find(|r| r[5].starts_with("refusée"))
        .unwrap_or_else(|| panic!("a refused count in {atsem_history:?}"));
    assert!(
        refused[5].contains("le compte rendu du conseil d'école (démo) compte 6 ATSEM"),
        "{refused:?}"
    );

    // Life events and documents, with their links.
    let page_text = text(html);
    for shown in [
        "Fermeture exceptionnelle · École fermée deux jours : coupure d'eau dans le quartier (démo)",
        "Travaux · Retrait des dalles de sol amiantées de la classe 4 (démo)",
        "Compte rendu du premier conseil d'école (démo) · PV de conseil d'école",
        "Dossier technique amiante, fiche récapitulative (démo) · Diagnostic amiante (DTA) · 2019-06-14",
    ] {
        assert!(
            page_text.contains(shown),
            "« {shown} » missing: {page_text}"
        );
    }
    assert!(!page_text.contains("Un document attend la modération"));
    let documents = services
        .documents(&vigie_domain::Principal::Anonymous, &tenant, id)
        .await
        .unwrap();
    assert_eq!(documents.len(), 2);
    for d in &documents {
        assert!(d.downloadable && d.document.state == FactState::Accepted);
        let link = format!("/api/v1/tenants/{SLUG}/documents/{}/file", d.document.id);
        assert!(
            html.replace("&#x2f;", "/").contains(&link),
            "no link {link}"
        );
        let file = anon
            .http
            .get(format!("{}{link}", srv.base))
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), 200);
        let bytes = file.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-1.") && bytes.len() < 4096);
    }

    // The contribution form suggests the current school year.
    assert!(
        html.contains(&format!(
            "<input name=\"vintage\" required value=\"{}\">",
            years[2]
        )),
        "the form does not suggest {}",
        years[2]
    );

    // A second start adds nothing, and the journal still verifies.
    let count = |sheet: &vigie_services::ObjectSheet| sheet.facts.len();
    let mut before = Vec::new();
    for o in services.objects(&tenant, None).await.unwrap() {
        before.push((
            count(&services.object_sheet(&tenant, o.id).await.unwrap()),
            services.life_events(&tenant, o.id).await.unwrap().len(),
            services
                .documents(&vigie_domain::Principal::Anonymous, &tenant, o.id)
                .await
                .unwrap()
                .len(),
        ));
    }
    let entries = services.journal(&tenant).await.unwrap().len();
    srv.app.seed_demo(&settings).await.unwrap();
    let mut after = Vec::new();
    for o in services.objects(&tenant, None).await.unwrap() {
        after.push((
            count(&services.object_sheet(&tenant, o.id).await.unwrap()),
            services.life_events(&tenant, o.id).await.unwrap().len(),
            services
                .documents(&vigie_domain::Principal::Anonymous, &tenant, o.id)
                .await
                .unwrap()
                .len(),
        ));
    }
    assert_eq!(before, after);
    assert_eq!(services.journal(&tenant).await.unwrap().len(), entries);
    let report = services.verify_journal(&tenant).await.unwrap();
    assert!(report.broken.is_none(), "{:?}", report.broken);
    assert_eq!(report.entries, entries);

    // The map's ATSEM layer has colours: three nursery schools have this year's count.
    let with_atsem = {
        let mut n = 0;
        for o in services.objects(&tenant, None).await.unwrap() {
            let s = services.object_sheet(&tenant, o.id).await.unwrap();
            if s.current
                .get(&years[2])
                .is_some_and(|m| m.contains_key("atsem"))
            {
                n += 1;
            }
        }
        n
    };
    if made_up {
        assert_eq!(with_atsem, 3);
    }
    srv.stop().await;
}

both_backends!(the_demo_shows_values_indicators_events_and_documents);
