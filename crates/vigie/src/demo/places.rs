//! The demo collective's data about its places: what Vigie is for. On the first nursery school
//! of the demo, ATSEM counts over three school years — the current one and the two before —
//! entered by the schools' Garant (official), proposed by parents (one accepted, one waiting,
//! one refused with its public reason), with the nursery classes they are counted against, so
//! that the indicators they feed show (ATSEM per nursery class, nursery pupils per ATSEM, age
//! of the asbestos survey); an exceptional closure and works in its life; a school-council
//! minute and an asbestos survey among its documents (small made-up PDFs of `demo/`). Two other
//! nursery schools get this year's count, so the map's ATSEM layer has colours.
//!
//! Everything goes through the use cases, as the demo users themselves: contributions and
//! their decisions, life events, document uploads and their moderation. Every title ends with
//! « (démo) » and every source says the value is made up. Each part is added only when the
//! school has nothing of that kind yet, so seeding twice changes nothing.

use anyhow::Context as _;
use vigie_domain::{ObjectTypeKey, Principal, Provenance};
use vigie_plugins::wit;
use vigie_services::{
    Actor, Contribution, DocumentInput, LifeEventInput, ObjectSheet, ProposedValue, Services,
    decode_value,
};
use vigie_storage::{Store, Tenant};

use super::{Person, RoleIn, demo_schools, grant, user};

/// The made-up minutes of a school council (`demo/conseil-ecole-demo.pdf`).
const MINUTES_PDF: &[u8] = include_bytes!("../../demo/conseil-ecole-demo.pdf");
/// The made-up summary of an asbestos survey (`demo/diagnostic-amiante-demo.pdf`).
const ASBESTOS_PDF: &[u8] = include_bytes!("../../demo/diagnostic-amiante-demo.pdf");

/// The date of the asbestos survey, a few years old.
const SURVEY_DATE: &str = "2019-06-14";

const ATSEM: &str = "atsem";
const NURSERY_CLASSES: &str = "nursery-classes";
const ASBESTOS_SURVEY: &str = "asbestos-survey-date";

/// What the demo adds about its places. Returns how many values, life events and documents
/// it added (zero when they were there already).
pub(crate) async fn seed_places(
    services: &Services,
    store: &Store,
    tenant: &Tenant,
) -> anyhow::Result<usize> {
    let Some((key, schools, _real)) = demo_schools(services, tenant).await? else {
        return Ok(0);
    };
    // The first three nursery schools (ATSEM work in nursery classes), or else the first
    // school: only a few sheets are read, at every start.
    let (mut sheets, mut first) = (Vec::new(), None);
    for id in &schools {
        let sheet = services.object_sheet(tenant, *id).await?;
        if is_nursery(&sheet) {
            sheets.push(sheet);
            if sheets.len() == 3 {
                break;
            }
        } else if first.is_none() {
            first = Some(sheet);
        }
    }
    if sheets.is_empty() {
        sheets.extend(first);
    }
    let places = Places::new(services, store, tenant, &key).await?;
    let mut added = 0;
    added += places.values(&sheets).await.context("demo values")?;
    let showcase = &sheets[0];
    added += places.life(showcase).await.context("demo life events")?;
    added += places.documents(showcase).await.context("demo documents")?;
    if added > 0 {
        tracing::info!(added, school = %showcase.object.identity.official_name, "demo place data added");
    }
    Ok(added)
}

/// Whether the school's latest nature is « école maternelle » (101).
fn is_nursery(sheet: &ObjectSheet) -> bool {
    sheet
        .current
        .values()
        .rev()
        .find_map(|fields| fields.get("nature"))
        .and_then(|f| decode_value(&f.value))
        .is_some_and(|v| matches!(v, wit::Value::Choice(c) if c == "101"))
}

/// An official whole number of a school year, if imported (e.g. its classes).
fn official_integer(sheet: &ObjectSheet, vintage: &str, field: &str) -> Option<i64> {
    match decode_value(&sheet.current.get(vintage)?.get(field)?.value)? {
        wit::Value::Integer(i) => Some(i),
        _ => None,
    }
}

/// The nursery classes to give for a school year: `wanted`, but never more than the school's
/// official number of classes (on real schools the numbers are not ours).
fn nursery_classes(sheet: &ObjectSheet, vintage: &str, wanted: i64) -> i64 {
    official_integer(sheet, vintage, "classes")
        .map_or(wanted, |c| c.min(wanted))
        .max(1)
}

struct Places<'a> {
    services: &'a Services,
    tenant: &'a Tenant,
    /// The current school year's first year (2026 for 2026-2027).
    year: i32,
    garant: Person,
    sophie: Person,
    karim: Person,
    marc: Person,
    lea: Person,
}

impl<'a> Places<'a> {
    async fn new(
        services: &'a Services,
        store: &Store,
        tenant: &'a Tenant,
        key: &ObjectTypeKey,
    ) -> anyhow::Result<Self> {
        let current = services
            .object_schema(tenant, key)
            .await?
            .current_vintage()?;
        let year: i32 = current
            .get(..4)
            .and_then(|y| y.parse().ok())
            .with_context(|| format!("the current vintage {current} is not a school year"))?;
        let person = |email, name| user(services, store, email, name);
        let garant = person(
            "garante.demo@example.org",
            "Gaëlle, garante des écoles (démo)",
        )
        .await?;
        grant(services, tenant, &garant, RoleIn::Garant(key.clone())).await?;
        Ok(Self {
            services,
            tenant,
            year,
            garant: Person::of(&garant),
            sophie: Person::of(
                &person("sophie.demo@example.org", "Sophie, parente d'élève (démo)").await?,
            ),
            karim: Person::of(
                &person("karim.demo@example.org", "Karim, parent d'élève (démo)").await?,
            ),
            marc: Person::of(
                &person("marc.demo@example.org", "Marc, parent d'élève (démo)").await?,
            ),
            lea: Person::of(&person("lea.demo@example.org", "Léa, enseignante (démo)").await?),
        })
    }

    /// The school year starting `back` years before the current one: `2024-2025` for 2.
    fn vintage(&self, back: i32) -> String {
        let start = self.year - back;
        format!("{start}-{}", start + 1)
    }

    /// A date of the current school year: `month`/`day` of its first year from September,
    /// of its second year before.
    fn date(&self, month: u8, day: u8) -> String {
        let year = if month >= 9 { self.year } else { self.year + 1 };
        format!("{year}-{month:02}-{day:02}")
    }

    /// ATSEM counts over three school years on the first nursery school, this year's on two
    /// others. Only on schools that have no value but the official imports yet.
    async fn values(&self, sheets: &[ObjectSheet]) -> anyhow::Result<usize> {
        let showcase = &sheets[0];
        let untouched = |s: &ObjectSheet| {
            s.facts
                .iter()
                .all(|f| f.provenance == Provenance::OfficialImport)
        };
        let mut added = 0;
        if untouched(showcase) {
            added += self.atsem_story(showcase).await?;
        }
        // This year's count on two more nursery schools: one short, one nearly there.
        for (sheet, (classes, atsem)) in sheets[1..]
            .iter()
            .filter(|s| is_nursery(s))
            .zip([(11, 5), (10, 9)])
        {
            if !untouched(sheet) {
                continue;
            }
            let this_year = self.vintage(0);
            let classes = nursery_classes(sheet, &this_year, classes);
            added += self
                .propose(
                    &self.garant,
                    sheet.object.id,
                    &this_year,
                    &[
                        (NURSERY_CLASSES, wit::Value::Integer(classes)),
                        (ATSEM, wit::Value::Integer(atsem.min(classes))),
                    ],
                    "Relevé de rentrée du garant (démo, valeur inventée)",
                )
                .await?
                .len();
        }
        Ok(added)
    }

    /// The showcase school's ATSEM over three school years.
    async fn atsem_story(&self, sheet: &ObjectSheet) -> anyhow::Result<usize> {
        let school = sheet.object.id;
        let (two_years_ago, last_year, this_year) =
            (self.vintage(2), self.vintage(1), self.vintage(0));
        let g = &self.garant;
        let mut added = 0;

        // Two years ago: entered by the Garant at the start of the year, official.
        let classes = nursery_classes(sheet, &two_years_ago, 6);
        added += self
            .propose(
                g,
                school,
                &two_years_ago,
                &[
                    (NURSERY_CLASSES, wit::Value::Integer(classes)),
                    (ATSEM, wit::Value::Integer(classes.min(6))),
                ],
                "Relevé de rentrée du garant (démo, valeur inventée)",
            )
            .await?
            .len();

        // Last year: proposed by a parent after the school council, accepted by the Garant.
        let classes = nursery_classes(sheet, &last_year, 10);
        let proposed = self
            .propose(
                &self.sophie,
                school,
                &last_year,
                &[
                    (NURSERY_CLASSES, wit::Value::Integer(classes)),
                    (ATSEM, wit::Value::Integer(classes.min(7))),
                ],
                "Compte rendu du conseil d'école de novembre (démo, valeur inventée)",
            )
            .await?;
        for id in &proposed {
            self.services
                .decide_contribution(Actor::Principal(&g.principal), self.tenant, *id, true, None)
                .await?;
        }
        added += proposed.len();

        // This year: a count proposed by a parent and refused, with its public reason…
        let classes = nursery_classes(sheet, &this_year, 10);
        let refused = self
            .propose(
                &self.marc,
                school,
                &this_year,
                &[(ATSEM, wit::Value::Integer(classes.min(9)))],
                "Annonce de la mairie de secteur (démo, valeur inventée)",
            )
            .await?;
        for id in &refused {
            self.services
                .decide_contribution(
                    Actor::Principal(&g.principal),
                    self.tenant,
                    *id,
                    false,
                    Some(
                        "Neuf, c'est le nombre d'agents de la Ville annoncé pour l'école, agents \
                         de cantine compris : le compte rendu du conseil d'école (démo) compte \
                         6 ATSEM dans les classes.",
                    ),
                )
                .await?;
        }
        added += refused.len();
        // … the Garant's count after the school council, with the date of the asbestos survey…
        added += self
            .propose(
                g,
                school,
                &this_year,
                &[
                    (NURSERY_CLASSES, wit::Value::Integer(classes)),
                    (ATSEM, wit::Value::Integer(classes.min(6))),
                    (ASBESTOS_SURVEY, wit::Value::Date(SURVEY_DATE.into())),
                ],
                "Compte rendu du premier conseil d'école (démo, valeur inventée)",
            )
            .await?
            .len();
        // … and a parent's correction, waiting for a decision.
        added += self
            .propose(
                &self.karim,
                school,
                &this_year,
                &[(ATSEM, wit::Value::Integer(classes.min(4)))],
                "Deux ATSEM en arrêt, non remplacées depuis la Toussaint (démo, valeur inventée)",
            )
            .await?
            .len();
        Ok(added)
    }

    /// Values of one school year, as `who` enters or proposes them; the ids of the facts.
    async fn propose(
        &self,
        who: &Person,
        school: i64,
        vintage: &str,
        values: &[(&str, wit::Value)],
        source: &str,
    ) -> anyhow::Result<Vec<i64>> {
        let facts = self
            .services
            .contribute(
                Actor::Principal(&who.principal),
                self.tenant,
                school,
                Contribution {
                    vintage: vintage.to_owned(),
                    values: values
                        .iter()
                        .map(|(field, value)| ProposedValue {
                            field: (*field).to_owned(),
                            value: value.clone(),
                        })
                        .collect(),
                    source: Some(source.to_owned()),
                    contact_email: None,
                    contact_phone: None,
                    submission_key: None,
                },
            )
            .await
            .with_context(|| format!("demo values of {vintage}"))?;
        Ok(facts.into_iter().map(|f| f.id).collect())
    }

    /// An exceptional closure (told by a teacher, accepted by the Garant) and works (announced
    /// by the Garant), if the school has no life event yet.
    async fn life(&self, sheet: &ObjectSheet) -> anyhow::Result<usize> {
        let school = sheet.object.id;
        if !self
            .services
            .life_events(self.tenant, school)
            .await?
            .is_empty()
        {
            return Ok(0);
        }
        let g = &self.garant;
        let closure = self
            .services
            .add_life_event(
                Actor::Principal(&self.lea.principal),
                self.tenant,
                school,
                LifeEventInput {
                    kind: "exceptional_closure".into(),
                    title: "École fermée deux jours : coupure d'eau dans le quartier (démo)".into(),
                    description: "Travaux sur le réseau d'eau de la rue : ni eau ni toilettes \
                        dans l'école. Les familles ont été prévenues par le cahier de liaison ; \
                        un accueil était assuré à l'école élémentaire voisine."
                        .into(),
                    starts_on: self.date(11, 17),
                    ends_on: Some(self.date(11, 18)),
                    contact_email: None,
                },
            )
            .await?;
        self.services
            .decide_life_event(
                Actor::Principal(&g.principal),
                self.tenant,
                closure.id,
                true,
                None,
            )
            .await?;
        self.services
            .add_life_event(
                Actor::Principal(&g.principal),
                self.tenant,
                school,
                LifeEventInput {
                    kind: "works".into(),
                    title: "Retrait des dalles de sol amiantées de la classe 4 (démo)".into(),
                    description: "Désamiantage et nouveau revêtement de sol dans la classe 4, \
                        pendant les vacances d'hiver ; la classe reste installée en salle \
                        polyvalente jusqu'à la fin du chantier."
                        .into(),
                    starts_on: self.date(2, 16),
                    ends_on: Some(self.date(3, 6)),
                    contact_email: None,
                },
            )
            .await?;
        Ok(2)
    }

    /// The minutes of the first school council (uploaded by a parent, accepted by the Garant)
    /// and the asbestos survey (uploaded by the Garant), if the school has no document yet.
    async fn documents(&self, sheet: &ObjectSheet) -> anyhow::Result<usize> {
        let school = sheet.object.id;
        let has_documents = self
            .services
            .documents(&Principal::Anonymous, self.tenant, school)
            .await?
            .iter()
            .any(|d| d.document.request_id.is_none());
        if has_documents {
            return Ok(0);
        }
        let g = &self.garant;
        let minutes = self
            .services
            .upload_document(
                Actor::Principal(&self.sophie.principal),
                self.tenant,
                school,
                DocumentInput {
                    kind: "school_council_minutes".into(),
                    title: "Compte rendu du premier conseil d'école (démo)".into(),
                    document_date: Some(self.date(10, 13)),
                    source: Some("Conseil d'école, représentants des parents (démo)".into()),
                    file_name: Some("conseil-ecole-demo.pdf".into()),
                    content_type: Some("application/pdf".into()),
                },
                MINUTES_PDF.to_vec(),
            )
            .await?;
        self.services
            .decide_document(
                Actor::Principal(&g.principal),
                self.tenant,
                minutes.id,
                true,
                None,
            )
            .await?;
        self.services
            .upload_document(
                Actor::Principal(&g.principal),
                self.tenant,
                school,
                DocumentInput {
                    kind: "asbestos_survey".into(),
                    title: "Dossier technique amiante, fiche récapitulative (démo)".into(),
                    document_date: Some(SURVEY_DATE.into()),
                    source: Some("Ville, direction de l'architecture (démo)".into()),
                    file_name: Some("diagnostic-amiante-demo.pdf".into()),
                    content_type: Some("application/pdf".into()),
                },
                ASBESTOS_PDF.to_vec(),
            )
            .await?;
        Ok(2)
    }
}
