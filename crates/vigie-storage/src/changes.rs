//! What changed, for the caches of public reads.
//!
//! Every write of the store says, once it is committed, which part of the public data it
//! changed ([`Change`]). The [`Changes`] hub keeps a revision number per part: a cached page
//! remembers the revision it was rendered at and is rendered again as soon as that revision
//! moved. A write made by this process is seen by the very next read (the revision moves
//! before the write returns); on PostgreSQL the change is also published with `NOTIFY` on
//! the channel [`CHANGES_CHANNEL`], so that the other server processes sharing the database
//! move their revisions too ([`Store::listen_for_changes`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use vigie_domain::TenantId;

use crate::{Backend, Store};

/// The PostgreSQL channel on which changes are published between server processes.
pub const CHANGES_CHANNEL: &str = "vigie_changes";

/// A part of the public data that a write changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// What an object's sheet shows: its facts, requests, events, documents.
    Object {
        /// The collective.
        tenant: TenantId,
        /// The object.
        object: i64,
    },
    /// The collective's lists of objects (identities, places, statuses) and its page.
    Listing(TenantId),
    /// Everything a collective shows (its types, fields, roles, settings).
    Tenant(TenantId),
    /// What only views of the whole collective show, not its pages: the badges awarded (its
    /// exports).
    Activity(TenantId),
    /// Everything everywhere (a public name changed, an account was deleted).
    Everything,
}

impl Change {
    /// The text sent over `NOTIFY`: `o:<tenant>:<object>`, `l:<tenant>`, `t:<tenant>`, `*`.
    pub fn to_wire(self) -> String {
        match self {
            Change::Object { tenant, object } => format!("o:{}:{object}", tenant.0),
            Change::Listing(t) => format!("l:{}", t.0),
            Change::Tenant(t) => format!("t:{}", t.0),
            Change::Activity(t) => format!("a:{}", t.0),
            Change::Everything => "*".to_owned(),
        }
    }

    /// Reads [`Change::to_wire`]'s text; `None` for anything else.
    pub fn from_wire(s: &str) -> Option<Self> {
        let mut parts = s.split(':');
        let kind = parts.next()?;
        let mut num = || parts.next()?.parse::<i64>().ok();
        let change = match kind {
            "o" => Change::Object {
                tenant: TenantId(num()?),
                object: num()?,
            },
            "l" => Change::Listing(TenantId(num()?)),
            "t" => Change::Tenant(TenantId(num()?)),
            "a" => Change::Activity(TenantId(num()?)),
            "*" => Change::Everything,
            _ => return None,
        };
        Some(change)
    }
}

/// What the cache of a read depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadScope {
    /// A collective's lists and page.
    Listing(TenantId),
    /// An object's sheet.
    Object(TenantId, i64),
    /// Anything the collective shows (its map: every place with its values and requests).
    AnyOf(TenantId),
}

#[derive(Default)]
struct TenantRevisions {
    all: u64,
    listing: u64,
    objects: HashMap<i64, u64>,
    /// The last revision of any change of the collective.
    latest: u64,
}

/// Revision numbers of the parts of the public data, in memory, shared by every clone of a
/// [`Store`]. Revisions only grow; a read is cached with [`Changes::revision`] and served
/// while it is unchanged.
#[derive(Default)]
pub struct Changes {
    /// The last revision handed out (every change takes the next one).
    counter: AtomicU64,
    everything: AtomicU64,
    tenants: RwLock<HashMap<i64, TenantRevisions>>,
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Changes")
            .field("counter", &self.counter.load(Ordering::Relaxed))
            .finish()
    }
}

impl Changes {
    /// Moves the revision of what `change` touches.
    pub fn bump(&self, change: Change) {
        let next = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        if change == Change::Everything {
            self.everything.store(next, Ordering::SeqCst);
            return;
        }
        let mut tenants = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        if let Change::Object { tenant, .. }
        | Change::Listing(tenant)
        | Change::Tenant(tenant)
        | Change::Activity(tenant) = change
        {
            tenants.entry(tenant.0).or_default().latest = next;
        }
        match change {
            Change::Object { tenant, object } => {
                tenants
                    .entry(tenant.0)
                    .or_default()
                    .objects
                    .insert(object, next);
            }
            Change::Listing(tenant) => tenants.entry(tenant.0).or_default().listing = next,
            Change::Tenant(tenant) => {
                let t = tenants.entry(tenant.0).or_default();
                t.all = next;
                // Every object's revision is now below `all`: forget them.
                t.objects.clear();
            }
            // `latest`, set above, is all it moves.
            Change::Activity(_) => {}
            Change::Everything => unreachable!("handled above"),
        }
    }

    /// The revision a cached read of `scope` is valid for: it moves whenever a change
    /// touching that scope is made.
    pub fn revision(&self, scope: ReadScope) -> u64 {
        let everything = self.everything.load(Ordering::SeqCst);
        let tenants = self.tenants.read().unwrap_or_else(|e| e.into_inner());
        let own = match scope {
            ReadScope::Listing(t) => tenants.get(&t.0).map_or(0, |t| t.all.max(t.listing)),
            ReadScope::Object(t, id) => tenants
                .get(&t.0)
                .map_or(0, |t| t.all.max(t.objects.get(&id).copied().unwrap_or(0))),
            ReadScope::AnyOf(t) => tenants.get(&t.0).map_or(0, |t| t.latest),
        };
        everything.max(own)
    }

    /// The objects of `tenant` whose sheet changed after revision `since`, when nothing
    /// else of the collective did (its listing, its settings, everything): what a view of
    /// the whole collective built at `since` must read again. `None` when it must be
    /// rebuilt whole.
    pub fn objects_changed_since(&self, tenant: TenantId, since: u64) -> Option<Vec<i64>> {
        if self.everything.load(Ordering::SeqCst) > since {
            return None;
        }
        let tenants = self.tenants.read().unwrap_or_else(|e| e.into_inner());
        let Some(t) = tenants.get(&tenant.0) else {
            return Some(Vec::new());
        };
        if t.all > since || t.listing > since {
            return None;
        }
        let mut ids: Vec<i64> = t
            .objects
            .iter()
            .filter(|(_, r)| **r > since)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        Some(ids)
    }
}

impl Store {
    /// The revisions of the public data (shared by every clone of this store).
    pub fn changes(&self) -> &Arc<Changes> {
        &self.changes
    }

    /// Records that a committed write changed `change`: moves this process's revision at
    /// once and, on PostgreSQL, tells the other processes. A failed notification is logged,
    /// never returned: the write itself is done.
    pub(crate) async fn changed(&self, change: Change) {
        self.changes.bump(change);
        if self.backend() == Backend::Postgres {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANGES_CHANNEL)
                .bind(change.to_wire())
                .execute(&self.pool)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not publish a change to the other processes");
            }
        }
    }

    /// Publishes `change` to the other processes from inside the transaction that makes it
    /// (PostgreSQL delivers it on commit, and never if the transaction is rolled back): no
    /// round trip after the commit. This process's revision is moved after the commit.
    pub(crate) async fn announce(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        change: Change,
    ) -> Result<(), crate::StoreError> {
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANGES_CHANNEL)
                .bind(change.to_wire())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Records that requests changed (their journal entries were just committed): the
    /// sheets of their objects show them. `known` gives the objects of some of them
    /// (`(request, object, published already)`, see [`Store::announce`]); the others are
    /// looked up.
    pub(crate) async fn requests_changed(
        &self,
        tenant: TenantId,
        written: &[vigie_domain::requests::JournalEntry],
        known: &[(i64, i64, bool)],
    ) {
        let mut ids: Vec<i64> = written.iter().map(|e| e.request_id).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            if let Some((_, object, published)) = known.iter().find(|k| k.0 == id) {
                let change = Change::Object {
                    tenant,
                    object: *object,
                };
                if *published {
                    self.changes.bump(change);
                } else {
                    self.changed(change).await;
                }
                continue;
            }
            let object =
                sqlx::query("SELECT object_id FROM requests WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await;
            match object {
                Ok(Some(row)) => match sqlx::Row::try_get::<i64, _>(&row, 0) {
                    Ok(object) => self.changed(Change::Object { tenant, object }).await,
                    Err(_) => self.changed(Change::Tenant(tenant)).await,
                },
                // Unknown now (cannot happen: requests are never deleted) or unreadable: be
                // safe, the whole collective counts as changed.
                _ => self.changed(Change::Tenant(tenant)).await,
            }
        }
    }

    /// Records several changes (see [`Store::changed`]).
    pub(crate) async fn changed_all(&self, changes: &[Change]) {
        for c in changes {
            self.changed(*c).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_move_with_what_they_cover() {
        let c = Changes::default();
        let (t1, t2) = (TenantId(1), TenantId(2));
        let list1 = c.revision(ReadScope::Listing(t1));
        let obj7 = c.revision(ReadScope::Object(t1, 7));
        c.bump(Change::Object {
            tenant: t1,
            object: 7,
        });
        assert!(c.revision(ReadScope::Object(t1, 7)) > obj7);
        assert_eq!(c.revision(ReadScope::Object(t1, 8)), 0, "another object");
        assert_eq!(c.revision(ReadScope::Listing(t1)), list1, "lists unchanged");
        let obj7 = c.revision(ReadScope::Object(t1, 7));
        c.bump(Change::Listing(t1));
        assert!(c.revision(ReadScope::Listing(t1)) > list1);
        assert_eq!(
            c.revision(ReadScope::Object(t1, 7)),
            obj7,
            "sheets unchanged"
        );
        assert_eq!(c.revision(ReadScope::Listing(t2)), 0, "another collective");
        c.bump(Change::Tenant(t1));
        let all = c.revision(ReadScope::Object(t1, 8));
        assert!(all > obj7 && c.revision(ReadScope::Object(t1, 7)) == all);
        c.bump(Change::Everything);
        assert!(c.revision(ReadScope::Listing(t2)) > all);
    }

    #[test]
    fn activity_moves_the_whole_collective_only() {
        let c = Changes::default();
        let t = TenantId(1);
        c.bump(Change::Listing(t));
        let (listing, object) = (
            c.revision(ReadScope::Listing(t)),
            c.revision(ReadScope::Object(t, 5)),
        );
        let any = c.revision(ReadScope::AnyOf(t));
        c.bump(Change::Activity(t));
        assert!(c.revision(ReadScope::AnyOf(t)) > any);
        assert_eq!(c.revision(ReadScope::Listing(t)), listing);
        assert_eq!(c.revision(ReadScope::Object(t, 5)), object);
        assert_eq!(c.objects_changed_since(t, any), Some(Vec::new()));
    }

    #[test]
    fn wire_text_round_trips() {
        for change in [
            Change::Object {
                tenant: TenantId(3),
                object: 42,
            },
            Change::Listing(TenantId(3)),
            Change::Tenant(TenantId(9)),
            Change::Activity(TenantId(4)),
            Change::Everything,
        ] {
            assert_eq!(Change::from_wire(&change.to_wire()), Some(change));
        }
        assert_eq!(Change::from_wire("o:1"), None);
        assert_eq!(Change::from_wire("x:1"), None);
    }
}
