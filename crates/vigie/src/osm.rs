//! `vigie osm …`: OpenStreetMap both ways from the command line, as the platform's operator.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use vigie::App;
use vigie_config::Settings;
use vigie_domain::ObjectTypeKey;
use vigie_services::Actor;

/// `vigie osm …`
#[derive(Subcommand)]
pub enum OsmCommand {
    /// Import an OSM extract (Overpass JSON) of a type: links the places whose identifier an
    /// element's reference tag carries (`ref:UAI` for schools), proposes links by name and
    /// distance (< 100 m) for a Garant to confirm, keeps the extract for the report.
    Import {
        /// Collective.
        #[arg(long)]
        tenant: String,
        /// Object type, e.g. schools.
        #[arg(long = "type")]
        object_type: String,
        /// The extract (Overpass JSON: `[out:json]`, `out center meta;`).
        file: PathBuf,
    },
    /// Print where the newest extract and the official data disagree.
    Report {
        /// Collective.
        #[arg(long)]
        tenant: String,
        /// Object type, e.g. schools.
        #[arg(long = "type")]
        object_type: String,
        /// CSV, or GeoJSON for a MapRoulette challenge.
        #[arg(long, value_enum, default_value = "csv")]
        format: ReportFormat,
    },
}

/// The report's format.
#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// One line per discrepancy.
    Csv,
    /// A FeatureCollection, one feature per MapRoulette task.
    Geojson,
}

/// Runs a `vigie osm` command.
pub async fn run(settings: &Settings, cmd: OsmCommand) -> anyhow::Result<()> {
    let app = App::build(settings).await?;
    let services = &app.services;
    match cmd {
        OsmCommand::Import {
            tenant,
            object_type,
            file,
        } => {
            let tenant = services.tenant(&tenant).await?;
            let key = ObjectTypeKey::parse(&object_type)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let s = services
                .osm_import(Actor::Operator, &tenant, &key, &bytes)
                .await?;
            println!(
                "{} éléments lus / elements read, {} lieux / places: {} liés par référence / \
                 linked by reference, {} proposés / proposed, {} inchangés / unchanged",
                s.elements, s.places, s.linked, s.proposed, s.unchanged
            );
        }
        OsmCommand::Report {
            tenant,
            object_type,
            format,
        } => {
            let tenant = services.tenant(&tenant).await?;
            let key = ObjectTypeKey::parse(&object_type)?;
            let items = services.osm_discrepancies(&tenant, &key).await?;
            let mut body = match format {
                ReportFormat::Csv => vigie_osm::report_csv(&items)?,
                ReportFormat::Geojson => vigie_osm::report_geojson(&items).to_string().into_bytes(),
            };
            if matches!(format, ReportFormat::Geojson) {
                body.push(b'\n');
            }
            // Written, not printed: a closed pipe (`| head`) is an error, not a panic.
            std::io::stdout().lock().write_all(&body)?;
        }
    }
    Ok(())
}
