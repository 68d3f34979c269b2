//! Badge rules and their sandbox. A rule is a read-only SQL `SELECT` a Guru writes, returning
//! `user_id` and `score` for the accounts of one collective, over documented views of its
//! activity ([`VIEWS`]). Nothing of the rule is trusted:
//!
//! - it is parsed ([`check_rule`]) and refused unless it is one `SELECT` that reads only those
//!   views and its own top-level `WITH` tables (each only the ones before it, so a name can
//!   never fall through to a real table), calls only the functions of [`FUNCTIONS`], and has
//!   no placeholder, lock, `INTO` or nested `WITH`;
//! - the SQL that runs is written back from the parsed tree, after the views, which the
//!   server defines with the collective bound as a parameter (`$1`): a rule cannot name a
//!   collective, only read the one it belongs to;
//! - it runs read-only (PostgreSQL: a `READ ONLY` transaction, rolled back; SQLite: a
//!   connection opened read-only) and is stopped after a time limit (PostgreSQL's
//!   `statement_timeout`; SQLite's progress handler);
//! - the views hold no e-mail, phone, IP address, token, name or free text.

use std::ops::ControlFlow;
use std::str::FromStr as _;
use std::time::{Duration, Instant};

use sqlparser::ast::{
    BinaryOperator, Expr, GroupByExpr, ObjectName, ObjectNamePart, Query, SelectItem, SetExpr,
    Statement, TableFactor, Value, Visit, Visitor,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlx::Row as _;
use vigie_domain::{TenantId, UserId};

use crate::{Backend, Store};

/// The longest rule accepted, in characters.
pub const MAX_RULE_LEN: usize = 10_000;

/// How long a rule may run before it is stopped.
pub const RULE_TIME_LIMIT: Duration = Duration::from_secs(2);

/// A view rules may read: its name, its columns (documented in `docs/badges.md`) and its
/// definition, with the collective as `$1`.
pub struct RuleView {
    /// The name rules use.
    pub name: &'static str,
    /// Its columns, in order.
    pub columns: &'static [&'static str],
    /// Its `SELECT`, the collective bound as `$1`.
    pub definition: &'static str,
}

/// The views of a collective's activity that rules read. `user_id` is always the account
/// that acted; no column holds personal data.
pub const VIEWS: &[RuleView] = &[
    RuleView {
        name: "v_contributions",
        columns: &[
            "id",
            "user_id",
            "object_id",
            "object_type",
            "field_key",
            "vintage",
            "provenance",
            "filed_at",
            "outcome",
            "decided_at",
        ],
        definition: "SELECT f.id, f.author_id AS user_id, f.object_id, o.type_key AS object_type, \
             f.field_key, f.vintage, f.provenance, f.at AS filed_at, \
             CASE WHEN d.decision IS NOT NULL THEN d.decision \
                  WHEN f.filed_state = 'accepted' THEN 'accepted' ELSE 'pending' END AS outcome, \
             d.at AS decided_at \
             FROM facts f JOIN objects o ON o.id = f.object_id \
             LEFT JOIN fact_decisions d ON d.fact_id = f.id \
             WHERE f.tenant_id = $1 AND f.author_id IS NOT NULL AND f.import_id IS NULL",
    },
    RuleView {
        name: "v_requests",
        columns: &[
            "id",
            "user_id",
            "object_id",
            "kind",
            "status",
            "urgency",
            "provenance",
            "filed_at",
            "updated_at",
        ],
        definition: "SELECT id, author_id AS user_id, object_id, kind, status, urgency, provenance, \
             filed_at, updated_at FROM requests WHERE tenant_id = $1",
    },
    RuleView {
        name: "v_supports",
        columns: &["request_id", "user_id", "at"],
        definition: "SELECT s.request_id, s.user_id, s.at FROM request_supporters s \
             JOIN requests r ON r.id = s.request_id \
             WHERE r.tenant_id = $1 AND s.user_id IS NOT NULL",
    },
    RuleView {
        name: "v_comments",
        columns: &["id", "request_id", "user_id", "at"],
        definition: "SELECT c.id, c.request_id, c.author_id AS user_id, c.at \
             FROM request_comments c JOIN requests r ON r.id = c.request_id \
             WHERE r.tenant_id = $1",
    },
    RuleView {
        name: "v_assignments",
        columns: &["request_id", "user_id", "at", "removed_at"],
        definition: "SELECT a.request_id, a.user_id, a.at, a.removed_at \
             FROM request_assignments a JOIN requests r ON r.id = a.request_id \
             WHERE r.tenant_id = $1 AND a.user_id IS NOT NULL",
    },
    RuleView {
        name: "v_decisions",
        columns: &["id", "user_id", "subject", "decision", "at"],
        definition: "SELECT d.id, d.decided_by AS user_id, 'contribution' AS subject, d.decision, d.at \
             FROM fact_decisions d JOIN facts f ON f.id = d.fact_id \
             WHERE f.tenant_id = $1 AND d.decided_by IS NOT NULL \
             UNION ALL \
             SELECT d.id, d.decided_by, 'life_event', d.decision, d.at \
             FROM life_event_decisions d JOIN life_events e ON e.id = d.event_id \
             WHERE e.tenant_id = $1 AND d.decided_by IS NOT NULL \
             UNION ALL \
             SELECT d.id, d.decided_by, 'document', d.decision, d.at \
             FROM document_decisions d JOIN documents x ON x.id = d.document_id \
             WHERE x.tenant_id = $1 AND d.decided_by IS NOT NULL",
    },
    RuleView {
        name: "v_certifications",
        columns: &["id", "user_id", "object_id", "field_key", "vintage", "at"],
        definition: "SELECT id, author_id AS user_id, object_id, field_key, vintage, at FROM facts \
             WHERE tenant_id = $1 AND provenance = 'garant' AND author_id IS NOT NULL",
    },
    RuleView {
        name: "v_documents",
        columns: &["id", "user_id", "object_id", "kind", "at"],
        definition: "SELECT id, uploaded_by AS user_id, object_id, kind, at FROM documents \
             WHERE tenant_id = $1 AND uploaded_by IS NOT NULL",
    },
    RuleView {
        name: "v_life_events",
        columns: &[
            "id",
            "user_id",
            "object_id",
            "kind",
            "starts_on",
            "outcome",
            "at",
        ],
        definition: "SELECT e.id, e.author_id AS user_id, e.object_id, e.kind, e.starts_on, \
             CASE WHEN d.decision IS NOT NULL THEN d.decision \
                  WHEN e.filed_state = 'accepted' THEN 'accepted' ELSE 'pending' END AS outcome, \
             e.at FROM life_events e LEFT JOIN life_event_decisions d ON d.event_id = e.id \
             WHERE e.tenant_id = $1 AND e.author_id IS NOT NULL",
    },
];

/// The functions rules may call (aggregates, conditionals, text and dates), the same on
/// both databases or on one of them.
pub const FUNCTIONS: &[&str] = &[
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "total",
    "coalesce",
    "nullif",
    "ifnull",
    "iif",
    "greatest",
    "least",
    "abs",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "lower",
    "upper",
    "length",
    "substr",
    "substring",
    "trim",
    "replace",
    "date",
    "datetime",
    "strftime",
    "julianday",
    "date_trunc",
    "to_char",
];

/// Why a rule was refused or failed. The message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// It is not a rule Vigie runs (parse error, a write, a table that is not a view…).
    #[error("{0}")]
    Refused(String),
    /// The database refused it or failed while running it (its message).
    #[error("the database refused the rule: {0}")]
    Failed(String),
    /// It ran longer than the time limit.
    #[error("the rule ran longer than {} s and was stopped: filter or aggregate earlier", RULE_TIME_LIMIT.as_secs())]
    TooSlow,
}

/// A rule that passed [`check_rule`], ready to run: its own `WITH` tables and its body,
/// written back from the parsed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRule {
    ctes: Vec<(String, String)>,
    body: String,
    /// The body limited to one account (`$2`) before it aggregates, when that gives the same
    /// row for that account (see [`for_one_account`]): what makes computing one account's
    /// badges after an action cheap.
    body_for_user: Option<String>,
}

fn refused(message: impl Into<String>) -> RuleError {
    RuleError::Refused(message.into())
}

/// A single, unquoted, lower-cased identifier, or `None`.
fn simple_name(name: &ObjectName) -> Option<String> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] if ident.quote_style.is_none() => {
            Some(ident.value.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// Walks a rule's tree: every relation must be one of `allowed`, every function listed, no
/// nested `WITH`, placeholder, lock or `INTO`.
struct Sandbox<'a> {
    allowed: &'a [String],
    /// Depth of queries: 0 outside, 1 in the top-level one.
    depth: usize,
}

impl Visitor for Sandbox<'_> {
    type Break = RuleError;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<RuleError> {
        self.depth += 1;
        if self.depth > 1 && query.with.is_some() {
            return ControlFlow::Break(refused(
                "WITH is allowed only at the start of the rule, not inside a subquery",
            ));
        }
        if !query.locks.is_empty() || query.for_clause.is_some() {
            return ControlFlow::Break(refused("a rule cannot lock rows (FOR UPDATE…)"));
        }
        match query.body.as_ref() {
            SetExpr::Select(select) if select.into.is_some() => {
                ControlFlow::Break(refused("a rule cannot write: SELECT … INTO is refused"))
            }
            SetExpr::Select(_) | SetExpr::Query(_) | SetExpr::SetOperation { .. } => {
                ControlFlow::Continue(())
            }
            SetExpr::Values(_) => ControlFlow::Continue(()),
            _ => ControlFlow::Break(refused("a rule only reads: write it as one SELECT")),
        }
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<RuleError> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<RuleError> {
        match simple_name(relation) {
            Some(name) if self.allowed.contains(&name) => ControlFlow::Continue(()),
            _ => ControlFlow::Break(refused(format!(
                "« {relation} » is not a view rules may read; use {}",
                VIEWS.iter().map(|v| v.name).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<RuleError> {
        match factor {
            TableFactor::Table { args: None, .. }
            | TableFactor::Derived { .. }
            | TableFactor::NestedJoin { .. } => ControlFlow::Continue(()),
            _ => ControlFlow::Break(refused(
                "read views, subqueries and joins only (no table functions)",
            )),
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<RuleError> {
        match expr {
            Expr::Function(f) => match simple_name(&f.name) {
                Some(name) if FUNCTIONS.contains(&name.as_str()) => ControlFlow::Continue(()),
                _ => ControlFlow::Break(refused(format!(
                    "the function « {} » is not allowed; rules may call {}",
                    f.name,
                    FUNCTIONS.join(", ")
                ))),
            },
            Expr::Value(v) if matches!(v.value, Value::Placeholder(_)) => ControlFlow::Break(
                refused("a rule has no parameters: the collective is bound by the server"),
            ),
            _ => ControlFlow::Continue(()),
        }
    }
}

/// Checks a rule and writes it back from its parsed tree (see the module).
pub fn check_rule(sql: &str) -> Result<CheckedRule, RuleError> {
    if sql.trim().is_empty() {
        return Err(refused(
            "write the rule: a SELECT returning user_id and score",
        ));
    }
    if sql.chars().count() > MAX_RULE_LEN {
        return Err(refused(format!(
            "a rule is {MAX_RULE_LEN} characters at most"
        )));
    }
    let mut statements = Parser::parse_sql(&GenericDialect {}, sql)
        .map_err(|e| refused(format!("the rule does not parse: {e}")))?;
    if statements.len() != 1 {
        return Err(refused(
            "write one SELECT only (no « ; » between statements)",
        ));
    }
    let Statement::Query(mut query) = statements.remove(0) else {
        return Err(refused("a rule only reads: write it as one SELECT"));
    };
    let views: Vec<String> = VIEWS.iter().map(|v| v.name.to_owned()).collect();
    let mut allowed = views.clone();
    let mut ctes = Vec::new();
    if let Some(with) = query.with.take() {
        if with.recursive {
            return Err(refused("recursive WITH is not allowed in rules"));
        }
        for cte in with.cte_tables {
            let name = cte.alias.name.value.to_ascii_lowercase();
            let plain = cte.alias.name.quote_style.is_none()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !plain || views.contains(&name) || name == "rule_result" || allowed.contains(&name) {
                return Err(refused(format!(
                    "« {} » cannot name a WITH table: pick a plain name that is not a view's",
                    cte.alias.name
                )));
            }
            if !cte.alias.columns.is_empty() {
                return Err(refused(format!(
                    "name the columns of « {name} » inside its SELECT (… AS column)"
                )));
            }
            // Its body sees the views and the tables before it, as both databases do.
            if let ControlFlow::Break(e) = cte.query.visit(&mut Sandbox {
                allowed: &allowed,
                depth: 0,
            }) {
                return Err(e);
            }
            ctes.push((name.clone(), cte.query.to_string()));
            allowed.push(name);
        }
    }
    if let ControlFlow::Break(e) = query.visit(&mut Sandbox {
        allowed: &allowed,
        depth: 0,
    }) {
        return Err(e);
    }
    Ok(CheckedRule {
        ctes,
        body_for_user: for_one_account(&query).map(|q| q.to_string()),
        body: query.to_string(),
    })
}

/// The rule limited to the account `$2` in its `WHERE`, when its `user_id` is a plain column
/// it groups by: filtering rows on a group's key before grouping leaves that group as it was.
/// `None` otherwise (the whole result is then filtered, which is always right).
fn for_one_account(query: &Query) -> Option<Query> {
    let mut q = query.clone();
    let SetExpr::Select(select) = q.body.as_mut() else {
        return None;
    };
    let named_user = |name: &str| name.eq_ignore_ascii_case("user_id");
    let expr = select.projection.iter().find_map(|item| match item {
        SelectItem::ExprWithAlias { expr, alias } if named_user(&alias.value) => Some(expr.clone()),
        SelectItem::UnnamedExpr(e @ Expr::Identifier(i)) if named_user(&i.value) => Some(e.clone()),
        SelectItem::UnnamedExpr(e @ Expr::CompoundIdentifier(parts))
            if parts.last().is_some_and(|p| named_user(&p.value)) =>
        {
            Some(e.clone())
        }
        _ => None,
    })?;
    if !matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
        return None;
    }
    let GroupByExpr::Expressions(groups, _) = &select.group_by else {
        return None;
    };
    if !groups.iter().any(|g| g.to_string() == expr.to_string()) {
        return None;
    }
    let only = Expr::BinaryOp {
        left: Box::new(expr),
        op: BinaryOperator::Eq,
        right: Box::new(Expr::value(Value::Placeholder("$2".into()))),
    };
    select.selection = Some(match select.selection.take() {
        Some(w) => Expr::BinaryOp {
            left: Box::new(Expr::Nested(Box::new(w))),
            op: BinaryOperator::And,
            right: Box::new(only),
        },
        None => only,
    });
    Some(q)
}

impl CheckedRule {
    /// The SQL that runs: the views bound to `$1`, the rule's own tables, the rule as
    /// `rule_result`, and its `user_id` and `score` as integers (with `only_user`, `$2`'s).
    pub fn sql(&self, only_user: bool) -> String {
        let mut sql = String::from("WITH ");
        for view in VIEWS {
            sql.push_str(view.name);
            sql.push_str(" AS (");
            sql.push_str(view.definition);
            sql.push_str("), ");
        }
        for (name, body) in &self.ctes {
            sql.push_str(&format!("{name} AS ({body}), "));
        }
        let body = match (&self.body_for_user, only_user) {
            (Some(limited), true) => limited,
            _ => &self.body,
        };
        sql.push_str(&format!(
            "rule_result AS ({body}) SELECT CAST(user_id AS BIGINT) AS user_id, \
             CAST(score AS BIGINT) AS score FROM rule_result WHERE user_id IS NOT NULL"
        ));
        if only_user {
            sql.push_str(" AND user_id = $2");
        }
        sql
    }
}

/// What a rule gave: each account's score (the highest when it returned several rows for
/// one), and how long it took.
#[derive(Debug, Clone, Default)]
pub struct RuleRun {
    /// `(account, score)`, by account.
    pub scores: Vec<(UserId, i64)>,
    /// Time spent running it.
    pub elapsed: Duration,
}

fn failed(e: sqlx::Error) -> RuleError {
    let text = match &e {
        sqlx::Error::Database(d) => {
            if d.code().as_deref() == Some("57014") || d.message().contains("interrupt") {
                return RuleError::TooSlow;
            }
            d.message().to_owned()
        }
        other => other.to_string(),
    };
    RuleError::Failed(text)
}

fn collect(rows: Vec<(i64, i64)>, elapsed: Duration) -> RuleRun {
    let mut scores: Vec<(UserId, i64)> = Vec::with_capacity(rows.len());
    let mut rows = rows;
    rows.sort_unstable();
    for (user, score) in rows {
        match scores.last_mut() {
            Some((last, best)) if last.0 == user => *best = (*best).max(score),
            _ => scores.push((UserId(user), score)),
        }
    }
    RuleRun { scores, elapsed }
}

impl Store {
    /// Runs a checked rule for `tenant` (every account, or only `user`), read-only and within
    /// [`RULE_TIME_LIMIT`].
    pub async fn run_rule(
        &self,
        tenant: TenantId,
        rule: &CheckedRule,
        user: Option<UserId>,
    ) -> Result<RuleRun, RuleError> {
        self.run_rules(tenant, std::slice::from_ref(rule), user)
            .await
            .pop()
            .unwrap_or(Err(RuleError::Failed("no rule ran".into())))
    }

    /// Runs several rules one after the other on one read-only connection (SQLite) or
    /// transaction (PostgreSQL), each within [`RULE_TIME_LIMIT`]: one result per rule, in
    /// order. A rule that fails does not stop the others.
    pub async fn run_rules(
        &self,
        tenant: TenantId,
        rules: &[CheckedRule],
        user: Option<UserId>,
    ) -> Vec<Result<RuleRun, RuleError>> {
        match (self.backend(), &self.sqlite_file_url) {
            (Backend::Sqlite, Some(url)) => run_on_sqlite_file(url, rules, tenant, user).await,
            (Backend::Sqlite, None) => self.run_on_pool(rules, tenant, user, false).await,
            (Backend::Postgres, _) => self.run_on_pool(rules, tenant, user, true).await,
        }
    }

    /// A read-only transaction for rules: PostgreSQL's `READ ONLY` with a statement timeout;
    /// SQLite in memory (tests only) with `query_only`.
    async fn rule_transaction(
        &self,
        postgres: bool,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, RuleError> {
        let mut tx = self.pool.begin().await.map_err(failed)?;
        let setup: Vec<String> = if postgres {
            vec![
                "SET TRANSACTION READ ONLY".to_owned(),
                format!(
                    "SET LOCAL statement_timeout = {}",
                    RULE_TIME_LIMIT.as_millis()
                ),
            ]
        } else {
            vec!["PRAGMA query_only = ON".to_owned()]
        };
        for s in setup {
            sqlx::query(sqlx::AssertSqlSafe(s))
                .execute(&mut *tx)
                .await
                .map_err(failed)?;
        }
        Ok(tx)
    }

    /// Ends a rule transaction: nothing it did stays.
    async fn end_rule_transaction(tx: sqlx::Transaction<'static, sqlx::Any>, postgres: bool) {
        let mut tx = tx;
        if !postgres {
            let _ = sqlx::query("PRAGMA query_only = OFF")
                .execute(&mut *tx)
                .await;
        }
        let _ = tx.rollback().await;
    }

    async fn run_on_pool(
        &self,
        rules: &[CheckedRule],
        tenant: TenantId,
        user: Option<UserId>,
        postgres: bool,
    ) -> Vec<Result<RuleRun, RuleError>> {
        let mut out = Vec::with_capacity(rules.len());
        let mut tx = None;
        for rule in rules {
            if tx.is_none() {
                match self.rule_transaction(postgres).await {
                    Ok(t) => tx = Some(t),
                    Err(e) => {
                        out.push(Err(e));
                        continue;
                    }
                }
            }
            let Some(t) = tx.as_mut() else { continue };
            let started = Instant::now();
            // Audited: written back by `check_rule` from a tree that passed the sandbox.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(rule.sql(user.is_some()))).bind(tenant.0);
            if let Some(u) = user {
                q = q.bind(u.0);
            }
            let result = q.fetch_all(&mut **t).await.and_then(|rows| {
                rows.iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<Result<Vec<(i64, i64)>, sqlx::Error>>()
            });
            match result {
                Ok(rows) => out.push(Ok(collect(rows, started.elapsed()))),
                Err(e) => {
                    out.push(Err(failed(e)));
                    // A failed statement spoils a PostgreSQL transaction: a fresh one next.
                    if let Some(t) = tx.take() {
                        Self::end_rule_transaction(t, postgres).await;
                    }
                }
            }
        }
        if let Some(t) = tx {
            Self::end_rule_transaction(t, postgres).await;
        }
        out
    }
}

/// SQLite: a connection of its own opened read-only, each rule stopped by its progress
/// handler once the time limit has passed.
async fn run_on_sqlite_file(
    url: &str,
    rules: &[CheckedRule],
    tenant: TenantId,
    user: Option<UserId>,
) -> Vec<Result<RuleRun, RuleError>> {
    use sqlx::Connection as _;
    let options = match sqlx::sqlite::SqliteConnectOptions::from_str(url) {
        Ok(o) => o.read_only(true).busy_timeout(Duration::from_secs(5)),
        Err(e) => return rules.iter().map(|_| Err(failed_text(&e))).collect(),
    };
    let mut conn = match sqlx::sqlite::SqliteConnection::connect_with(&options).await {
        Ok(c) => c,
        Err(e) => return rules.iter().map(|_| Err(failed_text(&e))).collect(),
    };
    let mut out = Vec::with_capacity(rules.len());
    for rule in rules {
        let started = Instant::now();
        let deadline = started + RULE_TIME_LIMIT;
        match conn.lock_handle().await {
            Ok(mut handle) => {
                handle.set_progress_handler(1_000, move || Instant::now() < deadline);
            }
            Err(e) => {
                out.push(Err(failed(e)));
                continue;
            }
        }
        // Audited: written back by `check_rule` from a tree that passed the sandbox.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(rule.sql(user.is_some()))).bind(tenant.0);
        if let Some(u) = user {
            q = q.bind(u.0);
        }
        let result = q.fetch_all(&mut conn).await.and_then(|rows| {
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<(i64, i64)>, sqlx::Error>>()
        });
        out.push(
            result
                .map(|rows| collect(rows, started.elapsed()))
                .map_err(failed),
        );
    }
    let _ = conn.close().await;
    out
}

fn failed_text(e: &sqlx::Error) -> RuleError {
    RuleError::Failed(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_with(sql: &str, part: &str) {
        match check_rule(sql) {
            Err(RuleError::Refused(m)) => assert!(m.contains(part), "{sql}: {m}"),
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn plain_rules_pass_and_are_written_back() {
        let r = check_rule(
            "with ok as (select user_id, count(*) as n from v_contributions \
             where outcome = 'accepted' group by user_id) \
             select user_id, n as score from ok where n > 0 -- xyzzy",
        )
        .unwrap();
        let sql = r.sql(true);
        assert!(sql.contains("ok AS (SELECT user_id, count(*) AS n FROM v_contributions"));
        assert!(sql.ends_with("AND user_id = $2"), "{sql}");
        // Grouped by user_id: limited to the account before grouping too.
        let r = check_rule(
            "select user_id, count(*) as score from v_requests where status = 'solved' group by user_id",
        )
        .unwrap();
        assert!(
            r.sql(true)
                .contains("WHERE (status = 'solved') AND user_id = $2 GROUP BY user_id"),
            "{}",
            r.sql(true)
        );
        assert!(!r.sql(false).contains("$2"));
        // Not grouped by it: only the result is filtered.
        let r = check_rule("select 1 + user_id as user_id, 1 as score from v_requests").unwrap();
        assert_eq!(r.sql(true).matches("$2").count(), 1);
        assert!(!sql.contains("xyzzy"));
    }

    /// Each view's columns, read from its definition's parsed SELECT lists (every branch of
    /// a UNION), are the ones documented, and none of them can hold personal data.
    #[test]
    fn views_hold_no_personal_data() {
        const PERSONAL: [&str; 10] = [
            "email", "mail", "phone", "ip", "token", "password", "hash", "name", "address",
            "contact",
        ];
        fn columns(body: &SetExpr, out: &mut Vec<Vec<String>>) {
            match body {
                SetExpr::Select(select) => out.push(
                    select
                        .projection
                        .iter()
                        .map(|item| match item {
                            SelectItem::ExprWithAlias { alias, .. } => alias.value.clone(),
                            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => {
                                parts.last().map(|p| p.value.clone()).unwrap_or_default()
                            }
                            SelectItem::UnnamedExpr(Expr::Identifier(i)) => i.value.clone(),
                            other => format!("{other}"),
                        })
                        .collect(),
                ),
                SetExpr::SetOperation { left, right, .. } => {
                    columns(left, out);
                    columns(right, out);
                }
                other => panic!("unexpected view body {other}"),
            }
        }
        for view in VIEWS {
            let parsed = Parser::parse_sql(&GenericDialect {}, view.definition).unwrap();
            let Statement::Query(q) = &parsed[0] else {
                panic!("{} is not a SELECT", view.name)
            };
            let mut branches = Vec::new();
            columns(&q.body, &mut branches);
            // A UNION's later branches take the first one's names.
            assert_eq!(branches[0], view.columns, "{}", view.name);
            for b in &branches {
                assert_eq!(b.len(), view.columns.len(), "{}", view.name);
            }
            for column in view.columns {
                for word in PERSONAL {
                    assert!(
                        !column.split('_').any(|part| part == word),
                        "{}.{column} looks like personal data",
                        view.name
                    );
                }
            }
            assert!(view.columns.contains(&"user_id"), "{}", view.name);
            // Every view is bound to the collective.
            assert!(view.definition.contains("tenant_id = $1"), "{}", view.name);
            assert!(
                !view.definition.contains("users"),
                "{} reads accounts",
                view.name
            );
        }
    }

    #[test]
    fn escapes_are_refused() {
        refused_with("delete from requests", "only reads");
        refused_with(
            "select 1 as user_id, 1 as score; drop table users",
            "one SELECT",
        );
        refused_with("select id as user_id, 1 as score from users", "not a view");
        refused_with(
            "select 1 as user_id, 1 as score from main.requests",
            "not a view",
        );
        refused_with(
            "select 1 as user_id, 1 as score from \"v_requests\"",
            "not a view",
        );
        refused_with(
            "select 1 as user_id, 1 as score from pg_catalog.pg_user",
            "not a view",
        );
        refused_with(
            "select 1 as user_id, 1 as score from sqlite_master",
            "not a view",
        );
        refused_with(
            "select user_id, pg_sleep(10) as score from v_requests",
            "pg_sleep",
        );
        refused_with(
            "select user_id, load_extension('x') as score from v_requests",
            "load_extension",
        );
        refused_with(
            "select user_id, 1 as score from v_requests where id = $1",
            "parameters",
        );
        refused_with("select user_id, 1 as score into x from v_requests", "INTO");
        refused_with(
            "select user_id, 1 as score from v_requests for update",
            "lock",
        );
        refused_with(
            "with recursive r(n) as (select 1 union all select n + 1 from r) select n as user_id, n as score from r",
            "recursive",
        );
        refused_with(
            "with a as (select * from users), users as (select 1) select 1 as user_id, 1 as score from a",
            "not a view",
        );
        refused_with(
            "with v_requests as (select 1) select 1 as user_id, 1 as score",
            "cannot name",
        );
        refused_with(
            "select user_id, 1 as score from (with x as (select 1) select * from v_requests) t",
            "only at the start",
        );
        assert!(check_rule("select user_id, 1 as score from generate_series(1, 10)").is_err());
        refused_with("insert into badges values (1)", "only reads");
        refused_with("select (", "does not parse");
        refused_with("", "write the rule");
    }
}
