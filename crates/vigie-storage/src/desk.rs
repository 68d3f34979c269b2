//! What waits for a moderator: proposed values, life events and documents without a decision,
//! requests awaiting moderation, within a moderator's reach (a whole collective, some object
//! types, some objects), oldest first, a page at a time; and how many of each.
//!
//! Only what was filed pending can wait (`filed_state = 'pending'`, `status = 'new'`): partial
//! indexes on those keep the counts proportional to what citizens proposed, never to the
//! official data imported beside it.

use sqlx::Row;
use vigie_domain::{Role, TenantId, UserId, authz::user_subject};

use crate::bulk::{MAX_PARAMS, Placeholders};
use crate::events::{DOC_SELECT, EVENT_SELECT, doc_from_row, event_from_row};
use crate::facts::{FACT_SELECT, fact_from_row};
use crate::requests::{REQUEST_SELECT, request_from_row};
use crate::{Document, FactRecord, LifeEvent, RequestRecord, Store, StoreError};

/// Where a moderator moderates in one collective.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskScope {
    /// The whole collective (a Guru).
    pub everything: bool,
    /// Every object of these types (a Garant's).
    pub types: Vec<String>,
    /// These objects (a Certified citizen's).
    pub objects: Vec<i64>,
}

impl DeskScope {
    /// Whether it reaches nothing.
    pub fn is_empty(&self) -> bool {
        !self.everything && self.types.is_empty() && self.objects.is_empty()
    }
}

/// A role granted to an account, as stored: platform-wide (`tenant` `None`) or in a collective.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The collective, or none for the platform.
    pub tenant: Option<TenantId>,
    /// The role.
    pub role: Role,
    /// The Casbin domain pattern it covers (`*`, `{slug}/{type}/*`, `{slug}/{type}/{id}`).
    pub domain_pattern: String,
}

/// How many items of each kind wait.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeskCounts {
    /// Proposed values.
    pub contributions: i64,
    /// Proposed life events.
    pub life_events: i64,
    /// Documents attached to objects by citizens.
    pub documents: i64,
    /// Requests awaiting moderation.
    pub requests: i64,
}

impl DeskCounts {
    /// Everything that waits.
    pub fn total(&self) -> i64 {
        self.contributions + self.life_events + self.documents + self.requests
    }
}

/// The kinds of waiting items, with where their rows and their decisions are.
#[derive(Debug, Clone, Copy)]
enum Waiting {
    Fact,
    LifeEvent,
    Document,
    Request,
}

impl Waiting {
    /// The condition that an item (aliased as in its `SELECT`) still waits.
    fn condition(self) -> &'static str {
        match self {
            Waiting::Fact => "f.filed_state = 'pending' AND d.id IS NULL",
            Waiting::LifeEvent => "e.filed_state = 'pending' AND d.id IS NULL",
            Waiting::Document => {
                "d.filed_state = 'pending' AND d.request_id IS NULL AND x.id IS NULL"
            }
            Waiting::Request => "r.status = 'new'",
        }
    }

    /// The item's alias (its id, tenant and object columns).
    fn alias(self) -> &'static str {
        match self {
            Waiting::Fact => "f",
            Waiting::LifeEvent => "e",
            Waiting::Document => "d",
            Waiting::Request => "r",
        }
    }

    /// The rows of the item with their decision's, for a list.
    fn select(self) -> &'static str {
        match self {
            Waiting::Fact => FACT_SELECT,
            Waiting::LifeEvent => EVENT_SELECT,
            Waiting::Document => DOC_SELECT,
            Waiting::Request => REQUEST_SELECT,
        }
    }

    /// The table and the joins its condition needs, for a count.
    fn count_from(self) -> &'static str {
        match self {
            Waiting::Fact => "facts f LEFT JOIN fact_decisions d ON d.fact_id = f.id",
            Waiting::LifeEvent => {
                "life_events e LEFT JOIN life_event_decisions d ON d.event_id = e.id"
            }
            Waiting::Document => {
                "documents d LEFT JOIN document_decisions x ON x.document_id = d.id"
            }
            Waiting::Request => "requests r",
        }
    }
}

/// The `WHERE` of waiting items of a collective within a scope, and its values in order (the
/// collective first). Types and objects beyond the bound of a statement's parameters are left
/// out (no moderator holds that many).
fn filter(p: &mut Placeholders, what: Waiting, scope: &DeskScope) -> (String, Vec<Bind>) {
    let a = what.alias();
    let mut binds = Vec::new();
    let mut sql = format!("{a}.tenant_id = {} AND {}", p.next(), what.condition());
    binds.push(Bind::Tenant);
    if !scope.everything {
        let types: Vec<&String> = scope.types.iter().take(MAX_PARAMS / 4).collect();
        let objects: Vec<i64> = scope.objects.iter().copied().take(MAX_PARAMS / 2).collect();
        let mut parts = Vec::new();
        if !types.is_empty() {
            parts.push(format!(
                "{a}.object_id IN (SELECT so.id FROM objects so WHERE so.type_key IN ({}))",
                p.rows(types.len(), 1)
            ));
            binds.extend(types.into_iter().map(|t| Bind::Text(t.clone())));
        }
        if !objects.is_empty() {
            parts.push(format!("{a}.object_id IN ({})", p.rows(objects.len(), 1)));
            binds.extend(objects.into_iter().map(Bind::Int));
        }
        if parts.is_empty() {
            parts.push("1 = 0".into());
        }
        sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
    }
    (sql, binds)
}

/// A value of a desk query.
enum Bind {
    /// The collective's id.
    Tenant,
    Text(String),
    Int(i64),
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

fn bind_all<'q>(mut q: AnyQuery<'q>, tenant: TenantId, binds: Vec<Bind>) -> AnyQuery<'q> {
    for b in binds {
        q = match b {
            Bind::Tenant => q.bind(tenant.0),
            Bind::Text(t) => q.bind(t),
            Bind::Int(i) => q.bind(i),
        };
    }
    q
}

impl Store {
    /// The roles granted to an account, in every collective and on the platform.
    pub async fn user_grants(&self, user: UserId) -> Result<Vec<Grant>, StoreError> {
        let rows = sqlx::query(
            "SELECT tenant_id, v1, v2 FROM casbin_rules WHERE ptype = 'g' AND v0 = $1 ORDER BY id",
        )
        .bind(user_subject(user))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get(1)?;
                Ok(Grant {
                    tenant: r.try_get::<Option<i64>, _>(0)?.map(TenantId),
                    role: Role::parse(&role)
                        .ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
                    domain_pattern: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// How many items wait in `tenant` within each scope (`items`: contributions, life events
    /// and documents; `requests`: requests awaiting moderation).
    pub async fn desk_counts(
        &self,
        tenant: TenantId,
        items: &DeskScope,
        requests: &DeskScope,
    ) -> Result<DeskCounts, StoreError> {
        let mut counts = DeskCounts::default();
        for (what, scope) in [
            (Waiting::Fact, items),
            (Waiting::LifeEvent, items),
            (Waiting::Document, items),
            (Waiting::Request, requests),
        ] {
            if scope.is_empty() {
                continue;
            }
            let mut p = Placeholders::new(self.backend());
            let (filter, binds) = filter(&mut p, what, scope);
            let sql = format!("SELECT COUNT(*) FROM {} WHERE {filter}", what.count_from());
            let q = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), tenant, binds);
            let n: i64 = q.fetch_one(&self.pool).await?.try_get(0)?;
            match what {
                Waiting::Fact => counts.contributions = n,
                Waiting::LifeEvent => counts.life_events = n,
                Waiting::Document => counts.documents = n,
                Waiting::Request => counts.requests = n,
            }
        }
        Ok(counts)
    }

    async fn waiting_rows(
        &self,
        what: Waiting,
        tenant: TenantId,
        scope: &DeskScope,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        let mut p = Placeholders::new(self.backend());
        let (filter, binds) = filter(&mut p, what, scope);
        let sql = format!(
            "{} WHERE {filter} ORDER BY {a}.id LIMIT {} OFFSET {}",
            what.select(),
            p.next(),
            p.next(),
            a = what.alias(),
        );
        let q = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), tenant, binds)
            .bind(limit)
            .bind(offset);
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Proposed values without a decision, oldest first: `limit` after the first `offset`.
    pub async fn waiting_facts(
        &self,
        tenant: TenantId,
        scope: &DeskScope,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<FactRecord>, StoreError> {
        let rows = self
            .waiting_rows(Waiting::Fact, tenant, scope, offset, limit)
            .await?;
        rows.iter().map(fact_from_row).collect()
    }

    /// Proposed life events without a decision, oldest first.
    pub async fn waiting_life_events(
        &self,
        tenant: TenantId,
        scope: &DeskScope,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<LifeEvent>, StoreError> {
        let rows = self
            .waiting_rows(Waiting::LifeEvent, tenant, scope, offset, limit)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Documents attached to objects awaiting a decision, oldest first (a request's files
    /// follow the request's moderation: not here).
    pub async fn waiting_documents(
        &self,
        tenant: TenantId,
        scope: &DeskScope,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Document>, StoreError> {
        let rows = self
            .waiting_rows(Waiting::Document, tenant, scope, offset, limit)
            .await?;
        rows.iter().map(doc_from_row).collect()
    }

    /// Requests awaiting moderation, oldest first.
    pub async fn waiting_requests(
        &self,
        tenant: TenantId,
        scope: &DeskScope,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<RequestRecord>, StoreError> {
        let rows = self
            .waiting_rows(Waiting::Request, tenant, scope, offset, limit)
            .await?;
        rows.iter().map(request_from_row).collect()
    }
}
