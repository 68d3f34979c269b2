//! What the schools type declares, and its rules across fields.

use vigie_plugin_sdk::prelude::*;

use crate::import;

/// Field keys used by rules, importers and indicators.
pub(crate) mod keys {
    pub const SECTOR: &str = "sector";
    pub const NATURE: &str = "nature";
    pub const NATURE_LABEL: &str = "nature-label";
    pub const EDUCATION_DISTRICT: &str = "education-district";
    pub const PRIVATE_CONTRACT: &str = "private-contract";
    pub const PUPILS: &str = "pupils";
    pub const CLASSES: &str = "classes";
    pub const NURSERY_PUPILS: &str = "nursery-pupils";
    pub const ELEMENTARY_PUPILS: &str = "elementary-pupils";
    pub const ULIS_PUPILS: &str = "ulis-pupils";
    pub const REP: &str = "rep";
    pub const REP_PLUS: &str = "rep-plus";
    pub const IPS: &str = "ips";
    pub const NURSERY_CLASSES: &str = "nursery-classes";
    pub const ATSEM: &str = "atsem";
    pub const TEACHERS: &str = "teachers";
    pub const AESH: &str = "aesh";
    pub const CANTEEN: &str = "canteen";
    pub const CANTEEN_STAFF: &str = "canteen-staff";
    pub const WORKING_TOILETS: &str = "working-toilets";
    pub const PLAYGROUND_AREA: &str = "playground-area";
    pub const COOLED_ROOMS: &str = "cooled-rooms";
    pub const ACCESSIBLE: &str = "accessible";
    pub const ASBESTOS_SURVEY: &str = "asbestos-survey-date";
    pub const FIRE_SAFETY_VISIT: &str = "fire-safety-visit-date";
    pub const FIRE_SAFETY_OPINION: &str = "fire-safety-opinion";
    pub const WEBSITE: &str = "website";
    pub const NOTES: &str = "notes";
}

use keys::*;

/// Above this many pupils per class on average, a record is flagged.
const CROWDED_CLASS: f64 = 35.0;

const GREEN: &str = "#1a9850";
const LIGHT_GREEN: &str = "#91cf60";
const YELLOW: &str = "#fee08b";
const ORANGE: &str = "#fc8d59";
const RED: &str = "#d73027";
const GREY: &str = "#bdbdbd";

pub(crate) fn manifest() -> Manifest {
    Manifest::new(
        env!("CARGO_PKG_VERSION"),
        Identity::new(
            "schools",
            fr_en("École", "School"),
            fr_en("Écoles", "Schools"),
            fr_en(
                "Écoles maternelles, élémentaires et primaires, et autres établissements \
                 scolaires identifiés par leur code UAI. Les données officielles viennent du \
                 ministère de l'Éducation nationale\u{a0}; les citoyens complètent ce que la \
                 ville ne publie pas (ATSEM, cantine, état des locaux).",
                "Nursery, elementary and primary schools, and other schools identified by \
                 their UAI code. Official data come from the Education ministry; citizens add \
                 what the city does not publish (ATSEM staff, canteen, state of the premises).",
            ),
        )
        .icon_name("school")
        .color("#1f78b4"),
        IdentifierScheme::new(
            "uai",
            fr_en("Code UAI (ex-RNE)", "UAI code (formerly RNE)"),
            fr_en(
                "Identifiant national de l'établissement\u{a0}: 7 chiffres puis une lettre de \
                 contrôle, par exemple 0131703F. On le trouve sur l'annuaire de l'Éducation \
                 nationale.",
                "National identifier of the school: 7 digits then a check letter, e.g. \
                 0131703F. It is listed in the Education ministry's directory.",
            ),
            &["0131703F", "0130566V"],
        ),
        VintageScheme::school_year(),
    )
    .group("general", "Informations générales", "General information")
    .group("enrolment", "Effectifs", "Enrolment")
    .group("staff", "Personnel", "Staff")
    .group(
        "premises",
        "Locaux et équipements",
        "Premises and facilities",
    )
    .group("safety", "Sécurité", "Safety")
    .field(
        Field::choice(
            SECTOR,
            "Secteur",
            "Sector",
            [
                ChoiceOption::new("public", "Public", "Public"),
                ChoiceOption::new("private", "Privé", "Private"),
            ],
        )
        .official()
        .group("general"),
    )
    .field(
        Field::choice(
            NATURE,
            "Nature de l'établissement",
            "Kind of establishment",
            [
                ChoiceOption::new("101", "École maternelle", "Nursery school"),
                ChoiceOption::new(
                    "151",
                    "École élémentaire ou primaire",
                    "Elementary or primary school",
                ),
                ChoiceOption::new("340", "Collège", "Lower secondary school (collège)"),
                ChoiceOption::new("other", "Autre", "Other"),
            ],
        )
        .help(
            "Code nature du ministère (101, 151, 340…).",
            "The ministry's nature code (101, 151, 340…).",
        )
        .official()
        .group("general"),
    )
    .field(
        Field::text(
            NATURE_LABEL,
            "Libellé officiel de la nature",
            "Official kind label",
        )
        .max_length(100)
        .official()
        .group("general"),
    )
    .field(
        Field::text(
            EDUCATION_DISTRICT,
            "Circonscription (IEN)",
            "Education district (IEN)",
        )
        .max_length(120)
        .official()
        .group("general"),
    )
    .field(
        Field::choice(
            PRIVATE_CONTRACT,
            "Contrat (établissement privé)",
            "Contract (private school)",
            [
                ChoiceOption::new("hors-contrat", "Hors contrat", "No contract"),
                ChoiceOption::new(
                    "contrat-association",
                    "Contrat d'association (toutes classes)",
                    "Association contract (all classes)",
                ),
                ChoiceOption::new(
                    "contrat-association-partiel",
                    "Contrat d'association (partie des classes)",
                    "Association contract (some classes)",
                ),
                ChoiceOption::new("other", "Autre contrat", "Other contract"),
            ],
        )
        .official()
        .group("general"),
    )
    .field(
        Field::url(WEBSITE, "Site web", "Website")
            .max_length(500)
            .group("general"),
    )
    .field(
        Field::integer(PUPILS, "Élèves", "Pupils")
            .help(
                "Nombre total d'élèves à la rentrée (constat de septembre).",
                "Total number of pupils at the start of the school year (September count).",
            )
            .unit("élèves", "pupils")
            .range(0.0, 5000.0)
            .official()
            .group("enrolment"),
    )
    .field(
        Field::integer(CLASSES, "Classes", "Classes")
            .unit("classes", "classes")
            .range(0.0, 200.0)
            .official()
            .group("enrolment"),
    )
    .field(
        Field::integer(
            NURSERY_PUPILS,
            "Élèves de maternelle (hors ULIS)",
            "Nursery pupils (excluding ULIS)",
        )
        .unit("élèves", "pupils")
        .range(0.0, 5000.0)
        .official()
        .group("enrolment"),
    )
    .field(
        Field::integer(
            ELEMENTARY_PUPILS,
            "Élèves d'élémentaire (hors ULIS)",
            "Elementary pupils (excluding ULIS)",
        )
        .unit("élèves", "pupils")
        .range(0.0, 5000.0)
        .official()
        .group("enrolment"),
    )
    .field(
        Field::integer(
            ULIS_PUPILS,
            "Élèves en ULIS ou UEEA",
            "Pupils in ULIS or UEEA units",
        )
        .help(
            "Unités localisées pour l'inclusion scolaire et unités d'enseignement autisme.",
            "Special-needs inclusion units and autism teaching units.",
        )
        .unit("élèves", "pupils")
        .range(0.0, 500.0)
        .official()
        .group("enrolment"),
    )
    .field(
        Field::boolean(
            REP,
            "Réseau d'éducation prioritaire (REP)",
            "Priority education network (REP)",
        )
        .official()
        .group("enrolment"),
    )
    .field(
        Field::boolean(
            REP_PLUS,
            "REP+ (éducation prioritaire renforcée)",
            "REP+ (reinforced priority education)",
        )
        .official()
        .group("enrolment"),
    )
    .field(
        Field::decimal(
            IPS,
            "Indice de position sociale (IPS)",
            "Social position index (IPS)",
        )
        .help(
            "Indice du ministère\u{a0}: plus il est bas, plus les familles sont défavorisées.",
            "Ministry index: the lower it is, the more disadvantaged the families.",
        )
        .range(0.0, 300.0)
        .official()
        .group("enrolment"),
    )
    .field(
        Field::integer(NURSERY_CLASSES, "Classes de maternelle", "Nursery classes")
            .help(
                "Classes accueillant des élèves de petite, moyenne ou grande section.",
                "Classes with pupils of the three nursery years.",
            )
            .unit("classes", "classes")
            .range(0.0, 100.0)
            .group("enrolment"),
    )
    .field(
        Field::integer(ATSEM, "ATSEM", "ATSEM staff")
            .help(
                "Agents territoriaux spécialisés des écoles maternelles présents cette année \
                 (employés par la ville).",
                "Nursery school assistants present this year (employed by the city).",
            )
            .unit("agents", "staff")
            .range(0.0, 100.0)
            .group("staff"),
    )
    .field(
        Field::integer(TEACHERS, "Enseignants", "Teachers")
            .unit("enseignants", "teachers")
            .range(0.0, 300.0)
            .group("staff"),
    )
    .field(
        Field::integer(AESH, "AESH", "AESH (special-needs assistants)")
            .help(
                "Accompagnants d'élèves en situation de handicap.",
                "Assistants for pupils with disabilities.",
            )
            .unit("agents", "staff")
            .range(0.0, 100.0)
            .group("staff"),
    )
    .field(
        Field::integer(CANTEEN_STAFF, "Agents de restauration", "Canteen staff")
            .unit("agents", "staff")
            .range(0.0, 100.0)
            .group("staff"),
    )
    .field(Field::boolean(CANTEEN, "Cantine sur place", "Canteen on site").group("premises"))
    .field(
        Field::integer(
            WORKING_TOILETS,
            "Toilettes en état de marche",
            "Working toilets",
        )
        .unit("cabinets", "toilets")
        .range(0.0, 500.0)
        .group("premises"),
    )
    .field(
        Field::decimal(PLAYGROUND_AREA, "Surface de la cour", "Playground area")
            .unit("m²", "m²")
            .range(0.0, 100_000.0)
            .group("premises"),
    )
    .field(
        Field::integer(COOLED_ROOMS, "Salles rafraîchies", "Cooled rooms")
            .help(
                "Salles de classe équipées pour rester fraîches en période de chaleur.",
                "Classrooms equipped to stay cool in hot weather.",
            )
            .unit("salles", "rooms")
            .range(0.0, 200.0)
            .group("premises"),
    )
    .field(
        Field::boolean(
            ACCESSIBLE,
            "Accessible aux personnes à mobilité réduite",
            "Accessible to people with reduced mobility",
        )
        .group("premises"),
    )
    .field(
        Field::date(
            ASBESTOS_SURVEY,
            "Dernier diagnostic amiante (DTA)",
            "Latest asbestos survey (DTA)",
        )
        .group("safety"),
    )
    .field(
        Field::date(
            FIRE_SAFETY_VISIT,
            "Dernière visite de la commission de sécurité",
            "Latest fire-safety inspection",
        )
        .group("safety"),
    )
    .field(
        Field::choice(
            FIRE_SAFETY_OPINION,
            "Avis de la commission de sécurité",
            "Fire-safety inspection opinion",
            [
                ChoiceOption::new("favorable", "Favorable", "Favourable"),
                ChoiceOption::new("defavorable", "Défavorable", "Unfavourable"),
            ],
        )
        .group("safety"),
    )
    .field(
        Field::long_text(NOTES, "Remarques", "Notes")
            .max_length(2000)
            .group("general"),
    )
    .indicator(
        Indicator::ratio(
            "pupils-per-class",
            "Élèves par classe",
            "Pupils per class",
            &[PUPILS],
            &[CLASSES],
        )
        .unit("élèves", "pupils")
        .description(
            "Nombre moyen d'élèves par classe.",
            "Average number of pupils per class.",
        ),
    )
    .indicator(
        Indicator::ratio(
            "nursery-pupils-per-class",
            "Élèves par classe de maternelle",
            "Pupils per nursery class",
            &[NURSERY_PUPILS],
            &[NURSERY_CLASSES],
        )
        .unit("élèves", "pupils"),
    )
    .indicator(
        Indicator::ratio(
            "atsem-per-nursery-class",
            "ATSEM par classe de maternelle",
            "ATSEM per nursery class",
            &[ATSEM],
            &[NURSERY_CLASSES],
        )
        .decimals(2)
        .description(
            "1 signifie une ATSEM dans chaque classe de maternelle.",
            "1 means one ATSEM in every nursery class.",
        ),
    )
    .indicator(
        Indicator::ratio(
            "nursery-pupils-per-atsem",
            "Élèves de maternelle par ATSEM",
            "Nursery pupils per ATSEM",
            &[NURSERY_PUPILS],
            &[ATSEM],
        )
        .unit("élèves", "pupils"),
    )
    .indicator(
        Indicator::ratio(
            "atsem-per-100-nursery-pupils",
            "ATSEM pour 100 élèves de maternelle",
            "ATSEM per 100 nursery pupils",
            &[ATSEM],
            &[NURSERY_PUPILS],
        )
        .scale(100.0)
        .decimals(2),
    )
    .indicator(
        Indicator::ratio(
            "nursery-share",
            "Part des élèves en maternelle",
            "Share of nursery pupils",
            &[NURSERY_PUPILS],
            &[PUPILS],
        )
        .scale(100.0)
        .decimals(0)
        .unit("%", "%"),
    )
    .indicator(
        Indicator::ratio(
            "pupils-per-working-toilet",
            "Élèves par toilette en état de marche",
            "Pupils per working toilet",
            &[PUPILS],
            &[WORKING_TOILETS],
        )
        .unit("élèves", "pupils")
        .decimals(0),
    )
    .indicator(
        Indicator::custom(
            "asbestos-survey-age",
            "Âge du diagnostic amiante",
            "Age of the asbestos survey",
        )
        .unit("ans", "years")
        .decimals(0)
        .description(
            "Années écoulées entre le dernier diagnostic amiante et la rentrée.",
            "Years between the latest asbestos survey and the start of the school year.",
        ),
    )
    .category_set(cem_categories())
    .category_set(presets::sst_categories())
    .request_kind(presets::intervention().category_sets(&["cem", presets::SST]))
    .request_kind(presets::improvement().category_sets(&["cem", presets::SST]))
    .request_kind(presets::report().category_sets(&["cem", presets::SST]))
    .request_kind(presets::sst_register_entry().category_sets(&[presets::SST, "cem"]))
    .request_kind(presets::dgi_notice().category_sets(&[presets::SST, "cem"]))
    .layer(
        MapLayer::new(
            "pupils-per-class",
            "Élèves par classe",
            "Pupils per class",
            LayerStyle::thresholds(
                "pupils-per-class",
                vec![
                    ThresholdStep::below(20.0, GREEN, "Moins de 20", "Fewer than 20"),
                    ThresholdStep::below(24.0, LIGHT_GREEN, "20 à 24", "20 to 24"),
                    ThresholdStep::below(27.0, YELLOW, "24 à 27", "24 to 27"),
                    ThresholdStep::below(30.0, ORANGE, "27 à 30", "27 to 30"),
                    ThresholdStep::rest(RED, "30 et plus", "30 or more"),
                ],
                GREY,
            ),
        )
        .description(
            "Nombre moyen d'élèves par classe, dernière rentrée connue.",
            "Average number of pupils per class, latest known school year.",
        )
        .visible_by_default(),
    )
    .layer(
        MapLayer::new(
            "atsem-per-nursery-class",
            "ATSEM par classe de maternelle",
            "ATSEM per nursery class",
            LayerStyle::thresholds(
                "atsem-per-nursery-class",
                vec![
                    ThresholdStep::below(
                        0.5,
                        RED,
                        "Moins d'une ATSEM pour deux classes",
                        "Less than one ATSEM per two classes",
                    ),
                    ThresholdStep::below(
                        1.0,
                        ORANGE,
                        "Moins d'une ATSEM par classe",
                        "Less than one ATSEM per class",
                    ),
                    ThresholdStep::rest(GREEN, "Une ATSEM par classe", "One ATSEM per class"),
                ],
                GREY,
            ),
        )
        .description(
            "Combien d'ATSEM pour chaque classe de maternelle (relevé citoyen).",
            "How many ATSEM for each nursery class (citizen survey).",
        ),
    )
    .layer(MapLayer::new(
        "priority-education",
        "Éducation prioritaire renforcée (REP+)",
        "Reinforced priority education (REP+)",
        LayerStyle::categories(
            REP_PLUS,
            vec![
                CategoryCase::new(Value::Boolean(true), "#6a3d9a", "REP+", "REP+"),
                CategoryCase::new(Value::Boolean(false), "#cab2d6", "Hors REP+", "Not REP+"),
            ],
            GREY,
        ),
    ))
    .layer(MapLayer::new(
        "sector",
        "Public ou privé",
        "Public or private",
        LayerStyle::categories(
            SECTOR,
            vec![
                CategoryCase::new(Value::choice("public"), "#1f78b4", "Public", "Public"),
                CategoryCase::new(Value::choice("private"), "#ff7f00", "Privé", "Private"),
            ],
            GREY,
        ),
    ))
    .importer(import::geolocation_importer())
    .importer(import::enrolment_importer())
    .importer(import::ips_importer())
    .importer(import::directory_importer())
}

/// The CeM's request categories (Collectif des écoles de Marseille).
fn cem_categories() -> CategorySet {
    let c = Category::new;
    CategorySet::new(
        "cem",
        "Catégories du Collectif des écoles de Marseille",
        "Categories of the Marseille schools collective (CeM)",
        vec![
            c("buildings", "Bâti", "Buildings"),
            c("toilets", "Sanitaires", "Toilets"),
            c("canteen", "Cantine", "Canteen"),
            c("after-school", "Périscolaire", "After-school activities"),
            c("safety", "Sécurité", "Safety"),
            c(
                "heating-cooling",
                "Chauffage et chaleur",
                "Heating and heat",
            ),
            c("digital", "Numérique", "Digital equipment"),
            c(
                "outdoor",
                "Espaces extérieurs et cour",
                "Outdoor areas and playground",
            ),
            c("cleaning", "Propreté et entretien", "Cleaning and upkeep"),
            c("accessibility", "Accessibilité", "Accessibility"),
            c(
                "furniture",
                "Mobilier et fournitures",
                "Furniture and supplies",
            ),
            c(
                "staff",
                "Personnel (ATSEM, remplacements)",
                "Staff (ATSEM, replacements)",
            ),
            c(
                "surroundings",
                "Abords et circulation",
                "Surroundings and traffic",
            ),
        ],
    )
}

fn error(code: &str, field: &str, fr: String, en: String) -> Diagnostic {
    Diagnostic::error(code, fr, en).on(field)
}

fn warning(code: &str, field: &str, fr: String, en: String) -> Diagnostic {
    Diagnostic::warning(code, fr, en).on(field)
}

/// Rules across the fields of one school year.
pub(crate) fn check_record(r: &Record<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let pupils = r.integer(PUPILS);
    let classes = r.integer(CLASSES);
    let nursery_classes = r.integer(NURSERY_CLASSES);
    let nursery_pupils = r.integer(NURSERY_PUPILS);
    let atsem = r.integer(ATSEM);

    if let (Some(atsem), Some(nc)) = (atsem, nursery_classes)
        && atsem > nc
    {
        out.push(error(
            "atsem-exceed-nursery-classes",
            ATSEM,
            format!(
                "{atsem} ATSEM pour {nc} classe(s) de maternelle\u{a0}: il ne peut pas y \
                     avoir plus d'ATSEM que de classes de maternelle."
            ),
            format!(
                "{atsem} ATSEM for {nc} nursery class(es): there cannot be more ATSEM \
                     than nursery classes."
            ),
        ));
    }
    if let (Some(nc), Some(c)) = (nursery_classes, classes)
        && nc > c
    {
        out.push(error(
            "nursery-classes-exceed-classes",
            NURSERY_CLASSES,
            format!(
                "{nc} classes de maternelle pour {c} classes en tout\u{a0}: les classes de \
                     maternelle font partie du total."
            ),
            format!(
                "{nc} nursery classes out of {c} classes in all: nursery classes are part \
                     of the total."
            ),
        ));
    }
    if let (Some(p), Some(c)) = (pupils, classes) {
        if c > 0 && p < c {
            out.push(error(
                "fewer-pupils-than-classes",
                PUPILS,
                format!("{p} élève(s) pour {c} classes\u{a0}: chaque classe a au moins un élève."),
                format!("{p} pupil(s) for {c} classes: every class has at least one pupil."),
            ));
        }
        if c == 0 && p > 0 {
            out.push(error(
                "pupils-without-classes",
                CLASSES,
                format!("{p} élèves mais aucune classe\u{a0}: indiquez le nombre de classes."),
                format!("{p} pupils but no class: give the number of classes."),
            ));
        }
        if c > 0 && p as f64 / c as f64 > CROWDED_CLASS {
            out.push(warning(
                "crowded-classes",
                PUPILS,
                format!(
                    "Plus de {CROWDED_CLASS} élèves par classe en moyenne\u{a0}: vérifiez les \
                     chiffres."
                ),
                format!("More than {CROWDED_CLASS} pupils per class on average: please check."),
            ));
        }
    }
    if let (Some(nursery), Some(elementary), Some(total)) =
        (nursery_pupils, r.integer(ELEMENTARY_PUPILS), pupils)
    {
        let ulis = r.integer(ULIS_PUPILS).unwrap_or(0);
        let sum = nursery + elementary + ulis;
        if sum > total {
            out.push(error(
                "pupil-breakdown-exceeds-total",
                PUPILS,
                format!(
                    "Maternelle ({nursery}) + élémentaire ({elementary}) + ULIS ({ulis}) = \
                     {sum}, plus que le total de {total} élèves."
                ),
                format!(
                    "Nursery ({nursery}) + elementary ({elementary}) + ULIS ({ulis}) = {sum}, \
                     more than the total of {total} pupils."
                ),
            ));
        } else if sum < total && r.has(ULIS_PUPILS) {
            out.push(warning(
                "pupil-breakdown-incomplete",
                PUPILS,
                format!(
                    "Maternelle + élémentaire + ULIS = {sum}, moins que le total de {total} \
                     élèves."
                ),
                format!(
                    "Nursery + elementary + ULIS = {sum}, less than the total of {total} pupils."
                ),
            ));
        }
    }
    if r.boolean(REP) == Some(true) && r.boolean(REP_PLUS) == Some(true) {
        out.push(error(
            "rep-and-rep-plus",
            REP_PLUS,
            "Une école est en REP ou en REP+, pas les deux.".to_string(),
            "A school is in REP or in REP+, not both.".to_string(),
        ));
    }
    if let (Some(np), Some(0)) = (nursery_pupils, nursery_classes)
        && np > 0
    {
        out.push(warning(
            "nursery-pupils-without-nursery-class",
            NURSERY_CLASSES,
            format!("{np} élèves de maternelle mais aucune classe de maternelle indiquée."),
            format!("{np} nursery pupils but no nursery class given."),
        ));
    }
    if let (Some(a), Some(0)) = (atsem, nursery_pupils)
        && a > 0
    {
        out.push(warning(
            "atsem-without-nursery-pupils",
            ATSEM,
            format!("{a} ATSEM alors que l'école n'a aucun élève de maternelle."),
            format!("{a} ATSEM although the school has no nursery pupil."),
        ));
    }
    if r.has(FIRE_SAFETY_OPINION) && !r.has(FIRE_SAFETY_VISIT) {
        out.push(warning(
            "fire-safety-opinion-without-date",
            FIRE_SAFETY_VISIT,
            "Indiquez la date de la visite qui a rendu cet avis.".to_string(),
            "Give the date of the inspection that gave this opinion.".to_string(),
        ));
    }
    if let (Some(date), Some(start)) = (r.date(ASBESTOS_SURVEY), r.vintage_start_year()) {
        let year: i32 = date.get(..4).and_then(|y| y.parse().ok()).unwrap_or(start);
        if year > start + 1 {
            out.push(warning(
                "survey-after-school-year",
                ASBESTOS_SURVEY,
                format!(
                    "Diagnostic daté de {year}, après l'année scolaire {}.",
                    r.vintage
                ),
                format!("Survey dated {year}, after the {} school year.", r.vintage),
            ));
        }
    }
    out
}

/// Years between the asbestos survey and the start of the school year.
pub(crate) fn custom_indicators(r: &Record<'_>) -> Vec<IndicatorValue> {
    let survey_year = r
        .date(ASBESTOS_SURVEY)
        .and_then(|d| d.get(..4))
        .and_then(|y| y.parse::<i32>().ok());
    match (survey_year, r.vintage_start_year()) {
        (Some(survey), Some(start)) if survey <= start => vec![IndicatorValue {
            key: "asbestos-survey-age".to_string(),
            value: f64::from(start - survey),
        }],
        _ => Vec::new(),
    }
}
