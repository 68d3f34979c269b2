//! Badges of a collective:
//!
//! - `GET /tenants/{slug}/badges`: every badge with its levels, rule and holders (public);
//! - `POST /tenants/{slug}/badges`, `PUT …/badges/{key}`, `DELETE …/badges/{key}` (retire):
//!   the Guru's configuration; `POST …/badges/preview`: what a rule would award;
//! - `POST …/badges/{key}/awards`: a Garant grants a manual badge with a reason;
//! - `GET /tenants/{slug}/me/badges`: where I stand, with the goal for each next level;
//! - `GET /tenants/{slug}/accounts/{pseudonym}/badges`: what an account earned (public).

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, payload::Json};
use vigie_domain::UserId;
use vigie_domain::badges::level_name;
use vigie_domain::notify::Language;
use vigie_services::{Actor, BadgeInput, BadgeSummary, EarnedBadge, RulePreview};
use vigie_storage::BadgeRecord;

use crate::session::Caller;
use crate::{ApiError, ApiState, ApiTags};

/// A badge.
#[derive(Debug, Object)]
pub struct BadgeView {
    /// Key, unique in the collective.
    pub key: String,
    /// Name, French.
    pub name_fr: String,
    /// Name, English.
    pub name_en: String,
    /// Description, French.
    pub description_fr: String,
    /// Description, English.
    pub description_en: String,
    /// What the score counts, French.
    pub unit_fr: String,
    /// What the score counts, English.
    pub unit_en: String,
    /// Where its image is (always an image, SVG).
    pub visual_url: String,
    /// The bundled visual's name, or `custom`.
    pub visual: String,
    /// The score each level needs.
    pub levels: Vec<i64>,
    /// `rule` or `manual`.
    pub earned: String,
    /// The rule (a SELECT over the documented views), public.
    pub rule: Option<String>,
    /// Moves each time the rule changes.
    pub rule_version: i64,
    /// Accounts at each level (their highest), level 1 first.
    pub holders: Vec<i64>,
    /// Whether it is retired (no longer earned; stays where it was).
    pub retired: bool,
}

fn visual_url(slug: &str, b: &BadgeRecord) -> String {
    format!("/t/{slug}/badges/{}/visual.svg", b.key)
}

fn badge_view(slug: &str, s: BadgeSummary) -> BadgeView {
    let b = s.badge;
    BadgeView {
        visual_url: visual_url(slug, &b),
        levels: s.levels.thresholds().to_vec(),
        earned: if b.rule.is_some() { "rule" } else { "manual" }.to_owned(),
        holders: s.holders,
        retired: b.retired_at.is_some(),
        key: b.key,
        name_fr: b.name_fr,
        name_en: b.name_en,
        description_fr: b.description_fr,
        description_en: b.description_en,
        unit_fr: b.unit_fr,
        unit_en: b.unit_en,
        visual: b.visual,
        rule: b.rule,
        rule_version: b.rule_version,
    }
}

/// A badge as the Guru writes it.
#[derive(Debug, Object)]
pub struct BadgeBody {
    /// Key (`a-z`, digits, `-`, `_`); ignored by `PUT` (a key stays).
    #[oai(default)]
    pub key: String,
    /// Name, French.
    pub name_fr: String,
    /// Name, English.
    pub name_en: String,
    /// Description, French.
    #[oai(default)]
    pub description_fr: String,
    /// Description, English.
    #[oai(default)]
    pub description_en: String,
    /// What the score counts, French (« contributions acceptées »); required with a rule.
    #[oai(default)]
    pub unit_fr: String,
    /// What the score counts, English.
    #[oai(default)]
    pub unit_en: String,
    /// A bundled visual: star, shield, megaphone, hand, check, pin, book, heart.
    #[oai(default)]
    pub visual: String,
    /// Or an SVG of your own (sanitized: no script, style, link or external reference).
    pub visual_svg: Option<String>,
    /// Thresholds, increasing: `"1, 5, 10, 30, 60"`.
    pub levels: String,
    /// A SELECT returning `user_id` and `score` over the views of `docs/badges.md`; leave
    /// it out for a badge Garants grant by hand.
    pub rule: Option<String>,
}

impl From<BadgeBody> for BadgeInput {
    fn from(b: BadgeBody) -> Self {
        BadgeInput {
            key: b.key,
            name_fr: b.name_fr,
            name_en: b.name_en,
            description_fr: b.description_fr,
            description_en: b.description_en,
            unit_fr: b.unit_fr,
            unit_en: b.unit_en,
            visual: b.visual,
            visual_svg: b.visual_svg.map(String::into_bytes),
            levels: b.levels,
            rule: b.rule,
        }
    }
}

/// A rule to try.
#[derive(Debug, Object)]
pub struct PreviewBody {
    /// The rule.
    pub rule: String,
    /// Thresholds: `"1, 5, 10"`.
    pub levels: String,
}

/// One level in a preview.
#[derive(Debug, Object)]
pub struct PreviewLevel {
    /// The level.
    pub level: u32,
    /// Its threshold.
    pub threshold: i64,
    /// Accounts that would be at this level (their highest).
    pub accounts: u64,
}

/// What a rule would award now.
#[derive(Debug, Object)]
pub struct PreviewView {
    /// Each level.
    pub levels: Vec<PreviewLevel>,
    /// Accounts the rule scored.
    pub scored: u64,
    /// How long it ran (ms): its cost.
    pub elapsed_ms: u64,
}

impl From<RulePreview> for PreviewView {
    fn from(p: RulePreview) -> Self {
        Self {
            levels: p
                .levels
                .into_iter()
                .map(|(level, threshold, n)| PreviewLevel {
                    level,
                    threshold,
                    accounts: n as u64,
                })
                .collect(),
            scored: p.scored as u64,
            elapsed_ms: p.elapsed_ms,
        }
    }
}

/// A manual badge to grant.
#[derive(Debug, Object)]
pub struct AwardBody {
    /// The account, by its public pseudonym (`account:7f3c…`, as journals name it).
    pub account: String,
    /// The level (default: the next one).
    pub level: Option<u32>,
    /// Why, shown publicly (3 to 500 characters).
    pub reason: String,
}

/// Whether a grant added a level.
#[derive(Debug, Object)]
pub struct AwardResult {
    /// `false` when the account already had it.
    pub added: bool,
}

/// A level reached.
#[derive(Debug, Object)]
pub struct AwardView {
    /// The level.
    pub level: i64,
    /// When, RFC 3339.
    pub at: String,
    /// Why (manual badges).
    pub reason: Option<String>,
    /// Who granted it (manual badges), by public name.
    pub granted_by: Option<String>,
}

/// The next level and what it takes.
#[derive(Debug, Object)]
pub struct GoalView {
    /// The level.
    pub level: u32,
    /// How much more the score needs.
    pub missing: i64,
    /// In French: « Encore 3 contributions acceptées pour Contributeur argent ».
    pub text_fr: String,
    /// In English.
    pub text_en: String,
}

/// Where an account stands in a badge.
#[derive(Debug, Object)]
pub struct EarnedView {
    /// The badge's key.
    pub key: String,
    /// Name, French.
    pub name_fr: String,
    /// Name, English.
    pub name_en: String,
    /// Its image.
    pub visual_url: String,
    /// The level reached (0: not yet).
    pub level: u32,
    /// The level's name, French (bronze, argent, or…).
    pub level_fr: Option<String>,
    /// The level's name, English.
    pub level_en: Option<String>,
    /// How many levels it has.
    pub levels: u32,
    /// The score now (rule badges; only in my own badges).
    pub score: Option<i64>,
    /// The next goal (only in my own badges).
    pub goal: Option<GoalView>,
    /// The levels reached.
    pub awards: Vec<AwardView>,
}

fn earned_view(slug: &str, e: EarnedBadge, mine: bool) -> EarnedView {
    let goal = if mine {
        e.goal.map(|g| GoalView {
            level: g.level,
            missing: g.missing,
            text_fr: e.goal_text(Language::Fr).unwrap_or_default(),
            text_en: e.goal_text(Language::En).unwrap_or_default(),
        })
    } else {
        None
    };
    let named = |lang| (e.level > 0).then(|| level_name(e.level, lang));
    EarnedView {
        key: e.badge.key.clone(),
        name_fr: e.badge.name_fr.clone(),
        name_en: e.badge.name_en.clone(),
        visual_url: visual_url(slug, &e.badge),
        level: e.level,
        level_fr: named(Language::Fr),
        level_en: named(Language::En),
        levels: e.levels.count() as u32,
        score: if mine { e.score } else { None },
        goal,
        awards: e
            .awards
            .into_iter()
            .map(|a| AwardView {
                level: a.level,
                at: vigie_storage::timestamp(a.at),
                reason: a.reason,
                granted_by: a.granted_by_name,
            })
            .collect(),
    }
}

pub struct BadgesApi;

#[OpenApi(tag = "ApiTags::Collectives")]
impl BadgesApi {
    /// Badges of a collective
    ///
    /// Every badge with its levels, how it is earned (its rule is public) and how many
    /// accounts hold each level.
    #[oai(
        path = "/tenants/:slug/badges",
        method = "get",
        operation_id = "list_badges"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
    ) -> Result<Json<Vec<BadgeView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let badges = state.services.badges(&tenant).await?;
        Ok(Json(
            badges
                .into_iter()
                .map(|b| badge_view(tenant.slug.as_str(), b))
                .collect(),
        ))
    }

    /// Create a badge (a Guru)
    ///
    /// A rule badge is refused unless its rule passes the sandbox and runs; it is then
    /// computed for everyone.
    #[oai(
        path = "/tenants/:slug/badges",
        method = "post",
        operation_id = "create_badge"
    )]
    async fn create(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        body: Json<BadgeBody>,
    ) -> Result<Json<BadgeView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let me = caller.principal();
        let badge = state
            .services
            .save_badge(Actor::Principal(&me), &tenant, None, body.0.into())
            .await?;
        self.one(&state, &tenant, &badge.key).await
    }

    /// Change a badge (a Guru)
    #[oai(
        path = "/tenants/:slug/badges/:key",
        method = "put",
        operation_id = "update_badge"
    )]
    async fn update(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        key: Path<String>,
        body: Json<BadgeBody>,
    ) -> Result<Json<BadgeView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let me = caller.principal();
        state
            .services
            .save_badge(Actor::Principal(&me), &tenant, Some(&key), body.0.into())
            .await?;
        self.one(&state, &tenant, &key).await
    }

    /// Retire a badge (a Guru)
    ///
    /// It is no longer earned and stays on the profiles that earned it.
    #[oai(
        path = "/tenants/:slug/badges/:key",
        method = "delete",
        operation_id = "retire_badge"
    )]
    async fn retire(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        key: Path<String>,
    ) -> Result<Json<BadgeView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let me = caller.principal();
        state
            .services
            .retire_badge(Actor::Principal(&me), &tenant, &key, true)
            .await?;
        self.one(&state, &tenant, &key).await
    }

    /// Preview a rule (a Guru)
    ///
    /// How many accounts would reach each level, and what the query costs; nothing is
    /// saved. A rule that is refused or fails says why (the database's own message).
    #[oai(
        path = "/tenants/:slug/badges/preview",
        method = "post",
        operation_id = "preview_badge_rule"
    )]
    async fn preview(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        body: Json<PreviewBody>,
    ) -> Result<Json<PreviewView>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let me = caller.principal();
        let preview = state
            .services
            .preview_badge_rule(Actor::Principal(&me), &tenant, &body.rule, &body.levels)
            .await?;
        Ok(Json(preview.into()))
    }

    /// Grant a badge by hand (a Garant)
    #[oai(
        path = "/tenants/:slug/badges/:key/awards",
        method = "post",
        operation_id = "award_badge"
    )]
    async fn award(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
        key: Path<String>,
        body: Json<AwardBody>,
    ) -> Result<Json<AwardResult>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let me = caller.principal();
        let added = state
            .services
            .award_badge(
                Actor::Principal(&me),
                &tenant,
                &key,
                &body.account,
                body.level,
                &body.reason,
            )
            .await?;
        Ok(Json(AwardResult { added }))
    }

    /// My badges in a collective
    ///
    /// Every badge with my level, my score and what the next level takes.
    #[oai(
        path = "/tenants/:slug/me/badges",
        method = "get",
        operation_id = "my_badges"
    )]
    async fn mine(
        &self,
        state: Data<&ApiState>,
        caller: Caller,
        slug: Path<String>,
    ) -> Result<Json<Vec<EarnedView>>, ApiError> {
        let user = caller.require_user()?.id;
        let tenant = state.services.tenant(&slug).await?;
        let earned = state.services.badges_of(&tenant, user).await?;
        Ok(Json(
            earned
                .into_iter()
                .map(|e| earned_view(tenant.slug.as_str(), e, true))
                .collect(),
        ))
    }

    /// An account's badges in a collective
    ///
    /// What the account (by its public pseudonym) earned: levels, when, and the reasons of
    /// manual badges.
    #[oai(
        path = "/tenants/:slug/accounts/:pseudonym/badges",
        method = "get",
        operation_id = "account_badges"
    )]
    async fn of_account(
        &self,
        state: Data<&ApiState>,
        slug: Path<String>,
        pseudonym: Path<String>,
    ) -> Result<Json<Vec<EarnedView>>, ApiError> {
        let tenant = state.services.tenant(&slug).await?;
        let user = account(&state, &pseudonym).await?;
        let earned = state.services.badges_of(&tenant, user).await?;
        Ok(Json(
            earned
                .into_iter()
                .filter(|e| e.level > 0)
                .map(|e| earned_view(tenant.slug.as_str(), e, false))
                .collect(),
        ))
    }
}

async fn account(state: &ApiState, pseudonym: &str) -> Result<UserId, ApiError> {
    Ok(state.services.account_by_pseudonym(pseudonym).await?)
}

impl BadgesApi {
    async fn one(
        &self,
        state: &ApiState,
        tenant: &vigie_storage::Tenant,
        key: &str,
    ) -> Result<Json<BadgeView>, ApiError> {
        let found = state.services.badge_summary(tenant, key).await?;
        Ok(Json(badge_view(tenant.slug.as_str(), found)))
    }
}
