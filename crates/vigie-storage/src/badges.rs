//! A collective's badges and the levels its accounts reached (see the migration
//! `…_badges.sql` and [`crate::badge_rules`] for the rules' sandbox). Awards are only ever
//! added: a level reached stays.

use std::collections::HashMap;

use sqlx::Row as _;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use vigie_domain::{Bilingual, TenantId, UserId};

use crate::error::conflict_on_unique;
use crate::{Store, StoreError, now, parse_timestamp};

/// A badge as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BadgeRecord {
    /// Id.
    pub id: i64,
    /// Its collective.
    pub tenant_id: i64,
    /// Its key, unique in the collective.
    pub key: String,
    /// Name, French.
    pub name_fr: String,
    /// Name, English.
    pub name_en: String,
    /// Description, French.
    pub description_fr: String,
    /// Description, English.
    pub description_en: String,
    /// What the score counts, French (« contributions acceptées »).
    pub unit_fr: String,
    /// What the score counts, English.
    pub unit_en: String,
    /// A bundled visual's name, or `custom`.
    pub visual: String,
    /// The sanitized SVG of a custom visual.
    pub visual_svg: Option<String>,
    /// Thresholds as written: « 1, 5, 10 ».
    pub levels: String,
    /// The rule; `None` for a manual badge.
    pub rule: Option<String>,
    /// Moves each time the rule changes.
    pub rule_version: i64,
    /// When it was retired (it stays on profiles, is no longer computed).
    pub retired_at: Option<OffsetDateTime>,
}

/// A badge to create or to change.
#[derive(Debug, Clone, Default)]
pub struct BadgeDraft {
    /// See [`BadgeRecord`].
    pub key: String,
    /// See [`BadgeRecord`].
    pub name_fr: String,
    /// See [`BadgeRecord`].
    pub name_en: String,
    /// See [`BadgeRecord`].
    pub description_fr: String,
    /// See [`BadgeRecord`].
    pub description_en: String,
    /// See [`BadgeRecord`].
    pub unit_fr: String,
    /// See [`BadgeRecord`].
    pub unit_en: String,
    /// See [`BadgeRecord`].
    pub visual: String,
    /// See [`BadgeRecord`]; `None` keeps the stored one when changing.
    pub visual_svg: Option<String>,
    /// See [`BadgeRecord`].
    pub levels: String,
    /// See [`BadgeRecord`].
    pub rule: Option<String>,
}

/// A level reached by an account.
#[derive(Debug, Clone, PartialEq)]
pub struct AwardRecord {
    /// Id.
    pub id: i64,
    /// The badge.
    pub badge_id: i64,
    /// The account.
    pub user_id: UserId,
    /// The level.
    pub level: i64,
    /// The score that reached it (by rule).
    pub score: Option<i64>,
    /// The rule's version then.
    pub rule_version: Option<i64>,
    /// The Garant who granted it (by hand), by public name.
    pub granted_by_name: Option<String>,
    /// Their public reason.
    pub reason: Option<String>,
    /// When.
    pub at: OffsetDateTime,
    /// When its holder saw it.
    pub seen: bool,
}

/// A level to add.
#[derive(Debug, Clone)]
pub struct NewAward<'a> {
    /// The badge.
    pub badge_id: i64,
    /// The account.
    pub user: UserId,
    /// The level.
    pub level: i64,
    /// See [`AwardRecord`].
    pub score: Option<i64>,
    /// See [`AwardRecord`].
    pub rule_version: Option<i64>,
    /// See [`AwardRecord`].
    pub granted_by: Option<UserId>,
    /// See [`AwardRecord`].
    pub reason: Option<&'a str>,
}

/// An award as the collective's open data shows it.
#[derive(Debug, Clone)]
pub struct PublicAward {
    /// Its number.
    pub id: i64,
    /// The badge's key.
    pub badge_key: String,
    /// The badge's name in French.
    pub badge_name_fr: String,
    /// The badge's name in English.
    pub badge_name_en: String,
    /// The level reached.
    pub level: i64,
    /// The account's public pseudonym (bare hex).
    pub pseudonym: String,
    /// The rule's score when it was reached (rule badges).
    pub score: Option<i64>,
    /// The rule's version that awarded it (rule badges).
    pub rule_version: Option<i64>,
    /// Who granted it (manual badges): a Garant's public name.
    pub granted_by_name: Option<String>,
    /// Why (manual badges).
    pub reason: Option<String>,
    /// When.
    pub at: OffsetDateTime,
}

/// Awards written per `INSERT` (8 parameters each: well under SQLite's and PostgreSQL's
/// limits).
const AWARDS_PER_INSERT: usize = 500;

const BADGE_COLUMNS: &str = "id, tenant_id, key, name_fr, name_en, description_fr, \
     description_en, unit_fr, unit_en, visual, visual_svg, levels, rule, rule_version, retired_at";

fn badge_from_row(r: &AnyRow) -> Result<BadgeRecord, StoreError> {
    let retired: Option<String> = r.try_get("retired_at")?;
    Ok(BadgeRecord {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        key: r.try_get("key")?,
        name_fr: r.try_get("name_fr")?,
        name_en: r.try_get("name_en")?,
        description_fr: r.try_get("description_fr")?,
        description_en: r.try_get("description_en")?,
        unit_fr: r.try_get("unit_fr")?,
        unit_en: r.try_get("unit_en")?,
        visual: r.try_get("visual")?,
        visual_svg: r.try_get("visual_svg")?,
        levels: r.try_get("levels")?,
        rule: r.try_get("rule")?,
        rule_version: r.try_get("rule_version")?,
        retired_at: retired.as_deref().map(parse_timestamp).transpose()?,
    })
}

fn key_taken() -> Bilingual {
    Bilingual::new("a badge of this collective already has this key: pick another")
        .fr("un badge de ce collectif a déjà cette clé : choisissez-en une autre")
}

impl Store {
    /// The collective's badges (the retired ones too when `retired`), oldest first.
    pub async fn badges(
        &self,
        tenant: TenantId,
        retired: bool,
    ) -> Result<Vec<BadgeRecord>, StoreError> {
        let filter = if retired {
            ""
        } else {
            " AND retired_at IS NULL"
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BADGE_COLUMNS} FROM badges WHERE tenant_id = $1{filter} ORDER BY id"
        )))
        .bind(tenant.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(badge_from_row).collect()
    }

    /// One badge of the collective.
    pub async fn badge(
        &self,
        tenant: TenantId,
        key: &str,
    ) -> Result<Option<BadgeRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BADGE_COLUMNS} FROM badges WHERE tenant_id = $1 AND key = $2"
        )))
        .bind(tenant.0)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(badge_from_row).transpose()
    }

    /// Creates a badge.
    pub async fn insert_badge(
        &self,
        tenant: TenantId,
        draft: &BadgeDraft,
    ) -> Result<i64, StoreError> {
        let at = now();
        let row = sqlx::query(
            "INSERT INTO badges (tenant_id, key, name_fr, name_en, description_fr, \
             description_en, unit_fr, unit_en, visual, visual_svg, levels, rule, rule_version, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13) RETURNING id",
        )
        .bind(tenant.0)
        .bind(&draft.key)
        .bind(&draft.name_fr)
        .bind(&draft.name_en)
        .bind(&draft.description_fr)
        .bind(&draft.description_en)
        .bind(&draft.unit_fr)
        .bind(&draft.unit_en)
        .bind(&draft.visual)
        .bind(draft.visual_svg.as_deref())
        .bind(&draft.levels)
        .bind(draft.rule.as_deref())
        .bind(&at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| conflict_on_unique(e, key_taken))?;
        Ok(row.try_get(0)?)
    }

    /// Changes a badge (its key stays); its rule's version moves when the rule changed.
    pub async fn update_badge(
        &self,
        tenant: TenantId,
        key: &str,
        draft: &BadgeDraft,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE badges SET name_fr = $3, name_en = $4, description_fr = $5, \
             description_en = $6, unit_fr = $7, unit_en = $8, visual = $9, \
             visual_svg = COALESCE($10, visual_svg), levels = $11, \
             rule_version = CASE WHEN COALESCE(rule, '') = COALESCE($12, '') THEN rule_version \
                                 ELSE rule_version + 1 END, \
             rule = $12, updated_at = $13 WHERE tenant_id = $1 AND key = $2",
        )
        .bind(tenant.0)
        .bind(key)
        .bind(&draft.name_fr)
        .bind(&draft.name_en)
        .bind(&draft.description_fr)
        .bind(&draft.description_en)
        .bind(&draft.unit_fr)
        .bind(&draft.unit_en)
        .bind(&draft.visual)
        .bind(draft.visual_svg.as_deref())
        .bind(&draft.levels)
        .bind(draft.rule.as_deref())
        .bind(now())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("badge"));
        }
        Ok(())
    }

    /// Retires a badge, or brings it back: retired, it is no longer computed nor offered,
    /// and stays on the profiles that earned it.
    pub async fn set_badge_retired(
        &self,
        tenant: TenantId,
        key: &str,
        retired: bool,
    ) -> Result<(), StoreError> {
        let at = retired.then(now);
        let done =
            sqlx::query("UPDATE badges SET retired_at = $3 WHERE tenant_id = $1 AND key = $2")
                .bind(tenant.0)
                .bind(key)
                .bind(at)
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("badge"));
        }
        Ok(())
    }

    /// The level each account reached in the badge (only accounts with one), or only
    /// `user`'s.
    pub async fn badge_levels(
        &self,
        badge_id: i64,
        user: Option<UserId>,
    ) -> Result<HashMap<UserId, i64>, StoreError> {
        let filter = if user.is_some() {
            " AND user_id = $2"
        } else {
            ""
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT user_id, MAX(level) FROM badge_awards WHERE badge_id = $1{filter} \
             GROUP BY user_id"
        )))
        .bind(badge_id);
        if let Some(u) = user {
            q = q.bind(u.0);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((UserId(r.try_get(0)?), r.try_get(1)?)))
            .collect()
    }

    /// Adds levels (those already reached are kept as they were). Returns the levels that
    /// were new, `(badge, account, level)`: with several server processes computing the same
    /// account, each level is new for one of them only (so it is told once).
    pub async fn add_awards(
        &self,
        awards: &[NewAward<'_>],
    ) -> Result<Vec<(i64, UserId, i64)>, StoreError> {
        if awards.is_empty() {
            return Ok(Vec::new());
        }
        let (turn, mut tx) = self.begin_write().await?;
        let at = now();
        let mut added = Vec::new();
        // Many rows per statement: a new collective's first computation awards thousands.
        for chunk in awards.chunks(AWARDS_PER_INSERT) {
            // Only accounts that still exist (one may be deleted while its rules ran).
            let mut ids: Vec<i64> = chunk.iter().map(|a| a.user.0).collect();
            ids.sort_unstable();
            ids.dedup();
            let list = (1..=ids.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut known = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id FROM users WHERE id IN ({list})"
            )));
            for id in &ids {
                known = known.bind(*id);
            }
            let known: std::collections::HashSet<i64> = known
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>(0))
                .collect::<Result<_, _>>()?;
            let rows: Vec<&NewAward<'_>> =
                chunk.iter().filter(|a| known.contains(&a.user.0)).collect();
            if rows.is_empty() {
                continue;
            }
            let values = (0..rows.len())
                .map(|r| {
                    let p = |c: usize| format!("${}", r * 8 + c);
                    format!(
                        "({}, {}, {}, {}, {}, {}, {}, {})",
                        p(1),
                        p(2),
                        p(3),
                        p(4),
                        p(5),
                        p(6),
                        p(7),
                        p(8)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO badge_awards (badge_id, user_id, level, score, rule_version, \
                 granted_by, reason, at) VALUES {values} \
                 ON CONFLICT (badge_id, user_id, level) DO NOTHING \
                 RETURNING badge_id, user_id, level"
            )));
            for a in rows {
                insert = insert
                    .bind(a.badge_id)
                    .bind(a.user.0)
                    .bind(a.level)
                    .bind(a.score)
                    .bind(a.rule_version)
                    .bind(a.granted_by.map(|u| u.0))
                    .bind(a.reason)
                    .bind(&at);
            }
            for r in insert.fetch_all(&mut *tx).await? {
                added.push((r.try_get(0)?, UserId(r.try_get(1)?), r.try_get(2)?));
            }
        }
        tx.commit().await?;
        drop(turn);
        if !added.is_empty() {
            // The exports show them: tell each collective they were awarded in.
            let mut badges: Vec<i64> = added.iter().map(|a| a.0).collect();
            badges.sort_unstable();
            badges.dedup();
            let mut tenants = std::collections::BTreeSet::new();
            for id in badges {
                let row = sqlx::query("SELECT tenant_id FROM badges WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                if let Some(r) = row {
                    tenants.insert(r.try_get::<i64, _>(0)?);
                }
            }
            for t in tenants {
                self.changed(crate::Change::Activity(TenantId(t))).await;
            }
        }
        Ok(added)
    }

    /// Up to `limit` awards of the collective after id `after`, by id, as its open data
    /// shows them: the account by its pseudonym, a manual badge's Garant by public name.
    pub async fn awards_page(
        &self,
        tenant: TenantId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<PublicAward>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, b.key, b.name_fr, b.name_en, a.level, u.pseudonym, a.score, \
             a.rule_version, g.display_name AS granted_by_name, a.reason, a.at \
             FROM badge_awards a JOIN badges b ON b.id = a.badge_id \
             JOIN users u ON u.id = a.user_id LEFT JOIN users g ON g.id = a.granted_by \
             WHERE b.tenant_id = $1 AND a.id > $2 ORDER BY a.id LIMIT $3",
        )
        .bind(tenant.0)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at: String = r.try_get("at")?;
                Ok(PublicAward {
                    id: r.try_get("id")?,
                    badge_key: r.try_get("key")?,
                    badge_name_fr: r.try_get("name_fr")?,
                    badge_name_en: r.try_get("name_en")?,
                    level: r.try_get("level")?,
                    pseudonym: r.try_get("pseudonym")?,
                    score: r.try_get("score")?,
                    rule_version: r.try_get("rule_version")?,
                    granted_by_name: r.try_get("granted_by_name")?,
                    reason: r.try_get("reason")?,
                    at: parse_timestamp(&at)?,
                })
            })
            .collect()
    }

    /// Every level `user` reached in the collective's badges, by badge then level.
    pub async fn awards_of(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<AwardRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.badge_id, a.user_id, a.level, a.score, a.rule_version, \
             g.display_name AS granted_by_name, a.reason, a.at, a.seen_at \
             FROM badge_awards a JOIN badges b ON b.id = a.badge_id \
             LEFT JOIN users g ON g.id = a.granted_by \
             WHERE b.tenant_id = $1 AND a.user_id = $2 ORDER BY a.badge_id, a.level",
        )
        .bind(tenant.0)
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at: String = r.try_get("at")?;
                let seen: Option<String> = r.try_get("seen_at")?;
                Ok(AwardRecord {
                    id: r.try_get("id")?,
                    badge_id: r.try_get("badge_id")?,
                    user_id: UserId(r.try_get("user_id")?),
                    level: r.try_get("level")?,
                    score: r.try_get("score")?,
                    rule_version: r.try_get("rule_version")?,
                    granted_by_name: r.try_get("granted_by_name")?,
                    reason: r.try_get("reason")?,
                    at: parse_timestamp(&at)?,
                    seen: seen.is_some(),
                })
            })
            .collect()
    }

    /// Whether `user` took part in the collective: filed, supported or commented on a
    /// request, proposed a fact, a life event or a document, follows something there, or
    /// already holds one of its badges. (Roles are the authorizer's: see the services.)
    pub async fn takes_part_in(&self, tenant: TenantId, user: UserId) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 FROM requests WHERE tenant_id = $1 AND author_id = $2 \
             UNION ALL SELECT 1 FROM facts WHERE tenant_id = $1 AND author_id = $2 \
             UNION ALL SELECT 1 FROM request_supporters s JOIN requests r ON r.id = s.request_id \
               WHERE r.tenant_id = $1 AND s.user_id = $2 \
             UNION ALL SELECT 1 FROM request_comments c JOIN requests r ON r.id = c.request_id \
               WHERE r.tenant_id = $1 AND c.author_id = $2 \
             UNION ALL SELECT 1 FROM life_events WHERE tenant_id = $1 AND author_id = $2 \
             UNION ALL SELECT 1 FROM documents WHERE tenant_id = $1 AND uploaded_by = $2 \
             UNION ALL SELECT 1 FROM follows WHERE tenant_id = $1 AND user_id = $2 \
             UNION ALL SELECT 1 FROM badge_awards a JOIN badges b ON b.id = a.badge_id \
               WHERE b.tenant_id = $1 AND a.user_id = $2 \
             LIMIT 1",
        )
        .bind(tenant.0)
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// The account that proposed a fact, if one did.
    pub async fn fact_author(&self, fact_id: i64) -> Result<Option<UserId>, StoreError> {
        let row = sqlx::query("SELECT author_id FROM facts WHERE id = $1")
            .bind(fact_id)
            .fetch_optional(&self.pool)
            .await?;
        let id: Option<i64> = match row {
            Some(r) => r.try_get(0)?,
            None => None,
        };
        Ok(id.map(UserId))
    }

    /// The account with this public pseudonym.
    pub async fn user_by_pseudonym(
        &self,
        pseudonym: &vigie_domain::Pseudonym,
    ) -> Result<Option<UserId>, StoreError> {
        let row = sqlx::query("SELECT id FROM users WHERE pseudonym = $1")
            .bind(pseudonym.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get(0).map(UserId)).transpose()?)
    }

    /// Marks these levels of `user` seen (those shown to them: one reached meanwhile stays
    /// new).
    pub async fn mark_awards_seen(&self, user: UserId, ids: &[i64]) -> Result<(), StoreError> {
        let at = now();
        for id in ids {
            sqlx::query(
                "UPDATE badge_awards SET seen_at = $3 WHERE user_id = $1 AND id = $2 \
                 AND seen_at IS NULL",
            )
            .bind(user.0)
            .bind(id)
            .bind(&at)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// How many accounts hold each level of each badge of the collective:
    /// `(badge id, level) → holders` (an account counts at its highest level only).
    pub async fn badge_holders(
        &self,
        tenant: TenantId,
    ) -> Result<HashMap<(i64, i64), i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.badge_id, t.level, COUNT(*) FROM \
             (SELECT a.badge_id, a.user_id, MAX(a.level) AS level FROM badge_awards a \
              JOIN badges b ON b.id = a.badge_id WHERE b.tenant_id = $1 \
              GROUP BY a.badge_id, a.user_id) t GROUP BY t.badge_id, t.level",
        )
        .bind(tenant.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(((r.try_get(0)?, r.try_get(1)?), r.try_get(2)?)))
            .collect()
    }
}
