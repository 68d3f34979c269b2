//! Badges: the Guru configures a collective's badges (with a preview of what a rule would
//! award), Garants grant the manual ones with a public reason, and the rules are computed
//! from history, for the whole collective when a rule changes and for one account right
//! after each of its actions (a background worker, [`Services::run_badge_worker`]). A level
//! reached is never taken back; reaching one tells its holder once, on the site and, if they
//! chose so, by e-mail.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vigie_domain::badges::{
    self, BUNDLED_VISUALS, BadgeKey, Goal, Levels, award_reason, checked_text, level_name,
};
use vigie_domain::notify::{Delivery, FollowEvent, Language};
use vigie_domain::{Bilingual, DomainError, Operation, Pseudonym, Scope, TenantId, UserId};
use vigie_storage::badge_rules::{CheckedRule, RuleError, check_rule};
use vigie_storage::{AwardRecord, BadgeDraft, BadgeRecord, NewAward, NewDigestItem, Tenant};

use crate::actor::Actor;
use crate::notices::{About, Letter, Recipient};
use crate::{ServiceError, Services};

/// A badge as the Guru writes it.
#[derive(Debug, Clone, Default)]
pub struct BadgeInput {
    /// Key (ignored when changing a badge: a key stays).
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
    /// A bundled visual, or `custom` with `visual_svg`.
    pub visual: String,
    /// An uploaded SVG (sanitized before it is kept).
    pub visual_svg: Option<Vec<u8>>,
    /// Thresholds: « 1, 5, 10 ».
    pub levels: String,
    /// The rule; empty or `None` for a manual badge.
    pub rule: Option<String>,
}

/// A badge of the collective with how many accounts hold each level.
#[derive(Debug, Clone)]
pub struct BadgeSummary {
    /// The badge.
    pub badge: BadgeRecord,
    /// Its levels.
    pub levels: Levels,
    /// Accounts at each level (index 0: level 1), at their highest level only.
    pub holders: Vec<i64>,
}

/// What a rule would award, before it is saved.
#[derive(Debug, Clone, Default)]
pub struct RulePreview {
    /// `(level, threshold, accounts that would reach it)`.
    pub levels: Vec<(u32, i64, usize)>,
    /// Accounts the rule scored.
    pub scored: usize,
    /// How long it ran, in milliseconds (its cost).
    pub elapsed_ms: u64,
}

/// A badge as one account stands in it: its level, score and the next goal.
#[derive(Debug, Clone)]
pub struct EarnedBadge {
    /// The badge.
    pub badge: BadgeRecord,
    /// Its levels.
    pub levels: Levels,
    /// The level reached (0: not yet).
    pub level: u32,
    /// The score now (rule badges).
    pub score: Option<i64>,
    /// The next level and what it takes (rule badges not at their last level).
    pub goal: Option<Goal>,
    /// The levels reached, with when and why.
    pub awards: Vec<AwardRecord>,
}

impl EarnedBadge {
    /// The goal in words: « Encore 3 contributions acceptées pour Contributeur argent ».
    pub fn goal_text(&self, lang: Language) -> Option<String> {
        let goal = self.goal?;
        let (name, unit) = match lang {
            Language::Fr => (&self.badge.name_fr, &self.badge.unit_fr),
            Language::En => (&self.badge.name_en, &self.badge.unit_en),
        };
        let level = level_name(goal.level, lang);
        Some(match lang {
            Language::Fr => format!("Encore {} {unit} pour {name} {level}", goal.missing),
            Language::En => format!("{} more {unit} for {level} {name}", goal.missing),
        })
    }
}

/// Accounts whose badges are to be computed again, by collective: filled by actions,
/// emptied by the worker.
#[derive(Debug, Default, Clone)]
pub(crate) struct BadgeQueue {
    pending: Arc<Mutex<HashSet<(i64, i64)>>>,
    wake: Arc<tokio::sync::Notify>,
}

/// The starter set every collective gets: `(key, name fr, name en, description fr,
/// description en, unit fr, unit en, visual, levels, rule)`. All are rules, so that they
/// serve as examples.
const STARTER: &[[&str; 10]] = &[
    [
        "first-contribution",
        "Première contribution",
        "First contribution",
        "A proposé une première information sur un lieu.",
        "Proposed a first fact about a place.",
        "contribution",
        "contribution",
        "star",
        "1",
        "SELECT user_id, COUNT(*) AS score FROM v_contributions GROUP BY user_id",
    ],
    [
        "contributor",
        "Contributeur",
        "Contributor",
        "Ses informations ont été vérifiées et acceptées.",
        "Their facts were checked and accepted.",
        "contributions acceptées",
        "accepted contributions",
        "check",
        "1, 5, 10, 30, 60",
        "SELECT user_id, COUNT(*) AS score FROM v_contributions WHERE outcome = 'accepted' GROUP BY user_id",
    ],
    [
        "reporter",
        "Rapporteur",
        "Reporter",
        "A signalé des problèmes à faire réparer.",
        "Reported problems to be fixed.",
        "demandes déposées",
        "requests filed",
        "megaphone",
        "1, 5, 10, 30, 60",
        "SELECT user_id, COUNT(*) AS score FROM v_requests \
         WHERE status NOT IN ('refused', 'set_apart') GROUP BY user_id",
    ],
    [
        "problem-solver",
        "Problèmes résolus",
        "Problems solved",
        "Ses demandes ont abouti : le problème est résolu.",
        "Their requests succeeded: the problem is solved.",
        "demandes résolues",
        "requests solved",
        "heart",
        "1, 5, 10, 30",
        "SELECT user_id, COUNT(*) AS score FROM v_requests WHERE status = 'solved' GROUP BY user_id",
    ],
    [
        "supporter",
        "Solidaire",
        "Supporter",
        "A appuyé les demandes des autres (« moi aussi »).",
        "Backed other people's requests (\"me too\").",
        "appuis",
        "supports",
        "hand",
        "1, 5, 10, 30, 60",
        "SELECT user_id, COUNT(*) AS score FROM v_supports GROUP BY user_id",
    ],
    [
        "certified",
        "Certifié",
        "Certified",
        "A vérifié des informations en tant que garant.",
        "Verified facts as a Garant.",
        "informations vérifiées",
        "verified facts",
        "shield",
        "1, 10, 50, 100",
        "SELECT user_id, COUNT(*) AS score FROM v_certifications GROUP BY user_id",
    ],
    [
        "local-relay",
        "Relais local",
        "Local relay",
        "A pris en charge des demandes jusqu'à leur résolution.",
        "Handled requests until they were solved.",
        "demandes prises en charge et résolues",
        "handled requests solved",
        "pin",
        "1, 5, 10, 30",
        "WITH handled AS (SELECT DISTINCT a.user_id, a.request_id FROM v_assignments a \
         JOIN v_requests r ON r.id = a.request_id WHERE r.status = 'solved') \
         SELECT user_id, COUNT(*) AS score FROM handled GROUP BY user_id",
    ],
];

fn rule_refused(e: RuleError) -> ServiceError {
    let fr = match &e {
        RuleError::Refused(_) => "Règle refusée : ",
        RuleError::Failed(_) => "La base de données refuse la règle : ",
        RuleError::TooSlow => "La règle a pris trop de temps et a été arrêtée : ",
    };
    ServiceError::Invalid(DomainError::Invalid {
        field: "rule",
        message: Bilingual::new(e.to_string()).fr(format!("{fr}{e}")),
    })
}

fn starter_draft(s: &[&str; 10]) -> BadgeDraft {
    BadgeDraft {
        key: s[0].into(),
        name_fr: s[1].into(),
        name_en: s[2].into(),
        description_fr: s[3].into(),
        description_en: s[4].into(),
        unit_fr: s[5].into(),
        unit_en: s[6].into(),
        visual: s[7].into(),
        visual_svg: None,
        levels: s[8].into(),
        rule: Some(s[9].into()),
    }
}

impl Services {
    async fn permit_badges(&self, actor: Actor<'_>, tenant: &Tenant) -> Result<(), ServiceError> {
        self.permit_for(
            actor,
            tenant,
            Scope::Tenant(tenant.slug.clone()),
            Operation::ConfigureBadges,
        )
        .await?;
        Ok(())
    }

    /// Gives every collective the starter badges it does not have yet (a retired one stays
    /// retired). Run at start-up and when a collective is created.
    pub async fn ensure_starter_badges(&self, tenant: TenantId) -> Result<usize, ServiceError> {
        let have: HashSet<String> = self
            .store
            .badges(tenant, true)
            .await?
            .into_iter()
            .map(|b| b.key)
            .collect();
        let mut added = 0;
        for s in STARTER {
            if have.contains(s[0]) {
                continue;
            }
            match self.store.insert_badge(tenant, &starter_draft(s)).await {
                Ok(_) => added += 1,
                // Another server added it meanwhile.
                Err(vigie_storage::StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(added)
    }

    /// The collective's badges (not retired) with their holders.
    pub async fn badges(&self, tenant: &Tenant) -> Result<Vec<BadgeSummary>, ServiceError> {
        self.badge_summaries(tenant, false).await
    }

    /// Every badge of the collective, retired ones too (the Guru's page).
    pub async fn all_badges(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
    ) -> Result<Vec<BadgeSummary>, ServiceError> {
        self.permit_badges(actor, tenant).await?;
        self.badge_summaries(tenant, true).await
    }

    /// Whether the actor may configure the collective's badges (to show the link).
    pub async fn may_configure_badges(&self, actor: Actor<'_>, tenant: &Tenant) -> bool {
        self.permit_badges(actor, tenant).await.is_ok()
    }

    async fn badge_summaries(
        &self,
        tenant: &Tenant,
        retired: bool,
    ) -> Result<Vec<BadgeSummary>, ServiceError> {
        let holders = self.store.badge_holders(tenant.id).await?;
        let mut out = Vec::new();
        for badge in self.store.badges(tenant.id, retired).await? {
            let Ok(levels) = Levels::parse(&badge.levels) else {
                continue;
            };
            let counts = (1..=levels.count() as i64)
                .map(|l| holders.get(&(badge.id, l)).copied().unwrap_or(0))
                .collect();
            out.push(BadgeSummary {
                badge,
                levels,
                holders: counts,
            });
        }
        Ok(out)
    }

    /// One badge of the collective, retired or not, with its holders.
    pub async fn badge_summary(
        &self,
        tenant: &Tenant,
        key: &str,
    ) -> Result<BadgeSummary, ServiceError> {
        let badge = self.badge(tenant, key).await?;
        let levels = Levels::parse(&badge.levels)?;
        let holders = self.store.badge_holders(tenant.id).await?;
        let counts = (1..=levels.count() as i64)
            .map(|l| holders.get(&(badge.id, l)).copied().unwrap_or(0))
            .collect();
        Ok(BadgeSummary {
            badge,
            levels,
            holders: counts,
        })
    }

    /// One badge of the collective.
    pub async fn badge(&self, tenant: &Tenant, key: &str) -> Result<BadgeRecord, ServiceError> {
        self.store
            .badge(tenant.id, key)
            .await?
            .ok_or(ServiceError::NotFound("badge"))
    }

    fn badge_draft(&self, input: &BadgeInput) -> Result<BadgeDraft, ServiceError> {
        let key = BadgeKey::parse(&input.key)?;
        let levels = Levels::parse(&input.levels)?;
        let visual = input.visual.trim();
        let visual_svg = match &input.visual_svg {
            Some(bytes) if !bytes.is_empty() => {
                Some(vigie_media::svg::sanitize(bytes).map_err(|e| {
                    ServiceError::Invalid(
                        DomainError::invalid("visual_svg", format!("this SVG cannot be used: {e}"))
                            .fr(format!("Ce SVG ne peut pas servir : {e}")),
                    )
                })?)
            }
            _ => None,
        };
        let visual = if visual_svg.is_some() {
            "custom".to_owned()
        } else if BUNDLED_VISUALS.contains(&visual) || visual == "custom" {
            visual.to_owned()
        } else {
            return Err(ServiceError::Invalid(
                DomainError::invalid(
                    "visual",
                    format!(
                        "pick one of {} or upload an SVG",
                        BUNDLED_VISUALS.join(", ")
                    ),
                )
                .fr(format!(
                    "Choisissez l'un des visuels {} ou envoyez un SVG.",
                    BUNDLED_VISUALS.join(", ")
                )),
            ));
        };
        let rule = input
            .rule
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        if let Some(rule) = &rule {
            check_rule(rule).map_err(rule_refused)?;
        }
        Ok(BadgeDraft {
            key: key.as_str().to_owned(),
            name_fr: checked_text("name_fr", &input.name_fr, 80, true)?,
            name_en: checked_text("name_en", &input.name_en, 80, true)?,
            description_fr: checked_text("description_fr", &input.description_fr, 500, false)?,
            description_en: checked_text("description_en", &input.description_en, 500, false)?,
            unit_fr: checked_text("unit_fr", &input.unit_fr, 60, rule.is_some())?,
            unit_en: checked_text("unit_en", &input.unit_en, 60, rule.is_some())?,
            visual,
            visual_svg,
            levels: levels.to_text(),
            rule,
        })
    }

    /// What a rule would award in the collective, without saving anything: accounts at each
    /// level and the query's cost. A rule that fails to parse or to run is refused with the
    /// database's message.
    pub async fn preview_badge_rule(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        rule: &str,
        levels: &str,
    ) -> Result<RulePreview, ServiceError> {
        self.permit_badges(actor, tenant).await?;
        let levels = Levels::parse(levels)?;
        let checked = check_rule(rule).map_err(rule_refused)?;
        let run = self
            .store
            .run_rule(tenant.id, &checked, None)
            .await
            .map_err(rule_refused)?;
        let mut counts = vec![0usize; levels.count()];
        for (_, score) in &run.scores {
            let level = levels.level_for(*score) as usize;
            if level > 0 {
                counts[level - 1] += 1;
            }
        }
        Ok(RulePreview {
            levels: levels
                .thresholds()
                .iter()
                .enumerate()
                .map(|(i, t)| (i as u32 + 1, *t, counts[i]))
                .collect(),
            scored: run.scores.len(),
            elapsed_ms: run.elapsed.as_millis() as u64,
        })
    }

    /// Creates a badge (`key` `None`) or changes one; a rule badge is then computed for the
    /// whole collective. A rule that does not run is refused before anything is saved.
    pub async fn save_badge(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: Option<&str>,
        mut input: BadgeInput,
    ) -> Result<BadgeRecord, ServiceError> {
        self.permit_badges(actor, tenant).await?;
        if let Some(key) = key {
            input.key = key.to_owned();
        }
        let draft = self.badge_draft(&input)?;
        if let Some(rule) = &draft.rule {
            let checked = check_rule(rule).map_err(rule_refused)?;
            self.store
                .run_rule(tenant.id, &checked, None)
                .await
                .map_err(rule_refused)?;
        }
        match key {
            None => {
                self.store.insert_badge(tenant.id, &draft).await?;
            }
            Some(key) => {
                let old = self.badge(tenant, key).await?;
                if draft.visual == "custom"
                    && draft.visual_svg.is_none()
                    && old.visual_svg.is_none()
                {
                    return Err(ServiceError::Invalid(
                        DomainError::invalid("visual_svg", "upload the SVG of the custom visual")
                            .fr("Envoyez le SVG du visuel personnalisé."),
                    ));
                }
                self.store.update_badge(tenant.id, key, &draft).await?;
            }
        }
        let badge = self.badge(tenant, &draft.key).await?;
        if let Err(e) = self.compute_badge(tenant.id, &badge, None).await {
            tracing::warn!(badge = %badge.key, error = %e, "computing a badge failed");
        }
        Ok(badge)
    }

    /// Retires a badge (or brings it back).
    pub async fn retire_badge(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &str,
        retired: bool,
    ) -> Result<(), ServiceError> {
        self.permit_badges(actor, tenant).await?;
        Ok(self
            .store
            .set_badge_retired(tenant.id, key, retired)
            .await?)
    }

    /// Grants a level of a badge to an account (named by its public pseudonym,
    /// `account:…`), with a public reason. Garants of the collective and Gurus. Returns
    /// whether the level was new.
    pub async fn award_badge(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &str,
        account: &str,
        level: Option<u32>,
        reason: &str,
    ) -> Result<bool, ServiceError> {
        let by = self.permit_award(actor, tenant).await?;
        let badge = self.badge(tenant, key).await?;
        let levels = Levels::parse(&badge.levels)?;
        let reason = award_reason(reason)?;
        let account = account.trim();
        let pseudonym = read_pseudonym(account).ok_or_else(|| {
                ServiceError::Invalid(
                    DomainError::invalid(
                        "account",
                        "name the account by its public pseudonym, e.g. account:7f3c1a2b3c4d5e6f",
                    )
                    .fr("Désignez le compte par son pseudonyme public, par exemple account:7f3c1a2b3c4d5e6f."),
                )
            })?;
        let user = self
            .store
            .user_by_pseudonym(&pseudonym)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        if !self.takes_part_in(tenant, user).await? {
            return Err(ServiceError::Invalid(
                DomainError::invalid(
                    "account",
                    "this account has not taken part in this collective: a badge rewards someone \
                     who acted here (filed, supported or commented on a request, proposed a fact, \
                     follows a place or holds a role)",
                )
                .fr(
                    "Ce compte n'a pas participé à ce collectif : un badge récompense quelqu'un \
                     qui y a agi (déposé, soutenu ou commenté une demande, proposé une donnée, \
                     suivi un lieu ou tenu un rôle).",
                ),
            ));
        }
        let current = self
            .store
            .badge_levels(badge.id, Some(user))
            .await?
            .get(&user)
            .copied()
            .unwrap_or(0);
        let level = i64::from(level.unwrap_or(current as u32 + 1));
        if level < 1 || level > levels.count() as i64 {
            return Err(ServiceError::Invalid(
                DomainError::invalid(
                    "level",
                    format!("this badge has levels 1 to {}", levels.count()),
                )
                .fr(format!("Ce badge a les niveaux 1 à {}.", levels.count())),
            ));
        }
        let added = self
            .store
            .add_awards(&[NewAward {
                badge_id: badge.id,
                user,
                level,
                score: None,
                rule_version: None,
                granted_by: by,
                reason: Some(&reason),
            }])
            .await?;
        if !added.is_empty() {
            let mut reached = BTreeMap::new();
            reached.insert(badge.id, level);
            self.tell_badges(tenant, user, &reached).await;
        }
        Ok(!added.is_empty())
    }

    /// Whether `user` took part in the collective: some activity there, or a role in it.
    async fn takes_part_in(&self, tenant: &Tenant, user: UserId) -> Result<bool, ServiceError> {
        if self.store.takes_part_in(tenant.id, user).await? {
            return Ok(true);
        }
        Ok(self
            .store
            .user_grants(user)
            .await?
            .iter()
            .any(|g| g.tenant == Some(tenant.id)))
    }

    /// The account a public pseudonym (`account:7f3c…` or the bare hex) names; a malformed or
    /// unknown one is "not found". Only the pseudonym is ever shown of it: a public page of
    /// badges must not tie the name a journal uses to the person's display name.
    pub async fn account_by_pseudonym(&self, raw: &str) -> Result<UserId, ServiceError> {
        let pseudonym = read_pseudonym(raw).ok_or(ServiceError::NotFound("account"))?;
        self.store
            .user_by_pseudonym(&pseudonym)
            .await?
            .ok_or(ServiceError::NotFound("account"))
    }

    /// Whether the actor may grant manual badges here (to show the form).
    pub async fn may_award_badges(&self, actor: Actor<'_>, tenant: &Tenant) -> bool {
        self.permit_award(actor, tenant).await.is_ok()
    }

    /// Garants of any type of the collective and Gurus may grant manual badges.
    async fn permit_award(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
    ) -> Result<Option<UserId>, ServiceError> {
        let principal = match actor {
            Actor::Operator => return Ok(None),
            Actor::Principal(p) => p,
        };
        let mut scopes = vec![Scope::Tenant(tenant.slug.clone())];
        scopes.extend(
            tenant
                .object_types
                .iter()
                .map(|t| Scope::ObjectType(tenant.slug.clone(), t.clone())),
        );
        for scope in &scopes {
            if self
                .authz
                .is_allowed(principal, Some(tenant), scope, Operation::AwardBadge)
                .await
                .unwrap_or(false)
            {
                return Ok(principal.user_id());
            }
        }
        // The refusal, worded by the authorizer.
        self.permit_for(actor, tenant, scopes.remove(0), Operation::AwardBadge)
            .await?;
        Ok(principal.user_id())
    }

    /// Where `user` stands in each badge of the collective: level, score, next goal.
    pub async fn badges_of(
        &self,
        tenant: &Tenant,
        user: UserId,
    ) -> Result<Vec<EarnedBadge>, ServiceError> {
        let awards = self.store.awards_of(tenant.id, user).await?;
        let badges = self.store.badges(tenant.id, true).await?;
        // The account's score in every rule badge still earned, in one read-only session.
        let scored: Vec<(i64, CheckedRule)> = badges
            .iter()
            .filter(|b| b.retired_at.is_none())
            .filter_map(|b| Some((b.id, check_rule(b.rule.as_deref()?).ok()?)))
            .collect();
        let rules: Vec<CheckedRule> = scored.iter().map(|(_, c)| c.clone()).collect();
        let runs = self.store.run_rules(tenant.id, &rules, Some(user)).await;
        let scores: std::collections::HashMap<i64, i64> = scored
            .iter()
            .zip(runs)
            .filter_map(|((id, _), run)| {
                let run = run.ok()?;
                Some((*id, run.scores.first().map_or(0, |(_, s)| *s)))
            })
            .collect();
        let mut out = Vec::new();
        for badge in badges {
            let Ok(levels) = Levels::parse(&badge.levels) else {
                continue;
            };
            let mine: Vec<AwardRecord> = awards
                .iter()
                .filter(|a| a.badge_id == badge.id)
                .cloned()
                .collect();
            let level = mine.iter().map(|a| a.level).max().unwrap_or(0) as u32;
            // A retired badge shows only where it was earned.
            if badge.retired_at.is_some() && level == 0 {
                continue;
            }
            let score = scores.get(&badge.id).copied();
            let goal = score.and_then(|s| levels.next_goal(level, s));
            out.push(EarnedBadge {
                badge,
                levels,
                level,
                score,
                goal,
                awards: mine,
            });
        }
        Ok(out)
    }

    /// Computes the rules of `badges` (retired and manual ones skipped), for the collective or
    /// one account, in one read-only session, and adds the levels reached. Returns, per badge
    /// computed, `(badge id, [(account, highest new level)])` or why its rule failed.
    async fn compute_rules(
        &self,
        tenant: TenantId,
        badges: &[BadgeRecord],
        user: Option<UserId>,
    ) -> Result<Vec<(i64, Result<Vec<(UserId, i64)>, ServiceError>)>, ServiceError> {
        let mut ready = Vec::new();
        let mut out = Vec::new();
        for badge in badges {
            let (Some(rule), None) = (&badge.rule, badge.retired_at) else {
                continue;
            };
            let checked = Levels::parse(&badge.levels)
                .map_err(ServiceError::from)
                .and_then(|l| check_rule(rule).map(|c| (l, c)).map_err(rule_refused));
            match checked {
                Ok((levels, checked)) => ready.push((badge, levels, checked)),
                Err(e) => out.push((badge.id, Err(e))),
            }
        }
        let rules: Vec<_> = ready.iter().map(|(_, _, c)| c.clone()).collect();
        let runs = self.store.run_rules(tenant, &rules, user).await;
        // The levels reached so far: one query for an account, one per badge for everyone.
        let mine = match user {
            Some(u) => Some(self.store.awards_of(tenant, u).await?),
            None => None,
        };
        let mut awards = Vec::new();
        for ((badge, levels, _), run) in ready.iter().zip(runs) {
            let run = match run {
                Ok(run) => run,
                Err(e) => {
                    out.push((badge.id, Err(rule_refused(e))));
                    continue;
                }
            };
            let current: std::collections::HashMap<UserId, i64> = match (&mine, user) {
                (Some(mine), Some(u)) => mine
                    .iter()
                    .filter(|a| a.badge_id == badge.id)
                    .map(|a| a.level)
                    .max()
                    .map(|l| (u, l))
                    .into_iter()
                    .collect(),
                _ => self.store.badge_levels(badge.id, None).await?,
            };
            let mut reached = Vec::new();
            for (u, score) in run.scores {
                let new = i64::from(levels.level_for(score));
                let have = current.get(&u).copied().unwrap_or(0);
                if new <= have {
                    continue;
                }
                reached.push((u, new));
                for level in have + 1..=new {
                    awards.push(NewAward {
                        badge_id: badge.id,
                        user: u,
                        level,
                        score: Some(score),
                        rule_version: Some(badge.rule_version),
                        granted_by: None,
                        reason: None,
                    });
                }
            }
            out.push((badge.id, Ok(reached)));
        }
        // Only the levels this call stored are reached by it: another server process that
        // computed the same account at the same time tells of the others.
        let added: std::collections::HashSet<(i64, UserId, i64)> =
            self.store.add_awards(&awards).await?.into_iter().collect();
        for (badge, result) in &mut out {
            if let Ok(reached) = result {
                reached.retain(|(u, level)| added.contains(&(*badge, *u, *level)));
            }
        }
        Ok(out)
    }

    /// Computes one badge for the collective or one account (see [`Self::compute_rules`]).
    async fn compute_badge(
        &self,
        tenant: TenantId,
        badge: &BadgeRecord,
        user: Option<UserId>,
    ) -> Result<Vec<(UserId, i64)>, ServiceError> {
        match self
            .compute_rules(tenant, std::slice::from_ref(badge), user)
            .await?
            .pop()
        {
            Some((_, result)) => result,
            None => Ok(Vec::new()),
        }
    }

    /// Computes every badge of the collective again, for everyone (`vigie badges compute`,
    /// at start-up). A rule that fails is logged and the others go on. Returns how many
    /// levels were reached.
    pub async fn compute_badges(&self, tenant: &Tenant) -> Result<usize, ServiceError> {
        let badges = self.store.badges(tenant.id, false).await?;
        let mut reached = 0;
        for (id, result) in self.compute_rules(tenant.id, &badges, None).await? {
            match result {
                Ok(r) => reached += r.len(),
                Err(e) => tracing::warn!(badge = id, error = %e, "a badge rule failed"),
            }
        }
        Ok(reached)
    }

    /// Computes the collective's badges for one account, and tells them of what they reached
    /// (one message for all of it).
    pub async fn compute_badges_for(
        &self,
        tenant: &Tenant,
        user: UserId,
    ) -> Result<usize, ServiceError> {
        let badges = self.store.badges(tenant.id, false).await?;
        let mut reached = BTreeMap::new();
        for (id, result) in self.compute_rules(tenant.id, &badges, Some(user)).await? {
            match result {
                Ok(r) => {
                    for (_, level) in r {
                        reached.insert(id, level);
                    }
                }
                Err(e) => tracing::warn!(badge = id, error = %e, "a badge rule failed"),
            }
        }
        if !reached.is_empty() {
            self.tell_badges(tenant, user, &reached).await;
        }
        Ok(reached.len())
    }

    /// Marks accounts whose badges may have moved after an action; the worker computes them.
    pub(crate) fn badges_touched(
        &self,
        tenant: TenantId,
        users: impl IntoIterator<Item = Option<UserId>>,
    ) {
        let mut pending = self
            .badge_queue
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let before = pending.len();
        for u in users.into_iter().flatten() {
            pending.insert((tenant.0, u.0));
        }
        if pending.len() > before {
            self.badge_queue.wake.notify_one();
        }
    }

    /// Computes the badges of the accounts that acted, shortly after they did, for as long as
    /// the server runs.
    pub async fn run_badge_worker(&self) {
        loop {
            self.badge_queue.wake.notified().await;
            // Gathers the actions of a short moment together.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let batch: Vec<(i64, i64)> = {
                let mut pending = self
                    .badge_queue
                    .pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                pending.drain().collect()
            };
            for (tenant, user) in batch {
                let Ok(Some(t)) = self.store.tenant_by_id(TenantId(tenant)).await else {
                    continue;
                };
                if let Err(e) = self.compute_badges_for(&t, UserId(user)).await {
                    tracing::warn!(error = %e, "computing badges failed");
                }
            }
        }
    }

    /// Tells `user` of the levels they reached: on the site (until they see their badges)
    /// and, as they chose, by e-mail now or in the daily digest. Never fails the action.
    async fn tell_badges(&self, tenant: &Tenant, user: UserId, reached: &BTreeMap<i64, i64>) {
        if let Err(e) = self.try_tell_badges(tenant, user, reached).await {
            tracing::warn!(error = %e, "telling of a badge failed");
        }
    }

    async fn try_tell_badges(
        &self,
        tenant: &Tenant,
        user: UserId,
        reached: &BTreeMap<i64, i64>,
    ) -> Result<(), ServiceError> {
        let delivery = self
            .store
            .notification_choices(user)
            .await?
            .into_iter()
            .find(|(e, _)| *e == FollowEvent::Badge)
            .map_or(FollowEvent::Badge.default_delivery(), |(_, d)| d);
        if delivery == Delivery::Never {
            return Ok(());
        }
        let Some(account) = self.store.user_by_id(user).await? else {
            return Ok(());
        };
        let lang = self.store.user_language(user).await?;
        let badges = self.store.badges(tenant.id, true).await?;
        let names: Vec<String> = reached
            .iter()
            .filter_map(|(id, level)| {
                let b = badges.iter().find(|b| b.id == *id)?;
                let name = lang.pick(&b.name_fr, &b.name_en);
                Some(format!("{name} ({})", level_name(*level as u32, lang)))
            })
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        let link = format!("{}/t/{}/badges", self.settings.public_url, tenant.slug);
        let subject = match lang {
            Language::Fr => format!("Nouveau badge : {}", names.join(", ")),
            Language::En => format!("New badge: {}", names.join(", ")),
        };
        if delivery == Delivery::Daily {
            self.store
                .queue_notifications(
                    &[],
                    &[NewDigestItem {
                        user,
                        tenant: tenant.id,
                        request_id: None,
                        event: FollowEvent::Badge,
                        line: subject,
                        link,
                    }],
                )
                .await?;
            return Ok(());
        }
        let stop = self.new_stop_link(user, Some(FollowEvent::Badge)).await?;
        let letter = Letter::new(lang, subject)
            .greet(account.display_name.as_str())
            .say(lang.pick(
                "Bravo ! Votre action a été reconnue :",
                "Well done! What you did was recognised:",
            ))
            .say(names.join(" · "))
            .action(lang.pick("Voir mes badges", "See my badges"), link)
            .footer(format!(
                "{} : {stop}",
                lang.pick(
                    "Ne plus recevoir ce type de message",
                    "Stop this kind of message"
                )
            ));
        let mail = self.outbox_letter(
            &Recipient {
                address: account.email.as_str(),
                label: Some(account.pseudonym.journal_ref()),
            },
            &letter,
            "notification",
            Some(About {
                tenant,
                request_id: None,
            }),
            Some(stop),
        );
        self.store.queue_notifications(&[mail], &[]).await?;
        self.mail_queued().await;
        Ok(())
    }

    /// `user` saw these badges (as [`Services::badges_of`] gave them): their new levels are
    /// no longer new.
    pub async fn mark_badges_seen(
        &self,
        user: UserId,
        shown: &[EarnedBadge],
    ) -> Result<(), ServiceError> {
        let ids: Vec<i64> = shown
            .iter()
            .flat_map(|e| e.awards.iter().filter(|a| !a.seen).map(|a| a.id))
            .collect();
        Ok(self.store.mark_awards_seen(user, &ids).await?)
    }
}

/// The levels of a badge as written (« 1, 5, 10 »), for pages.
pub fn levels_text(badge: &BadgeRecord) -> String {
    badges::Levels::parse(&badge.levels).map_or_else(|_| badge.levels.clone(), |l| l.to_text())
}

/// A pseudonym as the journals write it (`account:…`) or bare.
fn read_pseudonym(raw: &str) -> Option<Pseudonym> {
    let raw = raw.trim();
    Pseudonym::from_journal_ref(raw).or_else(|| Pseudonym::parse(raw).ok())
}
