//! `vigie`: the server and its administration commands.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand, ValueEnum};
use vigie::App;
use vigie_config::Settings;
use vigie_domain::{MapView, ObjectTypeKey};
use vigie_services::{Actor, RoleIn, RoleTarget, TenantInput};

/// Vigie — public facts about public services, kept by citizens.
///
/// Settings come from --config FILE (or VIGIE_CONFIG), then VIGIE__SECTION__KEY variables and
/// the short forms VIGIE_DATABASE_URL, VIGIE_BIND, VIGIE_DATA_DIR, VIGIE_PUBLIC_URL.
/// `vigie config sample` prints every setting with its default.
#[derive(Parser)]
#[command(name = "vigie", version)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "VIGIE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (migrates the database, creates the demo collective on first start).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (or write it to --output).
    Openapi {
        /// File to write instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Collectives.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// User accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Role grants (recorded publicly, as done by the platform operator).
    #[command(subcommand)]
    Role(RoleCommand),
    /// Object-type plugins (WebAssembly components).
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// The tamper-evident journal of requests.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Requests for intervention or improvement.
    #[command(subcommand)]
    Requests(RequestsCommand),
    /// Outgoing e-mail: a test message, the outbox, failed messages sent again.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Badges: list a collective's, compute them again from history, try a rule.
    #[command(subcommand)]
    Badges(BadgesCommand),
    /// Copy a whole instance between databases (SQLite ↔ PostgreSQL).
    #[command(subcommand)]
    Db(ops::DbCommand),
    /// Copy the stored files between stores (folder ↔ S3), resumably.
    #[command(subcommand)]
    Media(ops::MediaCommand),
    /// OpenStreetMap both ways: import an extract, report discrepancies.
    #[command(subcommand)]
    Osm(osm::OsmCommand),
    /// Write a consistent snapshot of a SQLite instance, even while it serves, and its files.
    Backup(ops::BackupArgs),
    /// Import an official open-data file (CSV with ; or , — JSON — GeoJSON) with the type's
    /// importer that recognises it: creates objects, adds official facts, never deletes.
    Import {
        /// Collective.
        #[arg(long)]
        tenant: String,
        /// Object type, e.g. schools.
        #[arg(long = "type")]
        object_type: String,
        /// The file to import.
        #[arg(required_unless_present_any = ["url", "from_api"])]
        file: Option<PathBuf>,
        /// Download the file from this address instead.
        #[arg(long, conflicts_with = "file")]
        url: Option<String>,
        /// Download the importer's dataset from the publisher's export API (needs --importer;
        /// filter it with --where, e.g. 'startswith(code_commune,"132")' for Marseille).
        #[arg(long, conflicts_with_all = ["file", "url"], requires = "importer")]
        from_api: bool,
        /// Importer key of the type's plugin (see `vigie plugin inspect TYPE`).
        #[arg(long)]
        importer: Option<String>,
        /// Opendatasoft filter for --from-api.
        #[arg(long = "where")]
        filter: Option<String>,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// List the loaded plugins: type, version, interface, source, SHA-256.
    List,
    /// Print a plugin's manifest: fields, indicators, request kinds, layers, importers.
    Inspect {
        /// Object type key, e.g. schools.
        #[arg(value_name = "TYPE")]
        key: String,
        /// Print the manifest as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Load every plugin (bundled and plugins.dir), check hashes, interface version and
    /// manifest, try each one's examples; exit non-zero on any problem.
    Verify,
}

#[derive(Subcommand)]
enum JournalCommand {
    /// Recompute every entry's hash from its content and its predecessor: print, per
    /// collective, the number of entries, the head hash and OK, or the first entry that does
    /// not verify and why. Exits non-zero if any journal is broken.
    Verify {
        /// Only this collective (all of them when omitted).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Print a collective's journal entries in chain order: position, time, request, action,
    /// details (raw: content of requests set apart included).
    Show {
        /// Collective.
        #[arg(long)]
        tenant: String,
        /// Only this request's entries.
        #[arg(long)]
        request: Option<i64>,
    },
}

#[derive(Subcommand)]
enum RequestsCommand {
    /// Send the due reminders once (the server does it every hour): each requester whose
    /// reminder date has come is asked whether their request is solved.
    Remind {
        /// Act as if today were this date (YYYY-MM-DD); today (UTC) by default.
        #[arg(long)]
        today: Option<String>,
    },
}

#[derive(Subcommand)]
enum BadgesCommand {
    /// A collective's badges: key, levels, how earned, holders per level.
    List {
        /// Collective.
        #[arg(long)]
        tenant: String,
    },
    /// Compute every badge of a collective (or of all) again from history: levels reached
    /// meanwhile are added (a level is never taken back). Prints the time it took.
    Compute {
        /// Collective (default: every one).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// What a rule would award in a collective now, and its cost, without saving it.
    Preview {
        /// Collective.
        #[arg(long)]
        tenant: String,
        /// Thresholds, e.g. "1, 5, 10".
        #[arg(long, default_value = "1, 5, 10, 30, 60")]
        levels: String,
        /// The rule (a SELECT returning user_id and score over the views of docs/badges.md).
        rule: String,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// Send one test message now, straight through the configured mailer (`mail.smtp_url`,
    /// else the outbox folder), and print what the server said.
    Test {
        /// Recipient address.
        #[arg(long)]
        to: String,
    },
    /// List the queued e-mails, newest first: id, state, attempts, next attempt, purpose,
    /// recipient, subject, last error or server reply.
    Outbox {
        /// Only the failed ones (given up after their last attempt).
        #[arg(long)]
        failed: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Send a failed e-mail again (same Message-ID, a fresh count of attempts); the running
    /// server delivers it.
    Retry {
        /// The message's id (see `vigie mail outbox --failed`).
        id: i64,
    },
    /// Send the daily digests now: every reader who chose a daily digest gets one message
    /// gathering what waited for it (the server does this each day at `mail.digest_hour`).
    Digest,
    /// Receive one reply by e-mail: a raw RFC 5322 message on standard input (for an MTA
    /// pipe, e.g. Postfix's). Prints `answered`, `held` or `ignored`; exits 0 then, 65 on
    /// input that is not a message or is too large, 75 when the database is unreachable
    /// (the MTA tries again later), 78 when replies by e-mail are off.
    Receive {
        /// The envelope recipient, when the MTA gives it (Postfix: `${original_recipient}`).
        #[arg(long)]
        recipient: Option<String>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the sample configuration, every setting at its default.
    Sample,
    /// Print the effective settings (secrets redacted).
    Show,
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Open a collective.
    Create {
        /// URL name, e.g. ecoles-marseille.
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Object types to enable, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "schools")]
        types: Vec<String>,
        /// Official e-mail domains, comma-separated (e.g. marseille.fr,ac-aix-marseille.fr).
        #[arg(long, value_delimiter = ',')]
        official_domains: Vec<String>,
        /// Map centre latitude.
        #[arg(long, default_value_t = MapView::MARSEILLE.latitude)]
        latitude: f64,
        /// Map centre longitude.
        #[arg(long, default_value_t = MapView::MARSEILLE.longitude)]
        longitude: f64,
        /// Map zoom (0-19).
        #[arg(long, default_value_t = i64::from(MapView::MARSEILLE.zoom))]
        zoom: i64,
        /// The collective's own map tiles, e.g. https://tiles.example.org/{z}/{x}/{y}.png
        /// (default: the instance's `[map] tile_url`).
        #[arg(long, requires = "tile_attribution")]
        tile_url: Option<String>,
        /// Attribution of those tiles, e.g. "© OpenStreetMap contributors".
        #[arg(long, requires = "tile_url")]
        tile_attribution: Option<String>,
    },
    /// Set a collective's map: its default view and its own tiles (without --tile-url, the
    /// instance's).
    Map {
        /// The collective's URL name.
        slug: String,
        /// Map centre latitude.
        #[arg(long)]
        latitude: f64,
        /// Map centre longitude.
        #[arg(long)]
        longitude: f64,
        /// Map zoom (0-19).
        #[arg(long)]
        zoom: i64,
        /// The collective's own map tiles, e.g. https://tiles.example.org/{z}/{x}/{y}.png.
        #[arg(long, requires = "tile_attribution")]
        tile_url: Option<String>,
        /// Attribution of those tiles.
        #[arg(long, requires = "tile_url")]
        tile_attribution: Option<String>,
    },
    /// List collectives.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account, already verified.
    Create {
        /// E-mail address.
        #[arg(long)]
        email: String,
        /// Password (at least 10 characters).
        #[arg(long)]
        password: String,
        /// Public name.
        #[arg(long)]
        name: Option<String>,
        /// Also make the account a Guru (platform administrator).
        #[arg(long)]
        guru: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum GrantableRole {
    Guru,
    Garant,
    Certified,
}

#[derive(clap::Args)]
struct RoleArgs {
    /// The role.
    #[arg(long, value_enum)]
    role: GrantableRole,
    /// E-mail of the account.
    #[arg(long)]
    user: String,
    /// Collective (Garant, Certified).
    #[arg(long)]
    tenant: Option<String>,
    /// Object type (Garant, Certified).
    #[arg(long = "type")]
    object_type: Option<String>,
    /// Object id (Certified).
    #[arg(long)]
    object: Option<i64>,
}

#[derive(Subcommand)]
enum RoleCommand {
    /// Grant a role.
    Grant(RoleArgs),
    /// Revoke a role.
    Revoke(RoleArgs),
}

mod ops;
mod osm;
mod plugin;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            match e.downcast_ref::<ExitStatus>() {
                Some(status) => std::process::ExitCode::from(status.0),
                None => std::process::ExitCode::FAILURE,
            }
        }
    }
}

/// An exit status other than 1, for a command an MTA runs (`sysexits.h`).
#[derive(Debug)]
struct ExitStatus(u8, String);

impl std::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

impl std::error::Error for ExitStatus {}

/// `EX_DATAERR`: the input is not what was expected.
const EX_DATAERR: u8 = 65;
/// `EX_TEMPFAIL`: try again later.
const EX_TEMPFAIL: u8 = 75;
/// `EX_CONFIG`: the configuration does not allow it.
const EX_CONFIG: u8 = 78;

/// `vigie mail receive`: one raw message on standard input.
async fn receive_mail(settings: &Settings, recipient: Option<String>) -> anyhow::Result<()> {
    use tokio::io::AsyncReadExt as _;
    let limit = settings.mail.inbound_max_bytes;
    let mut raw = Vec::new();
    tokio::io::stdin()
        .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut raw)
        .await
        .map_err(|e| ExitStatus(EX_TEMPFAIL, format!("cannot read standard input: {e}")))?;
    if raw.len() > limit {
        return Err(ExitStatus(
            EX_DATAERR,
            format!(
                "the message is over the limit of {limit} bytes (mail.inbound_max_bytes): refused"
            ),
        )
        .into());
    }
    let app = App::build(settings)
        .await
        .map_err(|e| ExitStatus(EX_TEMPFAIL, format!("{e:#}: try again later")))?;
    match app.services.receive_mail(&raw, recipient.as_deref()).await {
        Ok(vigie_services::ReceiveOutcome::Answered {
            tenant,
            request_id,
            status_changed,
            notes,
        }) => {
            println!(
                "answered: request {request_id} of {tenant}{}",
                if status_changed {
                    ", status changed"
                } else {
                    ""
                }
            );
            for note in notes {
                println!("note: {note}");
            }
            Ok(())
        }
        Ok(vigie_services::ReceiveOutcome::Held { id, reason }) => {
            println!("held: {id} ({reason})");
            Ok(())
        }
        Ok(vigie_services::ReceiveOutcome::Ignored { reason }) => {
            println!("ignored: {reason}");
            Ok(())
        }
        Err(e @ vigie_services::ReceiveError::Disabled) => {
            Err(ExitStatus(EX_CONFIG, e.to_string()).into())
        }
        Err(
            e @ (vigie_services::ReceiveError::TooLarge { .. }
            | vigie_services::ReceiveError::Unreadable(_)),
        ) => Err(ExitStatus(EX_DATAERR, e.to_string()).into()),
        Err(vigie_services::ReceiveError::Service(e)) => {
            Err(ExitStatus(EX_TEMPFAIL, format!("{e}: try again later")).into())
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Config(ConfigCommand::Sample) = cli.command {
        print!("{}", vigie_config::SAMPLE);
        return Ok(());
    }
    if let Command::Openapi { output } = &cli.command {
        let spec = vigie_api::openapi_json();
        match output {
            Some(path) => std::fs::write(path, spec + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?,
            None => println!("{spec}"),
        }
        return Ok(());
    }
    let settings = Settings::load(cli.config.as_deref())?;
    vigie::init_logging(&settings);
    match cli.command {
        Command::Serve => vigie::serve(&settings).await,
        Command::Migrate => {
            std::fs::create_dir_all(&settings.storage.data_dir)?;
            let url = settings.database_url();
            let store = vigie_storage::Store::connect(&url, 1).await?;
            let applied = store.migrate().await?;
            println!(
                "database {} is up to date ({} migration(s) applied now)",
                vigie_config::redact_url(&url),
                applied.len()
            );
            Ok(())
        }
        Command::Config(ConfigCommand::Show) => {
            println!("{settings:#?}");
            Ok(())
        }
        Command::Config(ConfigCommand::Sample) | Command::Openapi { .. } => Ok(()),
        Command::Tenant(cmd) => tenant(&settings, cmd).await,
        Command::User(cmd) => user(&settings, cmd).await,
        Command::Role(cmd) => role(&settings, cmd).await,
        Command::Plugin(cmd) => plugin::run(&settings, cmd),
        Command::Journal(cmd) => journal(&settings, cmd).await,
        Command::Requests(cmd) => requests(&settings, cmd).await,
        Command::Mail(cmd) => mail(&settings, cmd).await,
        Command::Badges(cmd) => badges(&settings, cmd).await,
        Command::Db(cmd) => ops::db(cmd).await,
        Command::Media(cmd) => ops::media(&settings, cmd).await,
        Command::Backup(args) => ops::backup(&settings, args).await,
        Command::Osm(cmd) => osm::run(&settings, cmd).await,
        Command::Import {
            tenant,
            object_type,
            file,
            url,
            from_api,
            importer,
            filter,
        } => {
            import(
                &settings,
                &tenant,
                &object_type,
                file,
                url,
                from_api.then_some((importer.unwrap_or_default(), filter)),
            )
            .await
        }
    }
}

async fn tenant(settings: &Settings, cmd: TenantCommand) -> anyhow::Result<()> {
    let app = App::build(settings).await?;
    match cmd {
        TenantCommand::Create {
            slug,
            name,
            description,
            types,
            official_domains,
            latitude,
            longitude,
            zoom,
            tile_url,
            tile_attribution,
        } => {
            let input = TenantInput {
                slug,
                name,
                description,
                map: Some((latitude, longitude, zoom)),
                tiles: tile_url.zip(tile_attribution),
                object_types: types,
                official_domains,
            };
            let t = app.services.create_tenant(Actor::Operator, input).await?;
            println!(
                "collective '{}' created: {}/t/{}",
                t.name,
                settings.public_url(),
                t.slug
            );
        }
        TenantCommand::Map {
            slug,
            latitude,
            longitude,
            zoom,
            tile_url,
            tile_attribution,
        } => {
            let t = app
                .services
                .set_tenant_map(
                    Actor::Operator,
                    &slug,
                    (latitude, longitude, zoom),
                    tile_url.zip(tile_attribution),
                )
                .await?;
            let tiles = t.tiles.as_ref().map_or("the instance's", |t| t.url());
            println!("collective '{}' map set; tiles: {tiles}", t.slug);
        }
        TenantCommand::List => {
            for t in app.services.tenants().await? {
                let types: Vec<&str> = t.object_types.iter().map(ObjectTypeKey::as_str).collect();
                println!("{}\t{}\t{}", t.slug, t.name, types.join(","));
            }
        }
    }
    Ok(())
}

async fn journal(settings: &Settings, cmd: JournalCommand) -> anyhow::Result<()> {
    let app = App::build(settings).await?;
    match cmd {
        JournalCommand::Verify { tenant } => {
            let tenants = match tenant {
                Some(slug) => vec![known_tenant(&app, &slug).await?],
                None => app.services.tenants().await?,
            };
            let mut broken = Vec::new();
            for t in &tenants {
                let report = app.services.verify_journal(t).await?;
                match &report.broken {
                    None => println!(
                        "{}: {} entries, head {}: OK",
                        t.slug, report.entries, report.head_hash
                    ),
                    Some(b) => {
                        println!(
                            "{}: {} entries, head {}: BROKEN at entry {}: {}",
                            t.slug, report.entries, report.head_hash, b.seq, b.reason
                        );
                        broken.push(format!("{} (entry {})", t.slug, b.seq));
                    }
                }
            }
            if !broken.is_empty() {
                bail!(
                    "the request journal does not verify for {}",
                    broken.join(", ")
                );
            }
        }
        JournalCommand::Show { tenant, request } => {
            let t = known_tenant(&app, &tenant).await?;
            if let Some(id) = request {
                app.services
                    .request(&t, id)
                    .await
                    .with_context(|| format!("no request {id} in the collective '{}'", t.slug))?;
            }
            println!("seq\tat\trequest\taction\tdetails");
            for e in app.services.journal(&t).await? {
                if request.is_none_or(|id| id == e.request_id) {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        e.seq, e.at, e.request_id, e.action, e.details
                    );
                }
            }
        }
    }
    Ok(())
}

async fn requests(settings: &Settings, cmd: RequestsCommand) -> anyhow::Result<()> {
    let RequestsCommand::Remind { today } = cmd;
    let today = match today {
        Some(d) => {
            vigie_domain::objects::check_date("--today", &d)?;
            d
        }
        None => vigie::today(),
    };
    let app = App::build(settings).await?;
    let sent = app.services.send_due_reminders(&today).await?;
    println!("{sent} reminder(s) sent (due on or before {today})");
    Ok(())
}

async fn mail(settings: &Settings, cmd: MailCommand) -> anyhow::Result<()> {
    if let MailCommand::Receive { recipient } = cmd {
        return receive_mail(settings, recipient).await;
    }
    let app = App::build(settings).await?;
    match cmd {
        MailCommand::Receive { .. } => {}
        MailCommand::Test { to } => {
            println!(
                "sending a test message to {to} through {}",
                app.services.mailer_description()
            );
            let sent = app
                .services
                .send_test_mail(&to)
                .await
                .context("the test message was not sent")?;
            println!("Message-ID: {}", sent.message_id);
            println!("server said: {}", sent.reply);
        }
        MailCommand::Outbox { failed, limit } => {
            let counts = app.services.outbox_counts(Actor::Operator).await?;
            println!(
                "{} pending, {} sent, {} failed",
                counts.pending, counts.sent, counts.failed
            );
            println!("id\tstate\tattempts\tnext attempt\tpurpose\tto\tsubject\tlast error / reply");
            for m in app.services.outbox(Actor::Operator, failed, limit).await? {
                let note = match m.state {
                    vigie_storage::OutboxState::Sent => m.server_reply.unwrap_or_default(),
                    _ => m.last_error.unwrap_or_default(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    m.id,
                    m.state.as_str(),
                    m.attempts,
                    vigie_storage::timestamp(m.next_attempt_at),
                    m.purpose,
                    m.to,
                    m.subject,
                    note.replace(['\t', '\n'], " ")
                );
            }
        }
        MailCommand::Digest => {
            let sent = app
                .services
                .send_digests(time::OffsetDateTime::now_utc() + time::Duration::seconds(1))
                .await?;
            println!("{sent} digest(s) queued; the running server delivers them");
        }
        MailCommand::Retry { id } => {
            let m = app.services.retry_mail(Actor::Operator, id).await?;
            println!(
                "message {} to {} is queued again ({}); the running server delivers it",
                m.id,
                m.to,
                m.state.as_str()
            );
        }
    }
    Ok(())
}

/// A collective by slug, or an error naming it.
async fn known_tenant(app: &App, slug: &str) -> anyhow::Result<vigie_storage::Tenant> {
    app.services
        .tenant(slug)
        .await
        .with_context(|| format!("no collective '{slug}' (see `vigie tenant list`)"))
}

async fn import(
    settings: &Settings,
    tenant: &str,
    object_type: &str,
    file: Option<PathBuf>,
    url: Option<String>,
    from_api: Option<(String, Option<String>)>,
) -> anyhow::Result<()> {
    let app = App::build(settings).await?;
    let tenant = app.services.tenant(tenant).await?;
    let key = ObjectTypeKey::parse(object_type)?;
    let timeout = std::time::Duration::from_secs(300);
    let (name, bytes) = match (file, url, from_api) {
        (Some(path), _, _) => {
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            (path.display().to_string(), bytes)
        }
        (None, Some(url), _) => (url.clone(), vigie::fetch(&url, timeout).await?),
        (None, None, Some((importer, filter))) => {
            let plugin = app.services.plugin(&key)?;
            let Some(imp) = plugin
                .manifest()
                .importers
                .iter()
                .find(|i| i.key == importer)
            else {
                bail!(
                    "the {key} plugin has no importer '{importer}' (see `vigie plugin inspect {key}`)"
                );
            };
            let url = export_url(
                imp.source_url.as_deref().unwrap_or_default(),
                filter.as_deref(),
            )?;
            println!("downloading {url}");
            (url.clone(), vigie::fetch(&url, timeout).await?)
        }
        _ => bail!("give a FILE, --url or --from-api"),
    };
    let report = app
        .services
        .import_dataset(
            vigie_services::Actor::Operator,
            &tenant,
            &key,
            &name,
            &bytes,
        )
        .await?;
    let c = &report.counts;
    println!(
        "import {} with importer {}: {} created, {} updated, {} unchanged, {} rejected; {} official facts added; {} marked possibly closed",
        report.import_id,
        report.importer,
        c.created,
        c.updated,
        c.unchanged,
        c.rejected,
        c.facts_added,
        c.possibly_closed
    );
    for r in &report.rejected {
        println!(
            "  line {}{}: {}",
            r.line,
            r.column
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
            r.reason.en
        );
    }
    Ok(())
}

/// The Opendatasoft CSV export of a dataset whose page is `…/explore/dataset/{id}/`.
fn export_url(page: &str, filter: Option<&str>) -> anyhow::Result<String> {
    let Some((base, rest)) = page.split_once("/explore/dataset/") else {
        bail!("the importer's source {page:?} is not an Opendatasoft dataset page: use --url");
    };
    let id = rest.trim_end_matches('/');
    let mut url =
        format!("{base}/api/explore/v2.1/catalog/datasets/{id}/exports/csv?delimiter=%3B");
    if let Some(f) = filter {
        url.push_str("&where=");
        for b in f.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                url.push(char::from(b));
            } else {
                url.push_str(&format!("%{b:02X}"));
            }
        }
    }
    Ok(url)
}

async fn user(settings: &Settings, cmd: UserCommand) -> anyhow::Result<()> {
    let app = App::build(settings).await?;
    let UserCommand::Create {
        email,
        password,
        name,
        guru,
    } = cmd;
    let user = app
        .services
        .create_user_as_operator(&email, &password, name.as_deref())
        .await?;
    println!(
        "user {} created (id {})",
        user.display_name.as_str(),
        user.id
    );
    if guru {
        app.services
            .change_role(
                Actor::Operator,
                None,
                &RoleIn::Guru,
                true,
                &RoleTarget::Id(user.id),
            )
            .await?;
        println!("user {} is a Guru", user.display_name.as_str());
    }
    Ok(())
}

async fn role(settings: &Settings, cmd: RoleCommand) -> anyhow::Result<()> {
    let app = App::build(settings).await?;
    let (args, grant) = match cmd {
        RoleCommand::Grant(a) => (a, true),
        RoleCommand::Revoke(a) => (a, false),
    };
    let tenant = match &args.tenant {
        Some(slug) => Some(app.services.tenant(slug).await?),
        None => None,
    };
    let ty = || -> anyhow::Result<ObjectTypeKey> {
        Ok(ObjectTypeKey::parse(
            args.object_type
                .as_deref()
                .context("--type is required for this role")?,
        )?)
    };
    let with_tenant = || {
        tenant
            .as_ref()
            .context("--tenant is required for this role")
    };
    let role = match args.role {
        GrantableRole::Guru => {
            if tenant.is_some() {
                bail!("a Guru is platform-wide: drop --tenant");
            }
            RoleIn::Guru
        }
        GrantableRole::Garant => {
            with_tenant()?;
            RoleIn::Garant(ty()?)
        }
        GrantableRole::Certified => {
            with_tenant()?;
            RoleIn::Certified(
                ty()?,
                args.object.context("--object is required for Certified")?,
            )
        }
    };
    let event = app
        .services
        .change_role(
            Actor::Operator,
            tenant.as_ref(),
            &role,
            grant,
            &RoleTarget::Email(args.user.clone()),
        )
        .await?;
    println!(
        "{} {} {}",
        if grant { "granted" } else { "revoked" },
        event.role.as_str(),
        event.user_name
    );
    Ok(())
}

async fn badges(settings: &Settings, cmd: BadgesCommand) -> anyhow::Result<()> {
    let app = App::build(settings).await?;
    let services = &app.services;
    match cmd {
        BadgesCommand::List { tenant } => {
            let tenant = services.tenant(&tenant).await?;
            println!("key\tearned\tlevels\tholders per level\tname");
            for b in services.all_badges(Actor::Operator, &tenant).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}{}",
                    b.badge.key,
                    if b.badge.rule.is_some() {
                        "rule"
                    } else {
                        "manual"
                    },
                    b.levels.to_text(),
                    b.holders
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    b.badge.name_fr,
                    if b.badge.retired_at.is_some() {
                        " (retired)"
                    } else {
                        ""
                    }
                );
            }
        }
        BadgesCommand::Compute { tenant } => {
            let tenants = match tenant {
                Some(slug) => vec![services.tenant(&slug).await?],
                None => services.tenants().await?,
            };
            for tenant in tenants {
                let started = std::time::Instant::now();
                let reached = services.compute_badges(&tenant).await?;
                println!(
                    "{}: {reached} level(s) reached, {} ms",
                    tenant.slug,
                    started.elapsed().as_millis()
                );
            }
        }
        BadgesCommand::Preview {
            tenant,
            levels,
            rule,
        } => {
            let tenant = services.tenant(&tenant).await?;
            let p = services
                .preview_badge_rule(Actor::Operator, &tenant, &rule, &levels)
                .await?;
            for (level, threshold, n) in &p.levels {
                println!("level {level} (score >= {threshold}): {n} account(s)");
            }
            println!("{} account(s) scored, {} ms", p.scored, p.elapsed_ms);
        }
    }
    app.store.close().await;
    Ok(())
}
