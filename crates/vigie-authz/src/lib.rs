//! Vigie's authorization.
//!
//! Every operation of the API asks [`Authorizer::authorize`], which answers with a [`Permit`]
//! (or [`AuthzError::Forbidden`]). Use cases that change something take the permit as an
//! argument, so code that skipped the check cannot call them: only this crate can make one.
//!
//! The decision is Casbin's, with the model in `model.conf` and the role permissions in
//! `permissions.csv` beside this crate. Rules are stored in our own database through
//! [`StoreAdapter`] and loaded per collective: each collective has its own enforcer, holding its
//! grants plus the platform-wide rules, reloaded when the collective's policy revision moves.

mod adapter;

use std::collections::HashMap;
use std::sync::Arc;

use casbin::{CoreApi, DefaultModel, Enforcer};
use tokio::sync::RwLock;
use vigie_domain::{Operation, Principal, Role, Scope, TenantId, UserId};
use vigie_storage::{CasbinRule, PolicyScope, Store, StoreError, Tenant};

pub use adapter::StoreAdapter;

/// The Casbin model.
pub const MODEL: &str = include_str!("../model.conf");
/// The role permissions shipped with this binary.
pub const PERMISSIONS: &str = include_str!("../permissions.csv");

/// Why an authorization could not be given.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    /// The principal may not perform the operation in this scope.
    #[error("you are not allowed to {operation} here{}", if *anonymous { ": sign in first" } else { "" })]
    Forbidden {
        /// What was attempted.
        operation: Operation,
        /// Whether the caller was anonymous (signing in may help).
        anonymous: bool,
    },
    /// A programming error: the scope's collective is not the one given.
    #[error("scope and collective disagree: {0}")]
    ScopeMismatch(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Casbin failed (bad model or rule).
    #[error("authorization engine error: {0}")]
    Casbin(String),
}

impl From<casbin::Error> for AuthzError {
    fn from(e: casbin::Error) -> Self {
        AuthzError::Casbin(e.to_string())
    }
}

/// Proof that an operation was authorized for someone in some scope. Only
/// [`Authorizer::authorize`] makes one.
#[derive(Debug, Clone)]
pub struct Permit {
    operation: Operation,
    scope: Scope,
    actor: Option<UserId>,
}

impl Permit {
    /// The operation allowed.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Where it is allowed.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Who is allowed (`None`: anonymous).
    pub fn actor(&self) -> Option<UserId> {
        self.actor
    }

    /// Checks the permit is for `operation`; use cases call this first.
    pub fn require(&self, operation: Operation) -> Result<(), AuthzError> {
        if self.operation == operation {
            Ok(())
        } else {
            Err(AuthzError::ScopeMismatch(format!(
                "a permit for {} was used for {operation}",
                self.operation
            )))
        }
    }

    /// A permit for work done by the platform operator from the command line, who has full
    /// access to the machine and database anyway. Not reachable from HTTP.
    pub fn operator(operation: Operation, scope: Scope) -> Self {
        Self {
            operation,
            scope,
            actor: None,
        }
    }
}

struct CachedEnforcer {
    revision: i64,
    enforcer: Arc<Enforcer>,
}

/// Decides who may do what. One per process, shared.
pub struct Authorizer {
    store: Store,
    tenants: RwLock<HashMap<TenantId, CachedEnforcer>>,
}

impl Authorizer {
    /// Makes the stored role permissions equal to [`PERMISSIONS`] and returns the authorizer.
    pub async fn new(store: Store) -> Result<Self, AuthzError> {
        store
            .sync_platform_permissions(&default_permissions()?)
            .await?;
        Ok(Self {
            store,
            tenants: RwLock::new(HashMap::new()),
        })
    }

    /// Authorizes `principal` to perform `operation` in `scope`. `tenant` is the collective
    /// the scope belongs to (`None` for [`Scope::Platform`]).
    pub async fn authorize(
        &self,
        principal: &Principal,
        tenant: Option<&Tenant>,
        scope: Scope,
        operation: Operation,
    ) -> Result<Permit, AuthzError> {
        if self
            .is_allowed(principal, tenant, &scope, operation)
            .await?
        {
            Ok(Permit {
                operation,
                scope,
                actor: principal.user_id(),
            })
        } else {
            Err(AuthzError::Forbidden {
                operation,
                anonymous: matches!(principal, Principal::Anonymous),
            })
        }
    }

    /// The decision alone.
    pub async fn is_allowed(
        &self,
        principal: &Principal,
        tenant: Option<&Tenant>,
        scope: &Scope,
        operation: Operation,
    ) -> Result<bool, AuthzError> {
        if scope.tenant() != tenant.map(|t| &t.slug) {
            return Err(AuthzError::ScopeMismatch(format!(
                "scope {scope:?} checked against collective {:?}",
                tenant.map(|t| t.slug.as_str())
            )));
        }
        let enforcer = self.enforcer(tenant).await?;
        let (obj, act) = operation.casbin();
        let domains = scope.covering_grant_domains();
        for subject in subjects(principal, tenant) {
            for dom in &domains {
                if enforcer.enforce((subject.as_str(), dom.as_str(), obj, act))? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The implicit roles of a principal in a collective (Anonymous, Citizen, Official).
    pub fn implicit_roles(principal: &Principal, tenant: Option<&Tenant>) -> Vec<Role> {
        subjects(principal, tenant)
            .iter()
            .filter_map(|s| Role::parse(s))
            .collect()
    }

    async fn enforcer(&self, tenant: Option<&Tenant>) -> Result<Arc<Enforcer>, AuthzError> {
        let Some(tenant) = tenant else {
            // Platform decisions (opening a collective) are rare: load fresh each time.
            return Ok(Arc::new(self.build(PolicyScope::Platform).await?));
        };
        if let Some(cached) = self.tenants.read().await.get(&tenant.id)
            && cached.revision == tenant.policy_revision
        {
            return Ok(cached.enforcer.clone());
        }
        // Read the revision before the rules: a change in between makes the cache stale,
        // never wrong for long.
        let revision = tenant.policy_revision;
        let enforcer = Arc::new(self.build(PolicyScope::Tenant(tenant.id)).await?);
        self.tenants.write().await.insert(
            tenant.id,
            CachedEnforcer {
                revision,
                enforcer: enforcer.clone(),
            },
        );
        Ok(enforcer)
    }

    async fn build(&self, scope: PolicyScope) -> Result<Enforcer, AuthzError> {
        let model = DefaultModel::from_str(MODEL).await?;
        let adapter = StoreAdapter::new(self.store.clone(), scope);
        Ok(Enforcer::new(model, adapter).await?)
    }
}

/// The Casbin subjects a principal acts as in a collective: its own account (for explicit
/// grants) and its implicit roles.
fn subjects(principal: &Principal, tenant: Option<&Tenant>) -> Vec<String> {
    match principal {
        Principal::Anonymous => vec![Role::Anonymous.as_str().into()],
        Principal::User { verified_email, .. } => {
            let mut out = Vec::with_capacity(3);
            out.extend(principal.subject());
            out.push(Role::Citizen.as_str().into());
            let official = match (verified_email, tenant) {
                (Some(email), Some(t)) => t.official_domains.iter().any(|d| email.belongs_to(d)),
                _ => false,
            };
            if official {
                out.push(Role::Official.as_str().into());
            }
            out
        }
    }
}

/// Parses [`PERMISSIONS`].
pub fn default_permissions() -> Result<Vec<CasbinRule>, AuthzError> {
    PERMISSIONS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut parts = line.split(',').map(|p| p.trim().to_owned());
            let ptype = parts.next().unwrap_or_default();
            let values: Vec<String> = parts.collect();
            if ptype != "p" || values.len() != 3 || Role::parse(&values[0]).is_none() {
                return Err(AuthzError::Casbin(format!("bad permission line: {line}")));
            }
            Ok(CasbinRule { ptype, values })
        })
        .collect()
}
