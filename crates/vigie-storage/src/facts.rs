//! Vintaged facts and their moderation. Facts are only ever inserted; a decision is a row of
//! its own; the current value of a field is derived from the accepted facts.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use vigie_domain::{Decision, FactState, Provenance, TenantId, UserId};

use crate::bulk::{MAX_PARAMS, Placeholders};
use crate::objects::{ChunkFact, ChunkObject, ImportSource};
use crate::submissions::{SubmissionKind, record, submitted};
use crate::{Backend, Change, Store, StoreError, now, parse_timestamp};

/// The current accepted value of each (object, vintage, field), as JSON.
pub type CurrentValues = HashMap<(i64, String, String), String>;

/// Adds the official facts of an import chunk, many per statement. `created` holds the ids of
/// the objects the chunk created, in order.
pub(crate) async fn insert_official_facts(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    tenant: TenantId,
    source: ImportSource<'_>,
    created: &[i64],
    facts: &[ChunkFact],
    at: &str,
) -> Result<(), StoreError> {
    const FACT_PARAMS: usize = 11;
    let provenance = Provenance::OfficialImport;
    for batch in facts.chunks(MAX_PARAMS / FACT_PARAMS) {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO facts (tenant_id, object_id, field_key, vintage, value, provenance, source, \
             import_id, author_id, filed_state, at) VALUES {}",
            Placeholders::new(backend).rows(batch.len(), FACT_PARAMS)
        )));
        for f in batch {
            let object_id = match f.object {
                ChunkObject::Existing(id) => id,
                ChunkObject::Created(i) => *created
                    .get(i)
                    .ok_or_else(|| StoreError::Corrupt(format!("created object {i}")))?,
            };
            q = q
                .bind(tenant.0)
                .bind(object_id)
                .bind(&f.field_key)
                .bind(&f.vintage)
                .bind(&f.value)
                .bind(provenance.as_str())
                .bind(source.source)
                .bind(source.import_id)
                .bind(source.actor.map(|a| a.0))
                .bind(provenance.filed_state().as_str())
                .bind(at);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A fact to file.
#[derive(Debug, Clone)]
pub struct NewFact {
    /// The object.
    pub object_id: i64,
    /// The field.
    pub field_key: String,
    /// The normalised vintage.
    pub vintage: String,
    /// The value, as JSON of the plugin interface's `value`.
    pub value: String,
    /// Where it comes from.
    pub provenance: Provenance,
    /// A URL or document reference backing the value.
    pub source: Option<String>,
    /// The import that brought it.
    pub import_id: Option<i64>,
    /// The signed-in author.
    pub author: Option<UserId>,
    /// Private contact e-mail (anonymous contributors).
    pub contact_email: Option<String>,
    /// Private contact phone.
    pub contact_phone: Option<String>,
    /// Contributions filed together share a batch.
    pub batch: Option<String>,
}

/// A moderation decision as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRecord {
    /// Accepted or refused.
    pub state: FactState,
    /// The public reason of a refusal.
    pub reason: Option<String>,
    /// Public name of who decided.
    pub decided_by: Option<String>,
    /// When.
    pub at: OffsetDateTime,
}

/// A stored fact, as the public may see it (no contact details).
#[derive(Debug, Clone, PartialEq)]
pub struct FactRecord {
    /// Identity.
    pub id: i64,
    /// The object.
    pub object_id: i64,
    /// The object's type.
    pub object_type: String,
    /// The field.
    pub field_key: String,
    /// The vintage.
    pub vintage: String,
    /// The value, JSON.
    pub value: String,
    /// Provenance.
    pub provenance: Provenance,
    /// Source.
    pub source: Option<String>,
    /// Import.
    pub import_id: Option<i64>,
    /// Public name of the author, if signed in.
    pub author_name: Option<String>,
    /// Current moderation state.
    pub state: FactState,
    /// The decision, once taken.
    pub decision: Option<DecisionRecord>,
    /// Batch.
    pub batch: Option<String>,
    /// When it was filed.
    pub at: OffsetDateTime,
}

/// Contact details of a contributor (private).
#[derive(Debug, Clone, PartialEq)]
pub struct ContributorContact {
    /// The account's e-mail, if the contributor was signed in.
    pub account_email: Option<String>,
    /// The contact e-mail left with the contribution.
    pub contact_email: Option<String>,
    /// The phone left with the contribution.
    pub contact_phone: Option<String>,
}

pub(crate) const FACT_SELECT: &str = "SELECT f.id, f.object_id, o.type_key, f.field_key, f.vintage, f.value, \
     f.provenance, f.source, f.import_id, a.display_name AS author_name, f.filed_state, f.batch, f.at, \
     d.decision, d.reason, m.display_name AS decided_by, d.at AS decided_at \
     FROM facts f JOIN objects o ON o.id = f.object_id \
     LEFT JOIN users a ON a.id = f.author_id \
     LEFT JOIN fact_decisions d ON d.fact_id = f.id \
     LEFT JOIN users m ON m.id = d.decided_by";

pub(crate) fn fact_from_row(r: &AnyRow) -> Result<FactRecord, StoreError> {
    let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("{what} {v}"));
    let provenance: String = r.try_get("provenance")?;
    let at: String = r.try_get("at")?;
    let (state, decision) = crate::moderation::decision_from_row(r)?;
    Ok(FactRecord {
        id: r.try_get("id")?,
        object_id: r.try_get("object_id")?,
        object_type: r.try_get("type_key")?,
        field_key: r.try_get("field_key")?,
        vintage: r.try_get("vintage")?,
        value: r.try_get("value")?,
        provenance: Provenance::parse(&provenance)
            .ok_or_else(|| corrupt("provenance", &provenance))?,
        source: r.try_get("source")?,
        import_id: r.try_get("import_id")?,
        author_name: r.try_get("author_name")?,
        state,
        decision,
        batch: r.try_get("batch")?,
        at: parse_timestamp(&at)?,
    })
}

impl Store {
    /// Files the facts of one contribution (one object) in one transaction, with the
    /// submission's key (its hash) if it came with one. Sent again with that key, it files
    /// nothing and returns the facts the first sending filed, and `true`.
    pub async fn insert_contribution(
        &self,
        tenant: TenantId,
        facts: &[NewFact],
        submission_key: Option<&str>,
    ) -> Result<(Vec<FactRecord>, bool), StoreError> {
        let Some(first) = facts.first() else {
            return Ok((Vec::new(), false));
        };
        let (turn, mut tx) = self.begin_write().await?;
        if let Some(key) = submission_key
            && let Some(id) = submitted(&mut tx, tenant, key, SubmissionKind::Contribution).await?
        {
            let author: Option<i64> = sqlx::query("SELECT author_id FROM facts WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            tx.commit().await?;
            drop(turn);
            if author.is_some() && author != first.author.map(|a| a.0) {
                return Err(StoreError::Conflict(
                    vigie_domain::Bilingual::new("this submission key belongs to another sender")
                        .fr("Cette clé d'envoi appartient à quelqu'un d'autre."),
                ));
            }
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{FACT_SELECT} WHERE f.tenant_id = $1 AND f.batch = \
                 (SELECT batch FROM facts WHERE id = $2) ORDER BY f.id"
            )))
            .bind(tenant.0)
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
            let filed = rows.iter().map(fact_from_row).collect::<Result<_, _>>()?;
            return Ok((filed, true));
        }
        // The object must be the collective's: never file a fact across collectives.
        sqlx::query("SELECT id FROM objects WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(first.object_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("object"))?;
        let at = now();
        let mut ids = Vec::with_capacity(facts.len());
        for f in facts {
            if f.object_id != first.object_id {
                return Err(StoreError::Corrupt(
                    "a contribution's facts are of one object".into(),
                ));
            }
            let id: i64 = sqlx::query(
                "INSERT INTO facts (tenant_id, object_id, field_key, vintage, value, provenance, \
                 source, import_id, author_id, contact_email, contact_phone, filed_state, batch, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            )
            .bind(tenant.0)
            .bind(f.object_id)
            .bind(&f.field_key)
            .bind(&f.vintage)
            .bind(&f.value)
            .bind(f.provenance.as_str())
            .bind(&f.source)
            .bind(f.import_id)
            .bind(f.author.map(|a| a.0))
            .bind(&f.contact_email)
            .bind(&f.contact_phone)
            .bind(f.provenance.filed_state().as_str())
            .bind(&f.batch)
            .bind(&at)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            ids.push(id);
        }
        if let Some(key) = submission_key {
            record(&mut tx, tenant, key, SubmissionKind::Contribution, ids[0]).await?;
        }
        tx.commit().await?;
        drop(turn);
        self.changed(Change::Object {
            tenant,
            object: first.object_id,
        })
        .await;
        let mut filed = Vec::with_capacity(ids.len());
        for id in ids {
            filed.push(
                self.fact(tenant, id)
                    .await?
                    .ok_or(StoreError::NotFound("fact"))?,
            );
        }
        Ok((filed, false))
    }

    /// A fact of the collective.
    pub async fn fact(&self, tenant: TenantId, id: i64) -> Result<Option<FactRecord>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{FACT_SELECT} WHERE f.tenant_id = $1 AND f.id = $2"
        )))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(fact_from_row)
        .transpose()
    }

    /// Every fact of an object, oldest first.
    pub async fn object_facts(
        &self,
        tenant: TenantId,
        object_id: i64,
    ) -> Result<Vec<FactRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            // `+f.tenant_id`: no index choice. SQLite would otherwise walk the collective's
            // facts in id order (`facts_by_tenant` gives the ORDER BY for free) instead of the
            // object's few: 224 000 rows a contribution at 65 000 places.
            "{FACT_SELECT} WHERE +f.tenant_id = $1 AND f.object_id = $2 ORDER BY f.id"
        )))
        .bind(tenant.0)
        .bind(object_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(fact_from_row).collect()
    }

    /// The current accepted value of every (vintage, field) of these objects of the
    /// collective, by (object, vintage, field): what an import compares its values with.
    pub async fn current_values(
        &self,
        tenant: TenantId,
        objects: &[i64],
    ) -> Result<CurrentValues, StoreError> {
        // The newest accepted fact of each key wins: kept by id here rather than sorted by
        // the database, whose cheapest way to give facts by id is to read all the
        // collective's.
        let mut newest: HashMap<(i64, String, String), (i64, String)> = HashMap::new();
        for batch in objects.chunks(MAX_PARAMS - 1) {
            // `+f.tenant_id`: the tenant check is no index choice (SQLite, without statistics,
            // would walk every fact of the collective by `facts_by_tenant`); the objects'
            // index finds the facts. Not kept prepared: PostgreSQL plans a reused statement
            // once for any parameters, and a thousand-item list is planned best knowing them.
            let mut p = Placeholders::new(self.backend());
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT f.id, f.object_id, f.vintage, f.field_key, f.value FROM facts f \
                 LEFT JOIN fact_decisions d ON d.fact_id = f.id \
                 WHERE +f.tenant_id = {} AND f.object_id IN ({}) \
                 AND COALESCE(d.decision, f.filed_state) = 'accepted'",
                p.next(),
                p.rows(batch.len(), 1)
            )))
            .persistent(false)
            .bind(tenant.0);
            for id in batch {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let id: i64 = r.try_get(0)?;
                let key = (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
                match newest.get_mut(&key) {
                    Some(kept) if kept.0 > id => {}
                    Some(kept) => *kept = (id, r.try_get(4)?),
                    None => {
                        newest.insert(key, (id, r.try_get(4)?));
                    }
                }
            }
        }
        Ok(newest.into_iter().map(|(k, (_, v))| (k, v)).collect())
    }

    /// The contributions of a collective waiting for moderation, oldest first.
    pub async fn pending_facts(&self, tenant: TenantId) -> Result<Vec<FactRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{FACT_SELECT} WHERE f.tenant_id = $1 AND f.filed_state = 'pending' AND d.id IS NULL ORDER BY f.id"
        )))
        .bind(tenant.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(fact_from_row).collect()
    }

    /// Records the decision on a pending fact. Deciding twice is a conflict.
    pub async fn decide_fact(
        &self,
        tenant: TenantId,
        id: i64,
        decision: &Decision,
        actor: Option<UserId>,
    ) -> Result<FactRecord, StoreError> {
        let fact = self
            .fact(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("contribution"))?;
        self.record_decision(
            crate::moderation::Moderated::Fact,
            id,
            fact.state,
            decision,
            actor,
        )
        .await?;
        self.changed(Change::Object {
            tenant,
            object: fact.object_id,
        })
        .await;
        self.fact(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("contribution"))
    }

    /// The private contact details of a fact's contributor.
    pub async fn fact_contact(
        &self,
        tenant: TenantId,
        id: i64,
    ) -> Result<ContributorContact, StoreError> {
        let row = sqlx::query(
            "SELECT u.email, f.contact_email, f.contact_phone FROM facts f \
             LEFT JOIN users u ON u.id = f.author_id WHERE f.tenant_id = $1 AND f.id = $2",
        )
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("contribution"))?;
        Ok(ContributorContact {
            account_email: row.try_get(0)?,
            contact_email: row.try_get(1)?,
            contact_phone: row.try_get(2)?,
        })
    }
}
