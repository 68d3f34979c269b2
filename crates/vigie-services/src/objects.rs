//! Observed objects: official imports, citizen contributions, moderation, and the object as
//! the public sees it (current values per vintage, indicators, full history).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use vigie_domain::{
    Decision, DomainError, Email, FactState, ObjectStatus, ObjectTypeKey, Operation, Provenance,
    Scope,
};
use vigie_plugins::{LoadedPlugin, wit};
use vigie_storage::{
    ChunkFact, ChunkObject, ContributorContact, CurrentValues, FactRecord, IdentityChange,
    IdentityUpdate, ImportChunk, ImportCounts, ImportSource, NewFact, NewImport, ObjectIdentity,
    ObservedObject, RoleHolder, StoreError, Tenant,
};

use crate::accounts::token_hash;
use crate::actor::Actor;
use crate::dataset::read_table;
use crate::tenants::require_type;
use crate::{ServiceError, Services};

/// A row an import refused, and why.
#[derive(Debug, Clone)]
pub struct RejectedRow {
    /// Line of the file (CSV) or record number (JSON).
    pub line: usize,
    /// The column at fault, when known.
    pub column: Option<String>,
    /// Why, in French and English.
    pub reason: wit::Localized,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The import's number.
    pub import_id: i64,
    /// The plugin importer that recognised the file.
    pub importer: String,
    /// Counts.
    pub counts: ImportCounts,
    /// Every refused row with its reason.
    pub rejected: Vec<RejectedRow>,
}

/// A proposed value.
#[derive(Debug, Clone)]
pub struct ProposedValue {
    /// Field key.
    pub field: String,
    /// Value.
    pub value: wit::Value,
}

/// A contribution: values of one vintage of one object.
#[derive(Debug, Clone)]
pub struct Contribution {
    /// Vintage, as written by the contributor (normalised by the plugin).
    pub vintage: String,
    /// The values.
    pub values: Vec<ProposedValue>,
    /// A URL or document reference backing them.
    pub source: Option<String>,
    /// Private contact e-mail (for anonymous contributors).
    pub contact_email: Option<String>,
    /// Private contact phone.
    pub contact_phone: Option<String>,
    /// The client's idempotency key (see [`vigie_domain::requests::check_submission_key`]):
    /// sent again with it, the contribution is not filed twice.
    pub submission_key: Option<String>,
}

/// An object as the public sees it.
#[derive(Debug, Clone)]
pub struct ObjectSheet {
    /// The object.
    pub object: ObservedObject,
    /// Current value of each field, per vintage (newest vintage last).
    pub current: BTreeMap<String, BTreeMap<String, FactRecord>>,
    /// Derived indicators per vintage.
    pub indicators: BTreeMap<String, Vec<wit::IndicatorValue>>,
    /// Every fact, oldest first (pending and refused included).
    pub facts: Vec<FactRecord>,
    /// Identity history.
    pub identity_changes: Vec<IdentityChange>,
    /// Citizens certified for this object.
    pub certified: Vec<RoleHolder>,
}

/// A refused value of an object, a contribution or an import, said in English and in French.
fn invalid(field: &'static str, en: impl Into<String>, fr: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(DomainError::invalid(field, en).fr(fr))
}

/// The value of a fact, as stored.
pub fn encode_value(v: &wit::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A stored value back.
pub fn decode_value(s: &str) -> Option<wit::Value> {
    serde_json::from_str(s).ok()
}

/// Current accepted value per (vintage, field).
fn current_values(facts: &[FactRecord]) -> BTreeMap<String, BTreeMap<String, FactRecord>> {
    let mut out: BTreeMap<String, BTreeMap<String, FactRecord>> = BTreeMap::new();
    for f in facts.iter().filter(|f| f.state == FactState::Accepted) {
        // Facts come oldest first: a later accepted fact replaces an earlier one.
        out.entry(f.vintage.clone())
            .or_default()
            .insert(f.field_key.clone(), f.clone());
    }
    out
}

/// The vintage current today for a plugin's scheme (school years start in September):
/// `2026-2027` from 1 September 2026 to 31 August 2027.
pub(crate) fn current_vintage(plugin: &LoadedPlugin) -> Result<String, ServiceError> {
    let today = time::OffsetDateTime::now_utc().date();
    let kind = match plugin.manifest().vintage.kind {
        wit::VintageKind::SchoolYear => vigie_domain::objects::VintageKind::SchoolYear,
        wit::VintageKind::CalendarYear => vigie_domain::objects::VintageKind::CalendarYear,
    };
    let raw = vigie_domain::objects::vintage_on(kind, today.year(), u8::from(today.month()));
    normalized(plugin.normalize_vintage(&raw)?, "vintage")
}

fn normalized(
    r: Result<String, wit::Diagnostic>,
    field: &'static str,
) -> Result<String, ServiceError> {
    r.map_err(|d| invalid(field, d.message.en, d.message.fr))
}

fn plugin_error(e: vigie_plugins::PluginError) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

impl From<vigie_plugins::PluginError> for ServiceError {
    fn from(e: vigie_plugins::PluginError) -> Self {
        plugin_error(e)
    }
}

impl Services {
    /// Imports an official open-data file with the type's importer that recognises it.
    /// Creates new objects, adds official facts for the file's vintage (only those that
    /// differ from the current value), never deletes anything, and after a referential
    /// (a file describing the objects themselves) marks the open objects it no longer lists as
    /// possibly closed. Importing the same file again changes nothing.
    pub async fn import_dataset(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        key: &ObjectTypeKey,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportReport, ServiceError> {
        let scope = Scope::ObjectType(tenant.slug.clone(), key.clone());
        let permit = &self
            .permit_for(actor, tenant, scope, Operation::UpdateOfficialData)
            .await?;
        require_type(tenant, key)?;
        let plugin = self.plugin(key)?;
        let mut table = read_table(bytes)?;
        let importer = plugin.detect_importer(&table.header).cloned().ok_or_else(|| {
            let expected: Vec<String> = plugin
                .manifest()
                .importers
                .iter()
                .map(|i| {
                    let cols: Vec<&str> = i
                        .columns
                        .iter()
                        .filter(|c| c.required)
                        .filter_map(|c| c.names.first().map(String::as_str))
                        .collect();
                    format!("{} ({})", i.key, cols.join(", "))
                })
                .collect();
            invalid(
                "file",
                format!(
                    "the columns of this file match none of the {key} importers; each needs its \
                     columns: {}",
                    expected.join("; ")
                ),
                format!(
                    "Les colonnes de ce fichier ne correspondent à aucun import de ce type ; \
                     chacun attend ses colonnes : {}",
                    expected.join(" ; ")
                ),
            )
        })?;
        let sha = hex::encode(Sha256::digest(bytes));
        let import_id = self
            .store
            .create_import(&NewImport {
                tenant: tenant.id,
                object_type: key,
                importer: &importer.key,
                file_name,
                sha256: &sha,
                attribution: &importer.attribution,
                source_url: importer.source_url.as_deref(),
                actor: permit.actor(),
            })
            .await?;
        let snapshot_vintage = current_vintage(&plugin)?;
        let source = plugin
            .manifest()
            .importers
            .iter()
            .find_map(|i| i.source_url.clone());
        let mut run = ImportRun {
            tenant,
            key,
            plugin: &plugin,
            source: ImportSource {
                import_id,
                actor: permit.actor(),
                source: source.as_deref(),
            },
            snapshot_vintage: &snapshot_vintage,
            vintages: HashMap::new(),
            pending: Vec::new(),
            pending_identifiers: HashSet::new(),
            counts: ImportCounts::default(),
            rejected: Vec::new(),
            listed: HashSet::new(),
        };
        let mut referential = true;
        let header: Arc<[String]> = table.header.clone().into();
        // Rows are read, checked by the plugin and written a chunk at a time: the file's rows
        // are never all held at once, and each chunk is one transaction. The plugin checks
        // the next rows on a thread of its own while the rows before them are written.
        let mut checking: Option<tokio::task::JoinHandle<Vec<CheckedRow>>> = None;
        loop {
            let rows: Vec<(usize, Vec<String>)> = table.by_ref().take(IMPORT_CHUNK_ROWS).collect();
            let next = (!rows.is_empty()).then(|| {
                let (plugin, importer, header) = (
                    Arc::clone(&plugin),
                    importer.key.clone(),
                    Arc::clone(&header),
                );
                tokio::task::spawn_blocking(move || check_rows(&plugin, &importer, &header, rows))
            });
            if let Some(checked) = checking.take() {
                let checked = checked
                    .await
                    .map_err(|e| ServiceError::Internal(format!("import rows: {e}")))?;
                for (line, answer) in checked {
                    let imported = match answer {
                        Ok(Ok(o)) => o,
                        Ok(Err(d)) => {
                            run.reject(line, d.field, d.message);
                            continue;
                        }
                        Err(msg) => {
                            run.reject(
                                line,
                                None,
                                wit::Localized {
                                    fr: msg.clone(),
                                    en: msg,
                                },
                            );
                            continue;
                        }
                    };
                    referential &= imported.vintage.is_none();
                    // A row sees what the rows before it wrote: a second row for the same
                    // object waits for the chunk holding the first one to be written.
                    if run.pending.len() >= IMPORT_CHUNK_ROWS
                        || run.pending_identifiers.contains(&imported.identifier)
                    {
                        self.write_import_chunk(&mut run).await?;
                    }
                    run.pending_identifiers.insert(imported.identifier.clone());
                    run.pending.push((line, imported));
                }
            }
            match next {
                Some(next) => checking = Some(next),
                None => break,
            }
        }
        self.write_import_chunk(&mut run).await?;
        let ImportRun {
            mut counts,
            mut rejected,
            listed,
            ..
        } = run;
        if referential && !listed.is_empty() {
            counts.possibly_closed = self.store.mark_unlisted(tenant.id, key, &listed).await?;
        }
        rejected.sort_by_key(|r| r.line);
        if counts.created + counts.updated > 0 {
            self.store.refresh_statistics().await?;
        }
        self.store.finish_import(import_id, &counts).await?;
        for (outcome, n) in [
            ("created", counts.created),
            ("updated", counts.updated),
            ("unchanged", counts.unchanged),
            ("rejected", counts.rejected),
        ] {
            metrics::counter!("vigie_import_rows_total",
                "object_type" => key.to_string(), "outcome" => outcome)
            .increment(u64::try_from(n).unwrap_or(0));
        }
        tracing::info!(
            tenant = %tenant.slug, object_type = %key, importer = %importer.key,
            created = counts.created, updated = counts.updated, unchanged = counts.unchanged,
            rejected = counts.rejected, facts = counts.facts_added, "import done"
        );
        Ok(ImportReport {
            import_id,
            importer: importer.key.clone(),
            counts,
            rejected,
        })
    }

    /// Writes the pending rows of an import: reads their stored objects and the current
    /// values of those once, decides each row in memory, writes the chunk in one transaction.
    async fn write_import_chunk(&self, run: &mut ImportRun<'_>) -> Result<(), ServiceError> {
        if run.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut run.pending);
        run.pending_identifiers.clear();
        let identifiers: Vec<String> = rows.iter().map(|(_, r)| r.identifier.clone()).collect();
        let existing = self
            .store
            .objects_by_identifiers(run.tenant.id, run.key, &identifiers)
            .await?;
        let ids: Vec<i64> = existing.values().map(|o| o.id).collect();
        let current = self.store.current_values(run.tenant.id, &ids).await?;
        let mut chunk = ImportChunk::default();
        for (line, row) in &rows {
            let vintage = match &row.vintage {
                None => Ok(run.snapshot_vintage.to_owned()),
                Some(v) => match run.vintages.get(v) {
                    Some(n) => Ok(n.clone()),
                    None => normalized(run.plugin.normalize_vintage(v)?, "vintage").inspect(|n| {
                        run.vintages.insert(v.clone(), n.clone());
                    }),
                },
            };
            let outcome = vintage.and_then(|vintage| {
                Self::apply_imported_row(
                    row,
                    existing.get(&row.identifier),
                    &current,
                    vintage,
                    &mut chunk,
                )
            });
            match outcome {
                Ok(outcome) => {
                    run.listed.insert(row.identifier.clone());
                    run.counts.facts_added += outcome.facts_added;
                    match (outcome.created, outcome.changed) {
                        (true, _) => run.counts.created += 1,
                        (false, true) => run.counts.updated += 1,
                        (false, false) => run.counts.unchanged += 1,
                    }
                }
                Err(ServiceError::Invalid(d)) => {
                    let msg = d.to_string();
                    run.reject(
                        *line,
                        None,
                        wit::Localized {
                            fr: msg.clone(),
                            en: msg,
                        },
                    );
                }
                Err(e) => return Err(e),
            }
        }
        self.store
            .import_chunk(run.tenant.id, run.key, run.source, &chunk)
            .await?;
        Ok(())
    }

    /// Decides what one imported row writes, given its stored object (if any) and the
    /// current values of that object: adds it to the chunk. Writes nothing itself.
    fn apply_imported_row(
        row: &wit::ImportedObject,
        existing: Option<&ObservedObject>,
        current: &CurrentValues,
        vintage: String,
        chunk: &mut ImportChunk,
    ) -> Result<RowOutcome, ServiceError> {
        let status = |s: Option<wit::ObjectStatus>, current: ObjectStatus| match s {
            Some(wit::ObjectStatus::Open) => ObjectStatus::Open,
            Some(wit::ObjectStatus::Closed) => ObjectStatus::Closed,
            None => current,
        };
        let mut outcome = RowOutcome::default();
        let object = match existing {
            Some(current) => {
                // Fields the row does not give keep their current value.
                let c = &current.identity;
                let addr = row.address.as_ref();
                let identity = ObjectIdentity {
                    identifier: c.identifier.clone(),
                    official_name: row
                        .official_name
                        .clone()
                        .unwrap_or_else(|| c.official_name.clone()),
                    street: addr.map(|a| a.street.clone()).or_else(|| c.street.clone()),
                    postcode: addr
                        .map(|a| a.postcode.clone())
                        .or_else(|| c.postcode.clone()),
                    city: addr.map(|a| a.city.clone()).or_else(|| c.city.clone()),
                    insee_code: addr
                        .and_then(|a| a.insee_code.clone())
                        .or_else(|| c.insee_code.clone()),
                    latitude: row.location.as_ref().map(|g| g.lat).or(c.latitude),
                    longitude: row.location.as_ref().map(|g| g.lon).or(c.longitude),
                    status: status(row.status, c.status),
                    opened_on: row.opened_on.clone().or_else(|| c.opened_on.clone()),
                    closed_on: c.closed_on.clone(),
                };
                if !c.changes_to(&identity).is_empty() {
                    outcome.changed = true;
                    chunk.updated.push(IdentityUpdate {
                        id: current.id,
                        before: c.clone(),
                        after: identity,
                    });
                }
                ChunkObject::Existing(current.id)
            }
            None => {
                let Some(name) = row.official_name.clone() else {
                    return Err(invalid(
                        "file",
                        format!(
                            "{} is not known here yet and this row has no official name: import the \
                             referential (names and addresses) first",
                            row.identifier
                        ),
                        format!(
                            "{} n'est pas encore connu ici et cette ligne n'a pas de nom officiel : \
                             importez d'abord le référentiel (noms et adresses).",
                            row.identifier
                        ),
                    ));
                };
                let addr = row.address.as_ref();
                let identity = ObjectIdentity {
                    identifier: row.identifier.clone(),
                    official_name: name,
                    street: addr.map(|a| a.street.clone()),
                    postcode: addr.map(|a| a.postcode.clone()),
                    city: addr.map(|a| a.city.clone()),
                    insee_code: addr.and_then(|a| a.insee_code.clone()),
                    latitude: row.location.as_ref().map(|g| g.lat),
                    longitude: row.location.as_ref().map(|g| g.lon),
                    status: status(row.status, ObjectStatus::Open),
                    opened_on: row.opened_on.clone(),
                    closed_on: None,
                };
                outcome.created = true;
                chunk.created.push(identity);
                ChunkObject::Created(chunk.created.len() - 1)
            }
        };
        let object_id = match object {
            ChunkObject::Existing(id) => Some(id),
            ChunkObject::Created(_) => None,
        };
        for fv in &row.facts {
            let value = encode_value(&fv.value);
            // Only what differs from the current value of that vintage (a new object has none).
            let same = object_id.is_some_and(|id| {
                current.get(&(id, vintage.clone(), fv.key.clone())) == Some(&value)
            });
            if same {
                continue;
            }
            chunk.facts.push(ChunkFact {
                object,
                field_key: fv.key.clone(),
                vintage: vintage.clone(),
                value,
            });
            outcome.facts_added += 1;
            outcome.changed = true;
        }
        Ok(outcome)
    }

    /// An object of a collective.
    pub async fn object(&self, tenant: &Tenant, id: i64) -> Result<ObservedObject, ServiceError> {
        self.store
            .object(tenant.id, id)
            .await?
            .ok_or(ServiceError::NotFound("object"))
    }

    /// The objects of a collective.
    pub async fn objects(
        &self,
        tenant: &Tenant,
        key: Option<&ObjectTypeKey>,
    ) -> Result<Vec<ObservedObject>, ServiceError> {
        Ok(self.store.list_objects(tenant.id, key).await?)
    }

    /// The scope of an object, for authorization.
    pub fn object_scope(tenant: &Tenant, object: &ObservedObject) -> Result<Scope, ServiceError> {
        let ty = ObjectTypeKey::parse(&object.object_type).map_err(ServiceError::from)?;
        Ok(Scope::Object(tenant.slug.clone(), ty, object.id))
    }

    /// An object with its current values, indicators and history.
    pub async fn object_sheet(
        &self,
        tenant: &Tenant,
        id: i64,
    ) -> Result<ObjectSheet, ServiceError> {
        let object = self.object(tenant, id).await?;
        let facts = self.store.object_facts(tenant.id, id).await?;
        let current = current_values(&facts);
        let mut indicators = BTreeMap::new();
        if let Some(plugin) = self.plugins.get(&object.object_type) {
            for (vintage, values) in &current {
                let record = record_of(plugin, values);
                match plugin.compute_indicators(vintage, &record) {
                    Ok(v) => {
                        indicators.insert(vintage.clone(), v);
                    }
                    Err(e) => tracing::warn!(error = %e, object = id, "indicators not computed"),
                }
            }
        }
        let pattern_suffix = format!("/{}/{}", object.object_type, object.id);
        let certified = self
            .store
            .role_holders(Some(tenant.id))
            .await?
            .into_iter()
            .filter(|h| h.domain_pattern.ends_with(&pattern_suffix))
            .collect();
        let identity_changes = self.store.identity_changes(tenant.id, id).await?;
        Ok(ObjectSheet {
            object,
            current,
            indicators,
            facts,
            identity_changes,
            certified,
        })
    }

    /// Proposes values for citizen fields of one vintage of an object. The plugin's
    /// validators run first; bad values are refused with field-level messages. The facts
    /// wait, publicly, for a Garant or a Certified citizen of the object — except those a
    /// Garant of the type (or a Guru) enters: official, they are accepted when filed.
    pub async fn contribute(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        object_id: i64,
        c: Contribution,
    ) -> Result<Vec<FactRecord>, ServiceError> {
        let (permit, object) = &self
            .object_permit_for(actor, tenant, object_id, Operation::ProposeContribution)
            .await?;
        let key = ObjectTypeKey::parse(&object.object_type)?;
        let schema = self.object_schema(tenant, &key).await?;
        let plugin = schema.plugin.clone();
        let vintage = normalized(plugin.normalize_vintage(&c.vintage)?, "vintage")?;
        if c.values.is_empty() {
            return Err(invalid(
                "values",
                "propose at least one value",
                "Proposez au moins une valeur.",
            ));
        }
        let contact_email = match c
            .contact_email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            Some(e) => Some(Email::parse(e)?.as_str().to_owned()),
            None => None,
        };
        let contact_phone = match c
            .contact_phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(p)
                if (6..=20).contains(&p.len())
                    && p.chars()
                        .all(|ch| ch.is_ascii_digit() || " +.-()".contains(ch)) =>
            {
                Some(p.to_owned())
            }
            Some(_) => {
                return Err(invalid(
                    "contact_phone",
                    "write a phone number with digits, e.g. 06 12 34 56 78",
                    "Écrivez un numéro de téléphone en chiffres, par exemple 06 12 34 56 78.",
                ));
            }
            None => None,
        };
        let source = c
            .source
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        if source.as_ref().is_some_and(|s| s.chars().count() > 1000) {
            return Err(invalid(
                "source",
                "keep the source under 1000 characters",
                "La source doit tenir en moins de 1000 caractères.",
            ));
        }
        let mut problems: Vec<wit::Diagnostic> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for v in &c.values {
            if !seen.insert(v.field.as_str()) {
                return Err(invalid(
                    "values",
                    format!("'{}' is proposed twice", v.field),
                    format!("« {} » est proposé deux fois.", v.field),
                ));
            }
            if let Some(f) = plugin.manifest().fields.iter().find(|f| f.key == v.field) {
                if f.origin == wit::FieldOrigin::Official {
                    return Err(invalid(
                        "values",
                        format!(
                            "'{}' is official data: only the official import and the Garants change it",
                            v.field
                        ),
                        format!(
                            "« {} » est une donnée officielle : seuls l'import officiel et les \
                             garants la changent.",
                            v.field
                        ),
                    ));
                }
                problems.extend(plugin.validate_field(&v.field, &v.value)?);
            } else if let Some((_, f)) = schema.added.iter().find(|(_, f)| f.key == v.field) {
                problems.extend(vigie_plugins::check_value(f, &v.value));
            } else {
                return Err(invalid(
                    "values",
                    format!("'{}' is not a field of {key} here", v.field),
                    format!(
                        "« {} » n'est pas une information de ce type de lieu ici.",
                        v.field
                    ),
                ));
            }
        }
        // The whole record of the vintage, as it would be: current values plus these.
        let facts = self.store.object_facts(tenant.id, object_id).await?;
        let current = current_values(&facts);
        let mut merged: BTreeMap<String, wit::Value> = current
            .get(&vintage)
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| plugin.manifest().fields.iter().any(|f| &f.key == *k))
                    .filter_map(|(k, f)| decode_value(&f.value).map(|v| (k.clone(), v)))
                    .collect()
            })
            .unwrap_or_default();
        for v in &c.values {
            if plugin.manifest().fields.iter().any(|f| f.key == v.field) {
                merged.insert(v.field.clone(), v.value.clone());
            }
        }
        let record: Vec<wit::FieldValue> = merged
            .into_iter()
            .map(|(key, value)| wit::FieldValue { key, value })
            .collect();
        let proposed: std::collections::HashSet<&str> =
            c.values.iter().map(|v| v.field.as_str()).collect();
        problems.extend(
            plugin
                .validate_record(&vintage, &record)?
                .into_iter()
                // Record rules about fields nobody proposed now (e.g. an official value
                // missing) do not block a citizen; rules touching a proposed field do.
                .filter(|d| d.field.as_deref().is_none_or(|f| proposed.contains(f))),
        );
        // A value refused both on its own and within the record is reported once.
        let mut errors: Vec<wit::Diagnostic> = Vec::new();
        for d in problems
            .into_iter()
            .filter(|d| d.severity == wit::Severity::Error)
        {
            if !errors
                .iter()
                .any(|e| e.message.fr == d.message.fr && e.message.en == d.message.en)
            {
                errors.push(d);
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Rejected(
                errors.into_iter().map(Into::into).collect(),
            ));
        }
        let batch = hex::encode(
            &Sha256::digest(format!(
                "{object_id}{vintage}{:?}",
                std::time::SystemTime::now()
            ))[..8],
        );
        // A Garant of the type (or a Guru) enters official values: accepted at once, marked
        // as theirs. Everyone else proposes, and the values wait for a decision.
        let provenance = if self.enters_official_data(actor, tenant, object).await? {
            Provenance::Garant
        } else if permit.actor().is_some() {
            Provenance::Citizen
        } else {
            Provenance::Anonymous
        };
        let submission_key = c
            .submission_key
            .as_deref()
            .map(|k| vigie_domain::requests::check_submission_key(k).map(token_hash))
            .transpose()?;
        let facts: Vec<NewFact> = c
            .values
            .iter()
            .map(|v| NewFact {
                object_id,
                field_key: v.field.clone(),
                vintage: vintage.clone(),
                value: encode_value(&v.value),
                provenance,
                source: source.clone(),
                import_id: None,
                author: permit.actor(),
                contact_email: contact_email.clone(),
                contact_phone: contact_phone.clone(),
                batch: Some(batch.clone()),
            })
            .collect();
        let file = || {
            self.store
                .insert_contribution(tenant.id, &facts, submission_key.as_deref())
        };
        let (filed, _replayed) = match file().await {
            // Two sendings of one submission at once (PostgreSQL): again, it finds the first.
            Err(StoreError::Conflict(_)) if submission_key.is_some() => file().await?,
            filed => filed?,
        };
        self.badges_touched(tenant.id, [permit.actor()]);
        Ok(filed)
    }

    /// A fact of a collective.
    pub async fn fact(&self, tenant: &Tenant, id: i64) -> Result<FactRecord, ServiceError> {
        self.store
            .fact(tenant.id, id)
            .await?
            .ok_or(ServiceError::NotFound("contribution"))
    }

    /// Contributions waiting for moderation, publicly listed.
    pub async fn pending_contributions(
        &self,
        tenant: &Tenant,
    ) -> Result<Vec<FactRecord>, ServiceError> {
        Ok(self.store.pending_facts(tenant.id).await?)
    }

    /// Accepts or refuses a contribution (Garant of the type or Certified of the object).
    pub async fn decide_contribution(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        fact_id: i64,
        accept: bool,
        reason: Option<&str>,
    ) -> Result<FactRecord, ServiceError> {
        let fact = self.fact(tenant, fact_id).await?;
        let (permit, _) = &self
            .object_permit_for(
                actor,
                tenant,
                fact.object_id,
                Operation::ModerateContribution,
            )
            .await?;
        let decision = Decision::new(accept, reason)?;
        let decided = self
            .store
            .decide_fact(tenant.id, fact_id, &decision, permit.actor())
            .await?;
        let author = self.store.fact_author(fact_id).await?;
        self.badges_touched(tenant.id, [author, permit.actor()]);
        Ok(decided)
    }

    /// A contributor's private contact details (Garant of the type only).
    pub async fn contributor_contact(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        fact_id: i64,
    ) -> Result<ContributorContact, ServiceError> {
        let fact = self.fact(tenant, fact_id).await?;
        let key = ObjectTypeKey::parse(&fact.object_type)
            .map_err(|e| ServiceError::Internal(format!("stored type key: {e}")))?;
        let scope = Scope::ObjectType(tenant.slug.clone(), key);
        self.permit_for(actor, tenant, scope, Operation::ViewContributorContact)
            .await?;
        Ok(self.store.fact_contact(tenant.id, fact_id).await?)
    }
}

/// A row of an import as the plugin answered it: its line, and the object or why not (the
/// plugin's diagnostic, or the text of the plugin's failure).
type CheckedRow = (
    usize,
    Result<Result<wit::ImportedObject, wit::Diagnostic>, String>,
);

/// Has the plugin's importer turn rows of the file into objects (blocking: plugin calls).
fn check_rows(
    plugin: &LoadedPlugin,
    importer: &str,
    header: &[String],
    rows: Vec<(usize, Vec<String>)>,
) -> Vec<CheckedRow> {
    rows.into_iter()
        .map(|(line, row)| {
            let cells: Vec<wit::Cell> = header
                .iter()
                .zip(row)
                .map(|(c, text)| wit::Cell {
                    column: c.clone(),
                    text,
                })
                .collect();
            let answer = plugin
                .import_row(importer, &cells)
                .map_err(|e| e.to_string());
            (line, answer)
        })
        .collect()
}

#[derive(Debug, Default)]
struct RowOutcome {
    created: bool,
    changed: bool,
    facts_added: i64,
}

/// How many rows an import decides and writes at a time (one transaction each).
const IMPORT_CHUNK_ROWS: usize = 1_000;

/// An import under way: what it writes with, the rows waiting to be written, what it did.
struct ImportRun<'a> {
    tenant: &'a Tenant,
    key: &'a ObjectTypeKey,
    plugin: &'a Arc<LoadedPlugin>,
    source: ImportSource<'a>,
    snapshot_vintage: &'a str,
    /// Vintages as written in the file, normalised by the plugin.
    vintages: HashMap<String, String>,
    /// Rows accepted by the plugin, not yet written (distinct identifiers).
    pending: Vec<(usize, wit::ImportedObject)>,
    pending_identifiers: HashSet<String>,
    counts: ImportCounts,
    rejected: Vec<RejectedRow>,
    /// Identifiers of the rows written (for a referential's possibly-closed marks).
    listed: HashSet<String>,
}

impl ImportRun<'_> {
    fn reject(&mut self, line: usize, column: Option<String>, reason: wit::Localized) {
        self.counts.rejected += 1;
        self.rejected.push(RejectedRow {
            line,
            column,
            reason,
        });
    }
}

/// The plugin fields of a vintage's current values, as the interface's record.
fn record_of(plugin: &LoadedPlugin, values: &BTreeMap<String, FactRecord>) -> Vec<wit::FieldValue> {
    values
        .iter()
        .filter(|(k, _)| plugin.manifest().fields.iter().any(|f| &f.key == *k))
        .filter_map(|(k, f)| {
            decode_value(&f.value).map(|value| wit::FieldValue {
                key: k.clone(),
                value,
            })
        })
        .collect()
}

/// Changes a Garant makes to an object's official identity (absent: unchanged).
#[derive(Debug, Clone, Default)]
pub struct IdentityPatch {
    /// Official name.
    pub official_name: Option<String>,
    /// Street line.
    pub street: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// City.
    pub city: Option<String>,
    /// WGS84 latitude, given with the longitude.
    pub latitude: Option<f64>,
    /// WGS84 longitude, given with the latitude.
    pub longitude: Option<f64>,
    /// `open` or `closed` (confirming or clearing a "possibly closed" mark).
    pub status: Option<String>,
    /// Closing date, `YYYY-MM-DD`.
    pub closed_on: Option<String>,
}

impl Services {
    /// Changes an object's official identity (Garant of the type); every change is recorded
    /// in its history. Setting the status settles a "possibly closed" mark.
    pub async fn update_identity(
        &self,
        actor: Actor<'_>,
        tenant: &Tenant,
        id: i64,
        patch: IdentityPatch,
    ) -> Result<(ObservedObject, usize), ServiceError> {
        let (permit, object) = &self
            .object_permit_for(actor, tenant, id, Operation::UpdateOfficialData)
            .await?;
        let location = match (patch.latitude, patch.longitude) {
            (Some(lat), Some(lon)) => Some((lat, lon)),
            (None, None) => None,
            _ => {
                return Err(invalid(
                    "latitude",
                    "give both latitude and longitude",
                    "Donnez la latitude et la longitude ensemble.",
                ));
            }
        };
        let status = match patch.status.as_deref() {
            None => None,
            Some(s) => Some(ObjectStatus::parse(s).ok_or_else(|| {
                invalid(
                    "status",
                    "use open or closed",
                    "Écrivez open (ouvert) ou closed (fermé).",
                )
            })?),
        };
        let mut identity = object.identity.clone();
        if let Some(name) = patch.official_name {
            identity.official_name = vigie_domain::objects::check_title("official_name", &name)?;
        }
        let text = |v: Option<String>, current: Option<String>| match v {
            Some(s) if s.trim().is_empty() => None,
            Some(s) => Some(s.trim().to_owned()),
            None => current,
        };
        identity.street = text(patch.street, identity.street);
        identity.postcode = text(patch.postcode, identity.postcode);
        identity.city = text(patch.city, identity.city);
        if let Some((lat, lon)) = location {
            vigie_domain::MapView::new(lat, lon, 0)?;
            identity.latitude = Some(lat);
            identity.longitude = Some(lon);
        }
        if let Some(d) = &patch.closed_on {
            vigie_domain::objects::check_date("closed_on", d)?;
            identity.closed_on = Some(d.clone());
        }
        if let Some(status) = status {
            identity.status = status;
            if status == ObjectStatus::Open {
                identity.closed_on = None;
            }
            self.store.clear_possibly_closed(tenant.id, id).await?;
        }
        let changed = self
            .store
            .update_identity(tenant.id, id, &identity, None, permit.actor())
            .await?;
        Ok((self.object(tenant, id).await?, changed))
    }
}
