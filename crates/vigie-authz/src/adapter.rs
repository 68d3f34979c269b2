//! A Casbin adapter over Vigie's own store (both backends), loading one collective's rules.

use async_trait::async_trait;
use casbin::{Adapter, Filter, Model};
use vigie_storage::{CasbinRule, PolicyScope, Store, StoreError};

/// Loads and saves Casbin rules through [`Store`]. An adapter for a collective loads that
/// collective's rules and the platform-wide ones; rules it adds belong to its collective.
pub struct StoreAdapter {
    store: Store,
    scope: PolicyScope,
}

impl StoreAdapter {
    /// An adapter for one policy scope.
    pub fn new(store: Store, scope: PolicyScope) -> Self {
        Self { store, scope }
    }

    fn tenant(&self) -> Option<vigie_domain::TenantId> {
        match self.scope {
            PolicyScope::Platform => None,
            PolicyScope::Tenant(t) => Some(t),
        }
    }
}

fn casbin_err(e: StoreError) -> casbin::Error {
    casbin::Error::AdapterError(casbin::error::AdapterError(Box::new(e)))
}

fn load_into(m: &mut dyn Model, rules: Vec<CasbinRule>) {
    for rule in rules {
        let sec = if rule.ptype.starts_with('g') {
            "g"
        } else {
            "p"
        };
        m.add_policy(sec, &rule.ptype, rule.values);
    }
}

#[async_trait]
impl Adapter for StoreAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        let rules = self
            .store
            .load_rules(self.scope)
            .await
            .map_err(casbin_err)?;
        load_into(m, rules);
        Ok(())
    }

    async fn load_filtered_policy<'a>(
        &mut self,
        m: &mut dyn Model,
        f: Filter<'a>,
    ) -> casbin::Result<()> {
        let rules = self
            .store
            .load_rules(self.scope)
            .await
            .map_err(casbin_err)?;
        let keep = |rule: &CasbinRule| {
            let filter = if rule.ptype.starts_with('g') {
                &f.g
            } else {
                &f.p
            };
            filter.iter().enumerate().all(|(i, want)| {
                want.is_empty() || rule.values.get(i).map(String::as_str) == Some(*want)
            })
        };
        load_into(m, rules.into_iter().filter(keep).collect());
        Ok(())
    }

    async fn save_policy(&mut self, _m: &mut dyn Model) -> casbin::Result<()> {
        // Rules are written one by one as they change; a wholesale save would race with other
        // server replicas. Refuse loudly rather than pretend.
        Err(casbin_err(StoreError::Conflict(
            "saving a whole Casbin policy is not supported: rules are stored as they change".into(),
        )))
    }

    async fn clear_policy(&mut self) -> casbin::Result<()> {
        Err(casbin_err(StoreError::Conflict(
            "clearing the stored Casbin policy is not supported".into(),
        )))
    }

    fn is_filtered(&self) -> bool {
        // The adapter's scope *is* the whole policy of its enforcer (a collective's rules plus
        // the platform's); Casbin must load it at construction, which it skips for filtered
        // adapters.
        false
    }

    async fn add_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> casbin::Result<bool> {
        let rule = CasbinRule {
            ptype: ptype.to_owned(),
            values: rule,
        };
        self.store
            .add_rule(self.tenant(), &rule)
            .await
            .map_err(casbin_err)
    }

    async fn add_policies(
        &mut self,
        sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        let mut all = true;
        for rule in rules {
            all &= self.add_policy(sec, ptype, rule).await?;
        }
        Ok(all)
    }

    async fn remove_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> casbin::Result<bool> {
        let rule = CasbinRule {
            ptype: ptype.to_owned(),
            values: rule,
        };
        self.store.remove_rule(&rule).await.map_err(casbin_err)
    }

    async fn remove_policies(
        &mut self,
        sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        let mut all = true;
        for rule in rules {
            all &= self.remove_policy(sec, ptype, rule).await?;
        }
        Ok(all)
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        field_index: usize,
        field_values: Vec<String>,
    ) -> casbin::Result<bool> {
        self.store
            .remove_filtered_rules(ptype, field_index, &field_values)
            .await
            .map_err(casbin_err)
    }
}
