//! Open moderation shared by everything citizens propose (facts, life events): one decision per
//! item, in a table of its own, never changed; the item's state is derived from it.

use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_domain::Bilingual;
use vigie_domain::{Decision, FactState, UserId};

use crate::{DecisionRecord, Store, StoreError, now, parse_timestamp};

/// What is being moderated: where its decisions live and how to name it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Moderated {
    /// A proposed fact (`fact_decisions`).
    Fact,
    /// A proposed life event (`life_event_decisions`).
    LifeEvent,
    /// A document a citizen attached to an object (`document_decisions`).
    Document,
}

impl Moderated {
    fn insert_sql(self) -> &'static str {
        match self {
            Moderated::Fact => {
                "INSERT INTO fact_decisions (fact_id, decision, reason, decided_by, at) VALUES ($1, $2, $3, $4, $5)"
            }
            Moderated::LifeEvent => {
                "INSERT INTO life_event_decisions (event_id, decision, reason, decided_by, at) \
                 VALUES ($1, $2, $3, $4, $5)"
            }
            Moderated::Document => {
                "INSERT INTO document_decisions (document_id, decision, reason, decided_by, at) \
                 VALUES ($1, $2, $3, $4, $5)"
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Moderated::Fact => "contribution",
            Moderated::LifeEvent => "event",
            Moderated::Document => "document",
        }
    }
}

/// The decision columns of a row (`decision`, `reason`, `decided_by`, `decided_at`) and the
/// resulting state (the decision's, else the `filed_state`).
pub(crate) fn decision_from_row(
    r: &AnyRow,
) -> Result<(FactState, Option<DecisionRecord>), StoreError> {
    let corrupt = |v: &str| StoreError::Corrupt(format!("moderation state {v}"));
    let filed: String = r.try_get("filed_state")?;
    let filed = FactState::parse(&filed).ok_or_else(|| corrupt(&filed))?;
    let decision: Option<String> = r.try_get("decision")?;
    let Some(d) = decision else {
        return Ok((filed, None));
    };
    let decided_at: String = r.try_get("decided_at")?;
    let record = DecisionRecord {
        state: FactState::parse(&d).ok_or_else(|| corrupt(&d))?,
        reason: r.try_get("reason")?,
        decided_by: r.try_get("decided_by")?,
        at: parse_timestamp(&decided_at)?,
    };
    Ok((record.state, Some(record)))
}

impl Store {
    /// Records the one decision on a pending item; deciding twice is a conflict.
    pub(crate) async fn record_decision(
        &self,
        what: Moderated,
        id: i64,
        current: FactState,
        decision: &Decision,
        actor: Option<UserId>,
    ) -> Result<(), StoreError> {
        if current != FactState::Pending {
            return Err(StoreError::Conflict(
                Bilingual::new(format!(
                    "this {} was already {}",
                    what.name(),
                    current.as_str()
                ))
                .fr(match current {
                    FactState::Accepted => "Cette proposition a déjà été acceptée.",
                    FactState::Refused => "Cette proposition a déjà été refusée.",
                    _ => "Cette proposition a déjà été décidée.",
                }),
            ));
        }
        let (state, reason) = match decision {
            Decision::Accept => (FactState::Accepted, None),
            Decision::Refuse { reason } => (FactState::Refused, Some(reason.clone())),
        };
        sqlx::query(what.insert_sql())
            .bind(id)
            .bind(state.as_str())
            .bind(reason)
            .bind(actor.map(|a| a.0))
            .bind(now())
            .execute(&self.pool)
            .await
            .map_err(|e| {
                crate::error::conflict_on_unique(e, || {
                    Bilingual::new(format!(
                        "this {} was just decided by someone else",
                        what.name()
                    ))
                    .fr("Quelqu'un vient de décider de cette proposition : rechargez la page.")
                })
            })?;
        Ok(())
    }
}
