//! The moderation desk: everything waiting for a decision within a moderator's reach in a
//! collective (proposed values, life events and documents; requests awaiting moderation),
//! oldest first, a page of each at a time, each request with the open requests it may
//! duplicate. The decisions themselves go through the use cases that take them one by one
//! (`decide_contribution`, `moderate_request`, `merge_request`…), which check again.

use std::collections::HashMap;

use vigie_domain::{Bilingual, ObjectTypeKey, Operation, Principal, Role, Scope};
use vigie_storage::{
    DeskCounts, DeskScope, Document, FactRecord, LifeEvent, RequestRecord, Tenant,
};

use crate::{ServiceError, Services, SimilarRequest};

/// Items listed per section of the desk, per page.
pub const DESK_PAGE: usize = 50;

/// One section of the desk: a page of what waits, oldest first, and how many wait in all.
#[derive(Debug, Clone)]
pub struct DeskSection<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// How many wait in all.
    pub total: i64,
    /// The page shown (from 1).
    pub page: usize,
    /// The number of pages (at least 1).
    pub pages: usize,
}

/// A request awaiting moderation and the open requests it may duplicate.
#[derive(Debug, Clone)]
pub struct DeskRequest {
    /// The request.
    pub request: RequestRecord,
    /// Open requests on its object or nearby whose text resembles it, most alike first.
    pub duplicates: Vec<SimilarRequest>,
}

/// The page of each section asked for (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeskPages {
    /// Proposed values.
    pub contributions: usize,
    /// Life events.
    pub life_events: usize,
    /// Documents.
    pub documents: usize,
    /// Requests.
    pub requests: usize,
}

impl Default for DeskPages {
    fn default() -> Self {
        Self {
            contributions: 1,
            life_events: 1,
            documents: 1,
            requests: 1,
        }
    }
}

/// What waits for a moderator in a collective.
#[derive(Debug, Clone)]
pub struct Desk {
    /// Proposed values.
    pub contributions: DeskSection<FactRecord>,
    /// Proposed life events.
    pub life_events: DeskSection<LifeEvent>,
    /// Documents citizens attached to objects.
    pub documents: DeskSection<Document>,
    /// Requests awaiting moderation, each with its likely duplicates.
    pub requests: DeskSection<DeskRequest>,
    /// The official names of the objects of the listed items, by id.
    pub object_names: HashMap<i64, String>,
    /// Whether the moderator reaches the whole collective (a Guru), else which types and
    /// objects.
    pub scope: DeskScope,
}

/// Where a moderator moderates in a collective: what citizens propose on objects, and requests.
#[derive(Debug, Clone, Default)]
struct Reach {
    items: DeskScope,
    requests: DeskScope,
}

impl Reach {
    fn is_empty(&self) -> bool {
        self.items.is_empty() && self.requests.is_empty()
    }
}

fn section<T>(items: Vec<T>, total: i64, page: usize) -> DeskSection<T> {
    let total_items = usize::try_from(total).unwrap_or(0);
    DeskSection {
        items,
        total,
        page,
        pages: total_items.div_ceil(DESK_PAGE).max(1),
    }
}

fn offset(page: usize) -> i64 {
    i64::try_from(page.clamp(1, 1_000_000).saturating_sub(1) * DESK_PAGE).unwrap_or(i64::MAX)
}

impl Services {
    /// Where `principal` moderates in `tenant`, from the roles granted to them and confirmed
    /// by the authorizer for each operation: a Guru the whole collective, a Garant their types,
    /// a Certified citizen their objects. Empty for anyone else.
    async fn reach(&self, principal: &Principal, tenant: &Tenant) -> Result<Reach, ServiceError> {
        let Some(user) = principal.user_id() else {
            return Ok(Reach::default());
        };
        let grants = self.store.user_grants(user).await?;
        let mut reach = Reach::default();
        let prefix = format!("{}/", tenant.slug);
        for grant in grants {
            let scope = match grant.role {
                Role::Guru if grant.tenant.is_none() => Scope::Tenant(tenant.slug.clone()),
                Role::Garant | Role::Certified if grant.tenant == Some(tenant.id) => {
                    let Some(rest) = grant.domain_pattern.strip_prefix(&prefix) else {
                        continue;
                    };
                    let Some((ty, which)) = rest.split_once('/') else {
                        continue;
                    };
                    let Ok(ty) = ObjectTypeKey::parse(ty) else {
                        continue;
                    };
                    match (grant.role, which) {
                        (Role::Garant, "*") => Scope::ObjectType(tenant.slug.clone(), ty),
                        (Role::Certified, id) => match id.parse() {
                            Ok(id) => Scope::Object(tenant.slug.clone(), ty, id),
                            Err(_) => continue,
                        },
                        _ => continue,
                    }
                }
                _ => continue,
            };
            for (operation, into) in [
                (Operation::ModerateContribution, &mut reach.items),
                (Operation::ModerateRequest, &mut reach.requests),
            ] {
                if !self
                    .authz
                    .is_allowed(principal, Some(tenant), &scope, operation)
                    .await?
                {
                    continue;
                }
                match &scope {
                    Scope::Tenant(_) => into.everything = true,
                    Scope::ObjectType(_, ty) => into.types.push(ty.as_str().to_owned()),
                    Scope::Object(_, _, id) => into.objects.push(*id),
                    Scope::Platform => {}
                }
            }
        }
        Ok(reach)
    }

    /// Whether `principal` has a desk in `tenant`: 401 for the anonymous, 403 for anyone who
    /// moderates nothing there.
    async fn desk_reach(
        &self,
        principal: &Principal,
        tenant: &Tenant,
    ) -> Result<Reach, ServiceError> {
        if principal.user_id().is_none() {
            return Err(ServiceError::Unauthenticated(
                Bilingual::new("sign in to see what waits for your decision")
                    .fr("Connectez-vous pour voir ce qui attend votre décision."),
            ));
        }
        let reach = self.reach(principal, tenant).await?;
        if reach.is_empty() {
            return Err(ServiceError::Forbidden(
                Bilingual::new(
                    "the moderation desk is for this collective's Garants, Certified citizens \
                     and Gurus",
                )
                .fr(
                    "Le bureau de modération est réservé aux garants, aux citoyens certifiés et \
                     aux gourous de ce collectif.",
                ),
            ));
        }
        Ok(reach)
    }

    /// How many items wait for `principal` in `tenant`; `None` when they moderate nothing
    /// there (the header then shows no desk). A few indexed counts, never a listing.
    pub async fn desk_waiting(
        &self,
        principal: &Principal,
        tenant: &Tenant,
    ) -> Result<Option<DeskCounts>, ServiceError> {
        let reach = self.reach(principal, tenant).await?;
        if reach.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            self.store
                .desk_counts(tenant.id, &reach.items, &reach.requests)
                .await?,
        ))
    }

    /// What waits for `principal` in `tenant`, a page of each section (oldest first), each
    /// request with its likely duplicates (requests awaiting moderation included: the
    /// moderator may read them).
    pub async fn desk(
        &self,
        principal: &Principal,
        tenant: &Tenant,
        pages: DeskPages,
    ) -> Result<Desk, ServiceError> {
        let reach = self.desk_reach(principal, tenant).await?;
        let counts = self
            .store
            .desk_counts(tenant.id, &reach.items, &reach.requests)
            .await?;
        let limit = i64::try_from(DESK_PAGE).unwrap_or(50);
        let facts = self
            .store
            .waiting_facts(tenant.id, &reach.items, offset(pages.contributions), limit)
            .await?;
        let events = self
            .store
            .waiting_life_events(tenant.id, &reach.items, offset(pages.life_events), limit)
            .await?;
        let documents = self
            .store
            .waiting_documents(tenant.id, &reach.items, offset(pages.documents), limit)
            .await?;
        let waiting = self
            .store
            .waiting_requests(tenant.id, &reach.requests, offset(pages.requests), limit)
            .await?;
        let mut requests = Vec::with_capacity(waiting.len());
        for request in waiting {
            let text = format!(
                "{} {} {}",
                request.title,
                request.shown_title(),
                request.shown_description()
            );
            let duplicates = self
                .similar_requests(tenant, request.object_id, &text, Some(request.id), true)
                .await?;
            requests.push(DeskRequest {
                request,
                duplicates,
            });
        }
        let mut ids: Vec<i64> = facts
            .iter()
            .map(|f| f.object_id)
            .chain(events.iter().map(|e| e.object_id))
            .chain(documents.iter().map(|d| d.object_id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let object_names = self
            .store
            .places_among(tenant.id, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        Ok(Desk {
            contributions: section(facts, counts.contributions, pages.contributions),
            life_events: section(events, counts.life_events, pages.life_events),
            documents: section(documents, counts.documents, pages.documents),
            requests: section(requests, counts.requests, pages.requests),
            object_names,
            scope: reach.items,
        })
    }
}
