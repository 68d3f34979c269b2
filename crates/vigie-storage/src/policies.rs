//! Casbin rules and the public record of role grants.
//!
//! Rules are stored in the usual Casbin shape (`ptype, v0..v5`) with the collective they belong
//! to (`NULL` for platform-wide rules). Grants of Guru, Garant and Certified roles are `g` rules;
//! every grant and revocation also appends a [`RoleEvent`], which is never updated.

use sqlx::Row;
use time::OffsetDateTime;
use vigie_domain::Bilingual;
use vigie_domain::{ObjectTypeKey, Role, TenantId, UserId, authz::user_subject};

use crate::error::conflict_on_unique;
use crate::{Change, Store, StoreError, now, parse_timestamp};

/// One Casbin rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CasbinRule {
    /// `p` or `g`.
    pub ptype: String,
    /// The rule's fields (at most six).
    pub values: Vec<String>,
}

impl CasbinRule {
    fn padded(&self) -> Result<[&str; 6], StoreError> {
        if self.values.len() > 6 {
            return Err(StoreError::Corrupt(format!(
                "a Casbin rule has at most 6 fields, got {}",
                self.values.len()
            )));
        }
        let mut out = [""; 6];
        for (slot, v) in out.iter_mut().zip(&self.values) {
            *slot = v;
        }
        Ok(out)
    }
}

/// Which rules an enforcer loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyScope {
    /// Platform-wide rules only.
    Platform,
    /// One collective's rules plus the platform-wide ones.
    Tenant(TenantId),
}

/// A grant or revocation to record.
#[derive(Debug, Clone)]
pub struct GrantChange {
    /// The collective, or `None` for a platform role (Guru).
    pub tenant: Option<TenantId>,
    /// The role.
    pub role: Role,
    /// Who receives or loses it.
    pub user: UserId,
    /// The Casbin domain pattern it covers (see `Scope::grant_pattern`).
    pub domain_pattern: String,
    /// The object type, for Garant and Certified.
    pub object_type: Option<ObjectTypeKey>,
    /// The object, for Certified.
    pub object_id: Option<i64>,
    /// Who decided; `None` when done from the command line by the operator.
    pub actor: Option<UserId>,
}

/// Whether an event granted or revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleEventAction {
    /// The role was given.
    Grant,
    /// The role was taken back.
    Revoke,
}

impl RoleEventAction {
    fn as_str(self) -> &'static str {
        match self {
            RoleEventAction::Grant => "grant",
            RoleEventAction::Revoke => "revoke",
        }
    }
}

/// One entry of the public record of grants. Carries display names only, never e-mails.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleEvent {
    /// Sequence number.
    pub id: i64,
    /// Grant or revoke.
    pub action: RoleEventAction,
    /// The role.
    pub role: Role,
    /// Who received or lost it.
    pub user_id: UserId,
    /// Their public name.
    pub user_name: String,
    /// Object type, for Garant and Certified.
    pub object_type: Option<String>,
    /// Object, for Certified.
    pub object_id: Option<i64>,
    /// Public name of who decided (`None`: the platform operator, from the command line).
    pub actor_name: Option<String>,
    /// When.
    pub at: OffsetDateTime,
}

/// A role currently held.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleHolder {
    /// The role.
    pub role: Role,
    /// The holder.
    pub user_id: UserId,
    /// Their public name.
    pub user_name: String,
    /// The Casbin domain pattern the role covers.
    pub domain_pattern: String,
}

impl Store {
    /// Rules an enforcer of `scope` loads.
    pub async fn load_rules(&self, scope: PolicyScope) -> Result<Vec<CasbinRule>, StoreError> {
        // Platform rules have no collective; ids start at 1, so 0 selects none.
        let tenant = match scope {
            PolicyScope::Platform => 0,
            PolicyScope::Tenant(t) => t.0,
        };
        let rows = sqlx::query(
            "SELECT ptype, v0, v1, v2, v3, v4, v5 FROM casbin_rules \
             WHERE tenant_id IS NULL OR tenant_id = $1 ORDER BY id",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let mut values = Vec::with_capacity(6);
                for i in 1..=6 {
                    values.push(r.try_get::<String, _>(i)?);
                }
                while values.last().is_some_and(String::is_empty) {
                    values.pop();
                }
                Ok(CasbinRule {
                    ptype: r.try_get(0)?,
                    values,
                })
            })
            .collect()
    }

    /// Adds a rule; `false` if it already existed.
    pub async fn add_rule(
        &self,
        tenant: Option<TenantId>,
        rule: &CasbinRule,
    ) -> Result<bool, StoreError> {
        let v = rule.padded()?;
        let done = sqlx::query(
            "INSERT INTO casbin_rules (tenant_id, ptype, v0, v1, v2, v3, v4, v5) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.map(|t| t.0))
        .bind(&rule.ptype)
        .bind(v[0])
        .bind(v[1])
        .bind(v[2])
        .bind(v[3])
        .bind(v[4])
        .bind(v[5])
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes a rule; `false` if it did not exist.
    pub async fn remove_rule(&self, rule: &CasbinRule) -> Result<bool, StoreError> {
        let v = rule.padded()?;
        let done = sqlx::query(
            "DELETE FROM casbin_rules WHERE ptype = $1 AND v0 = $2 AND v1 = $3 AND v2 = $4 \
             AND v3 = $5 AND v4 = $6 AND v5 = $7",
        )
        .bind(&rule.ptype)
        .bind(v[0])
        .bind(v[1])
        .bind(v[2])
        .bind(v[3])
        .bind(v[4])
        .bind(v[5])
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes the rules of `ptype` whose fields from `field_index` on equal `values` (an empty
    /// value matches anything), as Casbin's `remove_filtered_policy` does.
    pub async fn remove_filtered_rules(
        &self,
        ptype: &str,
        field_index: usize,
        values: &[String],
    ) -> Result<bool, StoreError> {
        if field_index + values.len() > 6 {
            return Err(StoreError::Corrupt("Casbin filter beyond field v5".into()));
        }
        let mut sql = String::from("DELETE FROM casbin_rules WHERE ptype = $1");
        let mut binds = Vec::new();
        for (i, v) in values.iter().enumerate() {
            if !v.is_empty() {
                binds.push(v.clone());
                sql.push_str(&format!(" AND v{} = ${}", field_index + i, binds.len() + 1));
            }
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ptype.to_owned());
        for b in binds {
            q = q.bind(b);
        }
        Ok(q.execute(&self.pool).await?.rows_affected() > 0)
    }

    /// Makes the platform-wide `p` rules exactly `rules` (the role permissions shipped with the
    /// binary). Returns whether anything changed; if so, every collective's policy revision is
    /// bumped.
    pub async fn sync_platform_permissions(
        &self,
        rules: &[CasbinRule],
    ) -> Result<bool, StoreError> {
        let current: Vec<CasbinRule> = self
            .load_rules(PolicyScope::Platform)
            .await?
            .into_iter()
            .filter(|r| r.ptype == "p")
            .collect();
        let mut changed = false;
        for stale in current.iter().filter(|r| !rules.contains(r)) {
            changed |= self.remove_rule(stale).await?;
        }
        for rule in rules.iter().filter(|r| !current.contains(r)) {
            changed |= self.add_rule(None, rule).await?;
        }
        if changed {
            sqlx::query("UPDATE tenants SET policy_revision = policy_revision + 1")
                .execute(&self.pool)
                .await?;
        }
        Ok(changed)
    }

    /// Grants a role: adds its `g` rule, appends the event, bumps the policy revision, all in
    /// one transaction. Granting a role already held is a [`StoreError::Conflict`].
    pub async fn grant_role(&self, change: &GrantChange) -> Result<RoleEvent, StoreError> {
        self.change_role(change, RoleEventAction::Grant).await
    }

    /// Revokes a role; [`StoreError::NotFound`] if it is not held.
    pub async fn revoke_role(&self, change: &GrantChange) -> Result<RoleEvent, StoreError> {
        self.change_role(change, RoleEventAction::Revoke).await
    }

    async fn change_role(
        &self,
        change: &GrantChange,
        action: RoleEventAction,
    ) -> Result<RoleEvent, StoreError> {
        let subject = user_subject(change.user);
        let (_turn, mut tx) = self.begin_write().await?;
        match action {
            RoleEventAction::Grant => {
                sqlx::query(
                    "INSERT INTO casbin_rules (tenant_id, ptype, v0, v1, v2) VALUES ($1, 'g', $2, $3, $4)",
                )
                .bind(change.tenant.map(|t| t.0))
                .bind(&subject)
                .bind(change.role.as_str())
                .bind(&change.domain_pattern)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    conflict_on_unique(e, || {
                        Bilingual::new(format!(
                            "this user already holds the role {} there",
                            change.role.as_str()
                        ))
                        .fr("Cette personne a déjà ce rôle ici.")
                    })
                })?;
            }
            RoleEventAction::Revoke => {
                let done = sqlx::query(
                    "DELETE FROM casbin_rules WHERE ptype = 'g' AND v0 = $1 AND v1 = $2 AND v2 = $3 \
                     AND v3 = '' AND v4 = '' AND v5 = ''",
                )
                .bind(&subject)
                .bind(change.role.as_str())
                .bind(&change.domain_pattern)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("role grant"));
                }
            }
        }
        let id: i64 = sqlx::query(
            "INSERT INTO role_events (tenant_id, action, role, user_id, object_type, object_id, \
             actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(change.tenant.map(|t| t.0))
        .bind(action.as_str())
        .bind(change.role.as_str())
        .bind(change.user.0)
        .bind(change.object_type.as_ref().map(|t| t.as_str().to_owned()))
        .bind(change.object_id)
        .bind(change.actor.map(|a| a.0))
        .bind(now())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        // A platform role (tenant 0 here) counts in every collective.
        sqlx::query(
            "UPDATE tenants SET policy_revision = policy_revision + 1 WHERE $1 = 0 OR id = $1",
        )
        .bind(change.tenant.map_or(0, |t| t.0))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed(change.tenant.map_or(Change::Everything, Change::Tenant))
            .await;
        self.role_event(id).await
    }

    async fn role_event(&self, id: i64) -> Result<RoleEvent, StoreError> {
        let mut events = self.query_role_events("e.id = $1", id).await?;
        events.pop().ok_or(StoreError::NotFound("role event"))
    }

    /// The public record of grants and revocations in a collective (its own and the
    /// platform's Guru appointments are separate: `tenant = None` lists those), oldest first.
    pub async fn list_role_events(
        &self,
        tenant: Option<TenantId>,
    ) -> Result<Vec<RoleEvent>, StoreError> {
        self.query_role_events("COALESCE(e.tenant_id, 0) = $1", tenant.map_or(0, |t| t.0))
            .await
    }

    async fn query_role_events(
        &self,
        filter: &str,
        arg: i64,
    ) -> Result<Vec<RoleEvent>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT e.id, e.action, e.role, e.user_id, u.display_name AS user_name, e.object_type, \
             e.object_id, a.display_name AS actor_name, e.at FROM role_events e \
             JOIN users u ON u.id = e.user_id LEFT JOIN users a ON a.id = e.actor_id \
             WHERE {filter} ORDER BY e.id"
        )))
        .bind(arg)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let action: String = r.try_get("action")?;
                let role: String = r.try_get("role")?;
                let at: String = r.try_get("at")?;
                Ok(RoleEvent {
                    id: r.try_get("id")?,
                    action: match action.as_str() {
                        "grant" => RoleEventAction::Grant,
                        "revoke" => RoleEventAction::Revoke,
                        other => {
                            return Err(StoreError::Corrupt(format!("role event action {other}")));
                        }
                    },
                    role: Role::parse(&role)
                        .ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
                    user_id: UserId(r.try_get("user_id")?),
                    user_name: r.try_get("user_name")?,
                    object_type: r.try_get("object_type")?,
                    object_id: r.try_get("object_id")?,
                    actor_name: r.try_get("actor_name")?,
                    at: parse_timestamp(&at)?,
                })
            })
            .collect()
    }

    /// Roles currently granted in a collective (or platform-wide with `None`).
    pub async fn role_holders(
        &self,
        tenant: Option<TenantId>,
    ) -> Result<Vec<RoleHolder>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.v1, r.v2, u.id, u.display_name FROM casbin_rules r \
             JOIN users u ON r.v0 = 'user:' || CAST(u.id AS TEXT) \
             WHERE r.ptype = 'g' AND COALESCE(r.tenant_id, 0) = $1 \
             ORDER BY r.v1, r.v2, u.display_name",
        )
        .bind(tenant.map_or(0, |t| t.0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get(0)?;
                Ok(RoleHolder {
                    role: Role::parse(&role)
                        .ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
                    domain_pattern: r.try_get(1)?,
                    user_id: UserId(r.try_get(2)?),
                    user_name: r.try_get(3)?,
                })
            })
            .collect()
    }
}
