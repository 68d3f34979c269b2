//! Observed objects, their official identity and its history, and imports.

use std::collections::{HashMap, HashSet};

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use vigie_domain::Bilingual;
use vigie_domain::{ObjectStatus, ObjectTypeKey, TenantId, UserId};

use crate::bulk::{MAX_PARAMS, Placeholders};
use crate::error::conflict_on_unique;
use crate::facts::insert_official_facts;
use crate::nullable::Coordinate;
use crate::{Change, Store, StoreError, now, parse_timestamp};

/// The official identity of an object: what only imports and Garants change.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectIdentity {
    /// Normalised official identifier (e.g. a UAI).
    pub identifier: String,
    /// Official name.
    pub official_name: String,
    /// Street line.
    pub street: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// City.
    pub city: Option<String>,
    /// INSEE code of the commune (arrondissement in Marseille).
    pub insee_code: Option<String>,
    /// WGS84 latitude.
    pub latitude: Option<f64>,
    /// WGS84 longitude.
    pub longitude: Option<f64>,
    /// Open or closed.
    pub status: ObjectStatus,
    /// Opening date, `YYYY-MM-DD`.
    pub opened_on: Option<String>,
    /// Closing date, `YYYY-MM-DD`.
    pub closed_on: Option<String>,
}

impl ObjectIdentity {
    /// The identity as (field, text) pairs, for diffs and history.
    pub fn fields(&self) -> [(&'static str, Option<String>); 10] {
        [
            ("official_name", Some(self.official_name.clone())),
            ("street", self.street.clone()),
            ("postcode", self.postcode.clone()),
            ("city", self.city.clone()),
            ("insee_code", self.insee_code.clone()),
            ("latitude", self.latitude.map(|v| format!("{v:.7}"))),
            ("longitude", self.longitude.map(|v| format!("{v:.7}"))),
            ("status", Some(self.status.as_str().to_owned())),
            ("opened_on", self.opened_on.clone()),
            ("closed_on", self.closed_on.clone()),
        ]
    }

    /// The fields that differ from `self` to `new`, as (field, before, after).
    pub fn changes_to(
        &self,
        new: &ObjectIdentity,
    ) -> Vec<(&'static str, Option<String>, Option<String>)> {
        self.fields()
            .into_iter()
            .zip(new.fields())
            .filter(|(b, a)| b.1 != a.1)
            .map(|(b, a)| (a.0, b.1, a.1))
            .collect()
    }
}

/// The object a fact of a bulk import is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkObject {
    /// An object already stored.
    Existing(i64),
    /// The object created by this chunk at this index of [`ImportChunk::created`].
    Created(usize),
}

/// An official fact written by a bulk import.
#[derive(Debug, Clone)]
pub struct ChunkFact {
    /// Its object.
    pub object: ChunkObject,
    /// The field.
    pub field_key: String,
    /// The normalised vintage.
    pub vintage: String,
    /// The value, as JSON of the plugin interface's `value`.
    pub value: String,
}

/// The new identity of a stored object, with the one it replaces.
#[derive(Debug, Clone)]
pub struct IdentityUpdate {
    /// The object.
    pub id: i64,
    /// Its identity as stored.
    pub before: ObjectIdentity,
    /// Its identity after the import.
    pub after: ObjectIdentity,
}

/// What a bulk import writes for a chunk of rows, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct ImportChunk {
    /// Objects to create (distinct identifiers, none already stored).
    pub created: Vec<ObjectIdentity>,
    /// Stored objects whose identity changes.
    pub updated: Vec<IdentityUpdate>,
    /// Official facts to add.
    pub facts: Vec<ChunkFact>,
}

impl ImportChunk {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty() && self.facts.is_empty()
    }
}

/// Who and what a bulk import writes with.
#[derive(Debug, Clone, Copy)]
pub struct ImportSource<'a> {
    /// The import.
    pub import_id: i64,
    /// Who ran it (`None`: the operator).
    pub actor: Option<UserId>,
    /// The source of its facts (the dataset's address).
    pub source: Option<&'a str>,
}

/// A stored object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedObject {
    /// Identity in the database.
    pub id: i64,
    /// Its collective.
    pub tenant_id: TenantId,
    /// Its type.
    pub object_type: String,
    /// Official identity.
    pub identity: ObjectIdentity,
    /// Date a referential import stopped listing it, for a Garant to confirm.
    pub possibly_closed_since: Option<String>,
    /// When it was created here.
    pub created_at: OffsetDateTime,
}

/// One change of an object's identity.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityChange {
    /// Sequence number.
    pub id: i64,
    /// Which identity field.
    pub field: String,
    /// Before (absent: created).
    pub old_value: Option<String>,
    /// After.
    pub new_value: Option<String>,
    /// The import that changed it, if any.
    pub import_id: Option<i64>,
    /// Public name of the Garant who changed it, if any.
    pub actor_name: Option<String>,
    /// When.
    pub at: OffsetDateTime,
}

/// Counts of an import run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Objects created.
    pub created: i64,
    /// Objects whose identity or facts changed.
    pub updated: i64,
    /// Rows that changed nothing.
    pub unchanged: i64,
    /// Rows refused.
    pub rejected: i64,
    /// Official facts added.
    pub facts_added: i64,
    /// Objects no longer listed by a referential, marked possibly closed.
    pub possibly_closed: i64,
}

/// What an import is.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    /// Collective.
    pub tenant: TenantId,
    /// Object type.
    pub object_type: &'a ObjectTypeKey,
    /// Importer key of the plugin.
    pub importer: &'a str,
    /// File name as given.
    pub file_name: &'a str,
    /// SHA-256 of the file.
    pub sha256: &'a str,
    /// Attribution and licence to keep with the data.
    pub attribution: &'a str,
    /// Where the dataset is published.
    pub source_url: Option<&'a str>,
    /// Who ran it (`None`: the operator).
    pub actor: Option<UserId>,
}

pub(crate) const OBJECT_COLUMNS: &str = "id, tenant_id, type_key, identifier, official_name, street, postcode, city, \
     insee_code, latitude, longitude, status, opened_on, closed_on, possibly_closed_since, created_at";

pub(crate) fn object_from_row(r: &AnyRow) -> Result<ObservedObject, StoreError> {
    let status: String = r.try_get("status")?;
    let created: String = r.try_get("created_at")?;
    Ok(ObservedObject {
        id: r.try_get("id")?,
        tenant_id: TenantId(r.try_get("tenant_id")?),
        object_type: r.try_get("type_key")?,
        identity: ObjectIdentity {
            identifier: r.try_get("identifier")?,
            official_name: r.try_get("official_name")?,
            street: r.try_get("street")?,
            postcode: r.try_get("postcode")?,
            city: r.try_get("city")?,
            insee_code: r.try_get("insee_code")?,
            latitude: r.try_get("latitude")?,
            longitude: r.try_get("longitude")?,
            status: ObjectStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("object status {status}")))?,
            opened_on: r.try_get("opened_on")?,
            closed_on: r.try_get("closed_on")?,
        },
        possibly_closed_since: r.try_get("possibly_closed_since")?,
        created_at: parse_timestamp(&created)?,
    })
}

impl Store {
    /// Records the start of an import.
    pub async fn create_import(&self, new: &NewImport<'_>) -> Result<i64, StoreError> {
        Ok(sqlx::query(
            "INSERT INTO imports (tenant_id, type_key, importer, file_name, sha256, attribution, \
             source_url, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(new.tenant.0)
        .bind(new.object_type.as_str())
        .bind(new.importer)
        .bind(new.file_name)
        .bind(new.sha256)
        .bind(new.attribution)
        .bind(new.source_url)
        .bind(new.actor.map(|a| a.0))
        .bind(now())
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?)
    }

    /// Records the counts of a finished import.
    pub async fn finish_import(&self, id: i64, c: &ImportCounts) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE imports SET created = $1, updated = $2, unchanged = $3, rejected = $4, \
             facts_added = $5, possibly_closed = $6 WHERE id = $7",
        )
        .bind(c.created)
        .bind(c.updated)
        .bind(c.unchanged)
        .bind(c.rejected)
        .bind(c.facts_added)
        .bind(c.possibly_closed)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Creates an object; its identity is the first entry of its history.
    pub async fn create_object(
        &self,
        tenant: TenantId,
        object_type: &ObjectTypeKey,
        identity: &ObjectIdentity,
        import_id: Option<i64>,
        actor: Option<UserId>,
    ) -> Result<ObservedObject, StoreError> {
        let at = now();
        let (_turn, mut tx) = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO objects (tenant_id, type_key, identifier, official_name, street, postcode, \
             city, insee_code, latitude, longitude, status, opened_on, closed_on, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(tenant.0)
        .bind(object_type.as_str())
        .bind(&identity.identifier)
        .bind(&identity.official_name)
        .bind(&identity.street)
        .bind(&identity.postcode)
        .bind(&identity.city)
        .bind(&identity.insee_code)
        .bind(Coordinate(identity.latitude))
        .bind(Coordinate(identity.longitude))
        .bind(identity.status.as_str())
        .bind(&identity.opened_on)
        .bind(&identity.closed_on)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || {
                Bilingual::new(format!(
                    "an object {} with identifier {} already exists in this collective",
                    object_type, identity.identifier
                ))
                .fr(format!(
                    "Un lieu ({object_type}) d'identifiant {} existe déjà dans ce collectif.",
                    identity.identifier
                ))
            })
        })?
        .try_get(0)?;
        for (field, value) in identity.fields() {
            if value.is_some() {
                insert_change(&mut tx, id, field, None, value, import_id, actor, &at).await?;
            }
        }
        tx.commit().await?;
        self.changed_all(&[
            Change::Listing(tenant),
            Change::Object { tenant, object: id },
        ])
        .await;
        self.object(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("object"))
    }

    /// An object of a collective (never another collective's).
    pub async fn object(
        &self,
        tenant: TenantId,
        id: i64,
    ) -> Result<Option<ObservedObject>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OBJECT_COLUMNS} FROM objects WHERE tenant_id = $1 AND id = $2"
        )))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(object_from_row)
        .transpose()
    }

    /// An object by its official identifier.
    pub async fn object_by_identifier(
        &self,
        tenant: TenantId,
        object_type: &ObjectTypeKey,
        identifier: &str,
    ) -> Result<Option<ObservedObject>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OBJECT_COLUMNS} FROM objects WHERE tenant_id = $1 AND type_key = $2 AND identifier = $3"
        )))
        .bind(tenant.0)
        .bind(object_type.as_str())
        .bind(identifier)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(object_from_row)
        .transpose()
    }

    /// The objects of a collective, of one type or all, by name.
    pub async fn list_objects(
        &self,
        tenant: TenantId,
        object_type: Option<&ObjectTypeKey>,
    ) -> Result<Vec<ObservedObject>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OBJECT_COLUMNS} FROM objects WHERE tenant_id = $1 AND ($2 = '' OR type_key = $2) \
             ORDER BY official_name, id"
        )))
        .bind(tenant.0)
        .bind(object_type.map(|t| t.as_str().to_owned()).unwrap_or_default())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(object_from_row).collect()
    }

    /// Replaces an object's identity, recording each changed field. Returns the changes
    /// (empty: nothing changed).
    pub async fn update_identity(
        &self,
        tenant: TenantId,
        id: i64,
        new: &ObjectIdentity,
        import_id: Option<i64>,
        actor: Option<UserId>,
    ) -> Result<usize, StoreError> {
        let current = self
            .object(tenant, id)
            .await?
            .ok_or(StoreError::NotFound("object"))?;
        let before = current.identity.fields();
        let after = new.fields();
        let changed: Vec<_> = before
            .iter()
            .zip(after.iter())
            .filter(|(b, a)| b.1 != a.1)
            .map(|(b, a)| (a.0, b.1.clone(), a.1.clone()))
            .collect();
        if changed.is_empty() {
            return Ok(0);
        }
        let at = now();
        let (_turn, mut tx) = self.begin_write().await?;
        sqlx::query(
            "UPDATE objects SET official_name = $1, street = $2, postcode = $3, city = $4, \
             insee_code = $5, latitude = $6, longitude = $7, status = $8, opened_on = $9, \
             closed_on = $10 WHERE tenant_id = $11 AND id = $12",
        )
        .bind(&new.official_name)
        .bind(&new.street)
        .bind(&new.postcode)
        .bind(&new.city)
        .bind(&new.insee_code)
        .bind(Coordinate(new.latitude))
        .bind(Coordinate(new.longitude))
        .bind(new.status.as_str())
        .bind(&new.opened_on)
        .bind(&new.closed_on)
        .bind(tenant.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for (field, old, new_value) in &changed {
            insert_change(
                &mut tx,
                id,
                field,
                old.clone(),
                new_value.clone(),
                import_id,
                actor,
                &at,
            )
            .await?;
        }
        tx.commit().await?;
        self.changed_all(&[
            Change::Listing(tenant),
            Change::Object { tenant, object: id },
        ])
        .await;
        Ok(changed.len())
    }

    /// Marks the open objects of a type that are not in `listed` as possibly closed (those not
    /// already marked), and clears the mark of listed ones. Returns how many were marked.
    pub async fn mark_unlisted(
        &self,
        tenant: TenantId,
        object_type: &ObjectTypeKey,
        listed: &HashSet<String>,
    ) -> Result<i64, StoreError> {
        let today = now()[..10].to_owned();
        let rows = sqlx::query(
            "SELECT id, identifier, status, possibly_closed_since FROM objects \
             WHERE tenant_id = $1 AND type_key = $2",
        )
        .bind(tenant.0)
        .bind(object_type.as_str())
        .fetch_all(&self.pool)
        .await?;
        let (mut mark, mut clear) = (Vec::new(), Vec::new());
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let identifier: String = r.try_get("identifier")?;
            let status: String = r.try_get("status")?;
            let since: Option<String> = r.try_get("possibly_closed_since")?;
            let open = status == ObjectStatus::Open.as_str();
            match (listed.contains(&identifier), since.is_some()) {
                (false, false) if open => mark.push(id),
                (true, true) => clear.push(id),
                _ => {}
            }
        }
        drop(rows);
        let (_turn, mut tx) = self.begin_write().await?;
        for (ids, value) in [(&mark, Some(today.as_str())), (&clear, None)] {
            for batch in ids.chunks(MAX_PARAMS - 2) {
                let mut p = Placeholders::new(self.backend());
                let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE objects SET possibly_closed_since = {} WHERE tenant_id = {} AND id IN ({})",
                    p.next(),
                    p.next(),
                    p.rows(batch.len(), 1)
                )))
                .bind(value)
                .bind(tenant.0);
                for id in batch {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        self.changed(Change::Tenant(tenant)).await;
        Ok(mark.len() as i64)
    }

    /// The stored objects of a type among `identifiers`, by identifier.
    pub async fn objects_by_identifiers(
        &self,
        tenant: TenantId,
        object_type: &ObjectTypeKey,
        identifiers: &[String],
    ) -> Result<HashMap<String, ObservedObject>, StoreError> {
        let mut out = HashMap::with_capacity(identifiers.len());
        for batch in identifiers.chunks(MAX_PARAMS - 2) {
            // Not kept prepared: PostgreSQL would soon plan the reused statement once for any
            // parameters, and that plan (made while the table was small, before statistics)
            // walks every object of the type comparing each with the thousand identifiers.
            let mut p = Placeholders::new(self.backend());
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {OBJECT_COLUMNS} FROM objects WHERE tenant_id = {} AND type_key = {} \
                 AND identifier IN ({})",
                p.next(),
                p.next(),
                p.rows(batch.len(), 1)
            )))
            .persistent(false)
            .bind(tenant.0)
            .bind(object_type.as_str());
            for identifier in batch {
                q = q.bind(identifier);
            }
            let rows = q.fetch_all(&self.pool).await?;
            for r in &rows {
                let o = object_from_row(r)?;
                out.insert(o.identity.identifier.clone(), o);
            }
        }
        Ok(out)
    }

    /// Writes a chunk of an import in one transaction: creates its objects (their identity is
    /// the first entry of their history), replaces the identities that changed (recording
    /// each changed field) and adds its official facts. Says once, after the commit, that the
    /// collective changed.
    pub async fn import_chunk(
        &self,
        tenant: TenantId,
        object_type: &ObjectTypeKey,
        source: ImportSource<'_>,
        chunk: &ImportChunk,
    ) -> Result<(), StoreError> {
        if chunk.is_empty() {
            return Ok(());
        }
        let at = now();
        let (_turn, mut tx) = self.begin_write().await?;
        // Objects, many per statement; their ids come back with their identifiers.
        let mut created_ids: HashMap<String, i64> = HashMap::with_capacity(chunk.created.len());
        const OBJECT_PARAMS: usize = 14;
        for batch in chunk.created.chunks(MAX_PARAMS / OBJECT_PARAMS) {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO objects (tenant_id, type_key, identifier, official_name, street, \
                 postcode, city, insee_code, latitude, longitude, status, opened_on, closed_on, \
                 created_at) VALUES {} RETURNING id, identifier",
                Placeholders::new(self.backend()).rows(batch.len(), OBJECT_PARAMS)
            )));
            for identity in batch {
                q = q
                    .bind(tenant.0)
                    .bind(object_type.as_str())
                    .bind(&identity.identifier)
                    .bind(&identity.official_name)
                    .bind(&identity.street)
                    .bind(&identity.postcode)
                    .bind(&identity.city)
                    .bind(&identity.insee_code)
                    .bind(Coordinate(identity.latitude))
                    .bind(Coordinate(identity.longitude))
                    .bind(identity.status.as_str())
                    .bind(&identity.opened_on)
                    .bind(&identity.closed_on)
                    .bind(&at);
            }
            let rows = q.fetch_all(&mut *tx).await.map_err(|e| {
                conflict_on_unique(e, || {
                    Bilingual::new(format!(
                        "an object {object_type} of this import already exists in this collective \
                         (another import running at the same time?)"
                    ))
                    .fr(format!(
                        "Un lieu ({object_type}) de cet import existe déjà dans ce collectif \
                         (un autre import en même temps ?)."
                    ))
                })
            })?;
            for r in &rows {
                created_ids.insert(r.try_get("identifier")?, r.try_get("id")?);
            }
        }
        let created: Vec<i64> = chunk
            .created
            .iter()
            .map(|i| {
                created_ids.get(&i.identifier).copied().ok_or_else(|| {
                    StoreError::Corrupt(format!("object {} not created", i.identifier))
                })
            })
            .collect::<Result<_, _>>()?;
        // Changed identities, one statement each (an import changes few).
        let mut changes: Vec<(i64, &'static str, Option<String>, Option<String>)> = Vec::new();
        for (identity, id) in chunk.created.iter().zip(&created) {
            for (field, value) in identity.fields() {
                if value.is_some() {
                    changes.push((*id, field, None, value));
                }
            }
        }
        for u in &chunk.updated {
            let diff = u.before.changes_to(&u.after);
            if diff.is_empty() {
                continue;
            }
            let new = &u.after;
            sqlx::query(
                "UPDATE objects SET official_name = $1, street = $2, postcode = $3, city = $4, \
                 insee_code = $5, latitude = $6, longitude = $7, status = $8, opened_on = $9, \
                 closed_on = $10 WHERE tenant_id = $11 AND id = $12",
            )
            .bind(&new.official_name)
            .bind(&new.street)
            .bind(&new.postcode)
            .bind(&new.city)
            .bind(&new.insee_code)
            .bind(Coordinate(new.latitude))
            .bind(Coordinate(new.longitude))
            .bind(new.status.as_str())
            .bind(&new.opened_on)
            .bind(&new.closed_on)
            .bind(tenant.0)
            .bind(u.id)
            .execute(&mut *tx)
            .await?;
            changes.extend(diff.into_iter().map(|(f, b, a)| (u.id, f, b, a)));
        }
        const CHANGE_PARAMS: usize = 7;
        for batch in changes.chunks(MAX_PARAMS / CHANGE_PARAMS) {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO object_identity_changes (object_id, field, old_value, new_value, \
                 import_id, actor_id, at) VALUES {}",
                Placeholders::new(self.backend()).rows(batch.len(), CHANGE_PARAMS)
            )));
            for (id, field, old, new) in batch {
                q = q
                    .bind(*id)
                    .bind(*field)
                    .bind(old)
                    .bind(new)
                    .bind(source.import_id)
                    .bind(source.actor.map(|a| a.0))
                    .bind(&at);
            }
            q.execute(&mut *tx).await?;
        }
        insert_official_facts(
            &mut tx,
            self.backend(),
            tenant,
            source,
            &created,
            &chunk.facts,
            &at,
        )
        .await?;
        tx.commit().await?;
        self.changed(Change::Tenant(tenant)).await;
        Ok(())
    }

    /// Has the database measure again the tables an import writes to. PostgreSQL plans
    /// queries with what it last measured of a table: right after thousands of objects and
    /// facts were imported into nearly empty tables, its plans would walk every row where an
    /// index finds a few (its own measuring comes later, when it gets to it). SQLite plans
    /// without measures: nothing to do.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("ANALYZE objects, object_identity_changes, facts")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Clears the possibly-closed mark (after a Garant decided).
    pub async fn clear_possibly_closed(&self, tenant: TenantId, id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE objects SET possibly_closed_since = NULL WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.changed_all(&[
            Change::Listing(tenant),
            Change::Object { tenant, object: id },
        ])
        .await;
        Ok(())
    }

    /// The identity history of an object, oldest first.
    pub async fn identity_changes(
        &self,
        tenant: TenantId,
        id: i64,
    ) -> Result<Vec<IdentityChange>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.field, c.old_value, c.new_value, c.import_id, u.display_name AS actor_name, c.at \
             FROM object_identity_changes c JOIN objects o ON o.id = c.object_id \
             LEFT JOIN users u ON u.id = c.actor_id WHERE o.tenant_id = $1 AND o.id = $2 ORDER BY c.id",
        )
        .bind(tenant.0)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at: String = r.try_get("at")?;
                Ok(IdentityChange {
                    id: r.try_get("id")?,
                    field: r.try_get("field")?,
                    old_value: r.try_get("old_value")?,
                    new_value: r.try_get("new_value")?,
                    import_id: r.try_get("import_id")?,
                    actor_name: r.try_get("actor_name")?,
                    at: parse_timestamp(&at)?,
                })
            })
            .collect()
    }

    /// The objects of a type whose position lies in a box (bounds included), as
    /// `(id, latitude, longitude)`, by the position index: the candidates of a "nearby" search,
    /// which checks the exact distance itself.
    pub async fn objects_in_box(
        &self,
        tenant: TenantId,
        object_type: &str,
        latitudes: (f64, f64),
        longitudes: (f64, f64),
    ) -> Result<Vec<(i64, f64, f64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, latitude, longitude FROM objects WHERE tenant_id = $1 AND type_key = $2 \
             AND latitude >= $3 AND latitude <= $4 AND longitude >= $5 AND longitude <= $6",
        )
        .bind(tenant.0)
        .bind(object_type)
        .bind(latitudes.0)
        .bind(latitudes.1)
        .bind(longitudes.0)
        .bind(longitudes.1)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    object_id: i64,
    field: &str,
    old: Option<String>,
    new: Option<String>,
    import_id: Option<i64>,
    actor: Option<UserId>,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO object_identity_changes (object_id, field, old_value, new_value, import_id, actor_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(object_id)
    .bind(field)
    .bind(old)
    .bind(new)
    .bind(import_id)
    .bind(actor.map(|a| a.0))
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
