//! Badge pages of a collective:
//!
//! - `/t/{slug}/badges`: every badge, its levels and holders and how it is earned (rules are
//!   public); for a signed-in visitor, where they stand and the goal of each next level (the
//!   levels they had not seen yet are marked new, then seen); for a Garant, the form granting
//!   a manual badge;
//! - `/t/{slug}/accounts/{pseudonym}`: an account's public page of badges, naming it by its
//!   pseudonym only (as the journals do: never its display name or address);
//! - `/t/{slug}/badges/configure`: the Guru's form creating or changing a badge, with the
//!   preview of what its rule would award;
//! - `/t/{slug}/badges/{key}/visual.svg`: its image, bundled or uploaded (sanitized), always
//!   served as an image that cannot run anything.
//!
//! The forms call the use cases the JSON API calls (`…/badges`); the rights are theirs.

use minijinja::{Value, context};
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use vigie_domain::badges::level_name;
use vigie_domain::notify::Language;
use vigie_http::Caller;
use vigie_services::{Actor, BadgeInput, BadgeSummary, EarnedBadge, RulePreview, ServiceError};
use vigie_storage::badge_rules::VIEWS;

use crate::WebState;
use crate::admin::{Fields, field, form_error, is_refusal, see_other, sign_in_first, typed};
use crate::i18n::Lang;
use crate::page::Page;

/// The words of these pages, French and English.
const WORDS: &[(&str, &str, &str)] = &[
    ("title", "Badges", "Badges"),
    (
        "intro",
        "Les badges sont la seule récompense de celles et ceux qui agissent. Chacun se gagne \
         par niveaux ; un niveau atteint est acquis pour de bon.",
        "Badges are the only reward of those who act. Each is earned by levels; a level \
         reached is kept for good.",
    ),
    ("mine", "Mes badges", "My badges"),
    ("profile", "Badges de", "Badges of"),
    ("my_page", "Ma page publique", "My public page"),
    (
        "profile_privacy",
        "Cette page nomme le compte par son pseudonyme, comme les journaux : ni nom, ni adresse.",
        "This page names the account by its pseudonym, as the journals do: no name, no address.",
    ),
    (
        "none_yet",
        "Pas encore de badge dans ce collectif.",
        "No badge in this collective yet.",
    ),
    ("since", "depuis le", "since"),
    ("new", "Nouveau !", "New!"),
    ("not_yet", "Pas encore", "Not yet"),
    ("goal", "Prochain objectif", "Next goal"),
    (
        "top",
        "Dernier niveau atteint, bravo !",
        "Last level reached, well done!",
    ),
    ("levels", "Niveaux", "Levels"),
    ("holders", "titulaires", "holders"),
    ("how", "Comment l'obtenir", "How to earn it"),
    (
        "manual",
        "Attribué à la main par un garant, avec une raison publique.",
        "Granted by hand by a Garant, with a public reason.",
    ),
    ("rule", "Règle (SQL, publique)", "Rule (SQL, public)"),
    ("award", "Attribuer", "Grant"),
    (
        "account",
        "Compte (pseudonyme public, account:…)",
        "Account (public pseudonym, account:…)",
    ),
    ("reason", "Raison (publique)", "Reason (public)"),
    ("level", "Niveau", "Level"),
    ("awarded", "Le badge est attribué.", "The badge is granted."),
    (
        "already",
        "Ce compte avait déjà ce niveau.",
        "This account already had this level.",
    ),
    ("configure", "Configurer les badges", "Configure the badges"),
    ("edit", "Modifier", "Change"),
    ("new_badge", "Nouveau badge", "New badge"),
    ("key", "Clé", "Key"),
    ("name_fr", "Nom (français)", "Name (French)"),
    ("name_en", "Nom (anglais)", "Name (English)"),
    (
        "description_fr",
        "Description (français)",
        "Description (French)",
    ),
    (
        "description_en",
        "Description (anglais)",
        "Description (English)",
    ),
    (
        "unit_fr",
        "Ce que compte le score (français)",
        "What the score counts (French)",
    ),
    (
        "unit_en",
        "Ce que compte le score (anglais)",
        "What the score counts (English)",
    ),
    ("visual", "Visuel", "Visual"),
    (
        "visual_svg",
        "Ou un SVG à vous (nettoyé : ni script, ni lien)",
        "Or an SVG of your own (cleaned: no script, no link)",
    ),
    (
        "levels_help",
        "Seuils croissants, par exemple 1, 5, 10, 30, 60",
        "Increasing thresholds, e.g. 1, 5, 10, 30, 60",
    ),
    (
        "rule_help",
        "Un SELECT qui renvoie user_id et score, sur les vues ci-dessous. Vide : badge attribué à la main.",
        "A SELECT returning user_id and score, over the views below. Empty: a badge granted by hand.",
    ),
    ("views", "Vues disponibles", "Views available"),
    ("preview", "Prévisualiser", "Preview"),
    ("save", "Enregistrer", "Save"),
    ("retire", "Retirer", "Retire"),
    ("retired", "retiré", "retired"),
    ("restore", "Rétablir", "Restore"),
    (
        "preview_title",
        "Ce que la règle attribuerait maintenant",
        "What the rule would award now",
    ),
    ("accounts", "comptes", "accounts"),
    ("scored", "comptes ont un score", "accounts have a score"),
    ("cost", "Durée de la requête", "Query time"),
    ("saved", "Le badge est enregistré.", "The badge is saved."),
    ("back", "Retour aux badges", "Back to the badges"),
    (
        "docs",
        "Documentation : docs/badges.md (vues, exemples, bac à sable).",
        "Documentation: docs/badges.md (views, examples, sandbox).",
    ),
];

fn words(lang: Lang) -> Value {
    crate::i18n::page_words(WORDS, lang)
}

fn word(lang: Lang, key: &str) -> &'static str {
    crate::i18n::page_word(WORDS, lang, key)
}

fn language(lang: Lang) -> Language {
    if lang == Lang::Fr {
        Language::Fr
    } else {
        Language::En
    }
}

fn summary_ctx(lang: Lang, slug: &str, s: &BadgeSummary) -> Value {
    let b = &s.badge;
    let l = language(lang);
    context! {
        key => &b.key,
        name => l.pick(&b.name_fr, &b.name_en),
        description => l.pick(&b.description_fr, &b.description_en),
        visual_url => format!("/t/{slug}/badges/{}/visual.svg", b.key),
        rule => &b.rule,
        retired => b.retired_at.is_some(),
        levels => s.levels.thresholds().iter().enumerate().map(|(i, t)| context! {
            name => level_name(i as u32 + 1, l),
            threshold => t,
            holders => s.holders.get(i).copied().unwrap_or(0),
        }).collect::<Vec<_>>(),
    }
}

fn earned_ctx(lang: Lang, slug: &str, e: &EarnedBadge) -> Value {
    let l = language(lang);
    let b = &e.badge;
    context! {
        key => &b.key,
        name => l.pick(&b.name_fr, &b.name_en),
        visual_url => format!("/t/{slug}/badges/{}/visual.svg", b.key),
        level => e.level,
        level_name => (e.level > 0).then(|| level_name(e.level, l)),
        new => e.awards.iter().any(|a| !a.seen),
        goal => e.goal_text(l),
        top => e.level as usize == e.levels.count(),
        reasons => e.awards.iter().filter_map(|a| a.reason.clone()).collect::<Vec<_>>(),
        since => e.awards.last().map(|a| a.at.date().to_string()),
    }
}

/// The page, with what was just done or refused.
async fn render(
    page: &Page<'_>,
    slug: &str,
    error: Option<(StatusCode, String)>,
    flash: Option<String>,
) -> Response {
    let services = page.services();
    let loaded = async {
        let tenant = services.tenant(slug).await?;
        let badges = services.badges(&tenant).await?;
        let mine = match &page.caller.user {
            Some(u) => Some(services.badges_of(&tenant, u.id).await?),
            None => None,
        };
        Ok::<_, ServiceError>((tenant, badges, mine))
    }
    .await;
    let (tenant, badges, mine) = match loaded {
        Ok(l) => l,
        Err(e) => return page.error_page(&e),
    };
    let principal = page.caller.principal();
    let can_configure = services
        .may_configure_badges(Actor::Principal(&principal), &tenant)
        .await;
    let can_award = page.caller.user.is_some()
        && services
            .may_award_badges(Actor::Principal(&principal), &tenant)
            .await;
    if let (Some(u), Some(shown)) = (&page.caller.user, &mine) {
        // Shown once as new, then seen (only what this page shows).
        let _ = services.mark_badges_seen(u.id, shown).await;
    }
    let lang = page.lang;
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    page.render(
        status,
        "badges.html",
        context! {
            tenant => page.tenant_ctx(&tenant),
            w => words(lang),
            badges => badges.iter().map(|b| summary_ctx(lang, tenant.slug.as_str(), b)).collect::<Vec<_>>(),
            manual => badges.iter().filter(|b| b.badge.rule.is_none()).map(|b| context! {
                key => &b.badge.key,
                name => language(lang).pick(&b.badge.name_fr, &b.badge.name_en),
            }).collect::<Vec<_>>(),
            mine => mine.map(|m| m.iter().map(|e| earned_ctx(lang, tenant.slug.as_str(), e)).collect::<Vec<_>>()),
            can_configure => can_configure,
            can_award => can_award,
            my_page => page.caller.user.as_ref().map(|u| u.pseudonym.journal_ref()),
            error => error.map(|(_, t)| t),
            flash => flash,
        },
    )
}

/// `GET /t/:slug/badges`.
#[handler]
pub async fn badges_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let flash = req.uri().query().and_then(|q| {
        q.split('&').find_map(|p| match p {
            "done=awarded" => Some(word(page.lang, "awarded").to_owned()),
            "done=already" => Some(word(page.lang, "already").to_owned()),
            "done=saved" => Some(word(page.lang, "saved").to_owned()),
            _ => None,
        })
    });
    render(&page, &slug, None, flash).await
}

/// `GET /t/:slug/accounts/:pseudonym`: the badges an account earned in the collective, with
/// their levels and the reasons of manual ones.
#[handler]
pub async fn account_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path((slug, pseudonym)): Path<(String, String)>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let loaded = async {
        let tenant = services.tenant(&slug).await?;
        let user = services.account_by_pseudonym(&pseudonym).await?;
        let earned = services.badges_of(&tenant, user).await?;
        Ok::<_, ServiceError>((tenant, user, earned))
    }
    .await;
    let (tenant, user, earned) = match loaded {
        Ok(l) => l,
        Err(e) => return page.error_page(&e),
    };
    let lang = page.lang;
    let shown = earned
        .iter()
        .filter(|e| e.level > 0)
        .map(|e| {
            let mut ctx = earned_ctx(lang, tenant.slug.as_str(), e);
            // Goals and "new" are the account's own business.
            if page.caller.user.as_ref().map(|u| u.id) != Some(user) {
                ctx = context! { goal => (), new => false, top => false, ..ctx };
            }
            ctx
        })
        .collect::<Vec<_>>();
    page.render(
        StatusCode::OK,
        "badge_account.html",
        context! {
            tenant => page.tenant_ctx(&tenant),
            w => words(lang),
            pseudonym => pseudonym_ref(&pseudonym),
            earned => shown,
        },
    )
}

/// The pseudonym as the journals write it.
fn pseudonym_ref(raw: &str) -> String {
    let raw = raw.trim();
    if raw.starts_with("account:") {
        raw.to_owned()
    } else {
        format!("account:{raw}")
    }
}

/// `POST /t/:slug/badges/award` (`badge`, `account`, `level`, `reason`): a Garant grants a
/// manual badge.
#[handler]
pub async fn award(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/badges"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let result = async {
        let tenant = services.tenant(&slug).await?;
        let level = field(&fields, "level").trim().parse::<u32>().ok();
        services
            .award_badge(
                Actor::Principal(&page.caller.principal()),
                &tenant,
                field(&fields, "badge"),
                field(&fields, "account"),
                level,
                field(&fields, "reason"),
            )
            .await
    }
    .await;
    match result {
        Ok(true) => see_other(&format!("/t/{slug}/badges?done=awarded")),
        Ok(false) => see_other(&format!("/t/{slug}/badges?done=already")),
        Err(e) if is_refusal(&e) => page.error_page(&e),
        Err(e) => render(&page, &slug, Some(form_error(&page, &e)), None).await,
    }
}

fn preview_ctx(lang: Lang, p: &RulePreview) -> Value {
    let l = language(lang);
    context! {
        levels => p.levels.iter().map(|(level, threshold, n)| context! {
            name => level_name(*level, l), threshold => threshold, accounts => n,
        }).collect::<Vec<_>>(),
        scored => p.scored,
        elapsed_ms => p.elapsed_ms,
    }
}

/// The configuration page: every badge (retired ones too), the form (filled with `form`),
/// a preview, what was refused.
async fn render_configure(
    page: &Page<'_>,
    slug: &str,
    form: Option<Fields>,
    editing: Option<String>,
    preview: Option<RulePreview>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let services = page.services();
    let loaded = async {
        let tenant = services.tenant(slug).await?;
        let badges = services
            .all_badges(Actor::Principal(&page.caller.principal()), &tenant)
            .await?;
        Ok::<_, ServiceError>((tenant, badges))
    }
    .await;
    let (tenant, badges) = match loaded {
        Ok(l) => l,
        Err(e) => return page.error_page(&e),
    };
    let lang = page.lang;
    // Editing a badge without a form yet: its stored values.
    let form = form.or_else(|| {
        let key = editing.as_deref()?;
        let b = &badges.iter().find(|b| b.badge.key == key)?.badge;
        Some(vec![
            ("key".into(), b.key.clone()),
            ("name_fr".into(), b.name_fr.clone()),
            ("name_en".into(), b.name_en.clone()),
            ("description_fr".into(), b.description_fr.clone()),
            ("description_en".into(), b.description_en.clone()),
            ("unit_fr".into(), b.unit_fr.clone()),
            ("unit_en".into(), b.unit_en.clone()),
            ("visual".into(), b.visual.clone()),
            ("levels".into(), vigie_services::levels_text(b)),
            ("rule".into(), b.rule.clone().unwrap_or_default()),
        ])
    });
    let status = error.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    page.render(
        status,
        "badges_configure.html",
        context! {
            tenant => page.tenant_ctx(&tenant),
            w => words(lang),
            badges => badges.iter().map(|b| summary_ctx(lang, tenant.slug.as_str(), b)).collect::<Vec<_>>(),
            form => form.as_ref().map(typed),
            editing => editing,
            visuals => vigie_domain::badges::BUNDLED_VISUALS.to_vec(),
            views => VIEWS.iter().map(|v| context! { name => v.name, columns => v.columns.join(", ") }).collect::<Vec<_>>(),
            preview => preview.as_ref().map(|p| preview_ctx(lang, p)),
            error => error.map(|(_, t)| t),
        },
    )
}

/// `GET /t/:slug/badges/configure[?key=KEY]`.
#[handler]
pub async fn configure_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/badges/configure"));
    }
    let page = Page::new(&state, req, caller);
    let editing = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "key")
            .map(|(_, v)| v.into_owned())
    });
    render_configure(&page, &slug, None, editing, None, None).await
}

/// `POST /t/:slug/badges/configure`: `action` = `preview`, `save`, `retire` or `restore`;
/// `editing` names the badge being changed (empty: a new one).
#[handler]
pub async fn configure(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if caller.user.is_none() {
        return sign_in_first(&format!("/t/{slug}/badges/configure"));
    }
    let page = Page::new(&state, req, caller);
    let services = page.services();
    let principal = page.caller.principal();
    let actor = Actor::Principal(&principal);
    let tenant = match services.tenant(&slug).await {
        Ok(t) => t,
        Err(e) => return page.error_page(&e),
    };
    let editing = Some(field(&fields, "editing").to_owned()).filter(|k| !k.is_empty());
    let action = field(&fields, "action");
    let result = match action {
        "preview" => services
            .preview_badge_rule(
                actor,
                &tenant,
                field(&fields, "rule"),
                field(&fields, "levels"),
            )
            .await
            .map(Some),
        "retire" | "restore" => {
            let key = field(&fields, "key");
            return match services
                .retire_badge(actor, &tenant, key, action == "retire")
                .await
            {
                Ok(()) => see_other(&format!("/t/{slug}/badges/configure")),
                Err(e) => page.error_page(&e),
            };
        }
        _ => {
            let input = BadgeInput {
                key: field(&fields, "key").to_owned(),
                name_fr: field(&fields, "name_fr").to_owned(),
                name_en: field(&fields, "name_en").to_owned(),
                description_fr: field(&fields, "description_fr").to_owned(),
                description_en: field(&fields, "description_en").to_owned(),
                unit_fr: field(&fields, "unit_fr").to_owned(),
                unit_en: field(&fields, "unit_en").to_owned(),
                visual: field(&fields, "visual").to_owned(),
                visual_svg: Some(field(&fields, "visual_svg").as_bytes().to_vec())
                    .filter(|b| !b.is_empty()),
                levels: field(&fields, "levels").to_owned(),
                rule: Some(field(&fields, "rule").to_owned()),
            };
            match services
                .save_badge(actor, &tenant, editing.as_deref(), input)
                .await
            {
                Ok(_) => return see_other(&format!("/t/{slug}/badges?done=saved")),
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(preview) => render_configure(&page, &slug, Some(fields), editing, preview, None).await,
        Err(e) if is_refusal(&e) => page.error_page(&e),
        Err(e) => {
            let error = form_error(&page, &e);
            render_configure(&page, &slug, Some(fields), editing, None, Some(error)).await
        }
    }
}

/// `GET /t/:slug/badges/:key/visual.svg`: the badge's image, bundled or sanitized, served so
/// that it can only ever be an image.
#[handler]
pub async fn visual(state: Data<&WebState>, Path((slug, key)): Path<(String, String)>) -> Response {
    let services = &state.services;
    let found = async {
        let tenant = services.tenant(&slug).await?;
        services.badge(&tenant, &key).await
    }
    .await;
    let Ok(badge) = found else {
        return Response::builder().status(StatusCode::NOT_FOUND).finish();
    };
    let svg = match badge.visual_svg {
        Some(svg) if badge.visual == "custom" => svg,
        _ => crate::badge_art::bundled(&badge.visual).to_owned(),
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "image/svg+xml")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        )
        .header(header::CACHE_CONTROL, "public, max-age=300")
        .body(svg)
}
