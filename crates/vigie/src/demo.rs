//! The demo collective's requests: a dozen made-up requests on the demo schools, one in every
//! moderation outcome and most statuses, so that a newcomer sees the whole life cycle at once.
//!
//! Everything goes through the use cases — filing, moderation, contacts, assignments,
//! notifications, answers, comments, supporters, merges — as the demo users themselves, so the
//! use cases decide with the rights their roles give, and each request's public journal is the
//! one real use would write. The demo users and
//! contacts have made-up addresses on `example.org`, every name ends with « (démo) », and their
//! passwords are random (a reset link through the outbox lets a newcomer sign in as them).

use std::hash::{BuildHasher as _, Hasher as _};

use anyhow::Context as _;
use vigie_domain::requests::{RequestModeration, RequestStatus};
use vigie_domain::{Email, ObjectTypeKey, Principal};
use vigie_plugins::wit;
use vigie_services::{
    Actor, AssignTarget, Editor, ProposedValue, RequestInput, RoleIn, RoleTarget, ServiceError,
    Services,
};
use vigie_storage::{Contact, Store, Tenant, User};

/// The type the demo requests are about.
const SCHOOLS: &str = "schools";

mod places;

pub(crate) use places::seed_places;

/// Adds the demo requests to the demo collective if it has none yet (seeding twice changes
/// nothing). Returns how many requests were filed.
pub(crate) async fn seed_requests(
    services: &Services,
    store: &Store,
    tenant: &Tenant,
) -> anyhow::Result<usize> {
    if !services.requests(tenant, None).await?.is_empty() {
        return Ok(0);
    }
    let Some((key, made_up, real)) = demo_schools(services, tenant).await? else {
        tracing::warn!("the demo collective has no school: no demo requests");
        return Ok(0);
    };
    let demo = Demo::new(services, store, tenant, key, made_up, real).await?;
    demo.play().await?;
    let filed = services.requests(tenant, None).await?.len();
    tracing::info!(requests = filed, "demo requests filed");
    Ok(filed)
}

/// The demo's schools, oldest first, and whether they are real: the shipped demo schools are
/// made up; when the demo was filled from the official data instead, the schools are real
/// (and what the demo adds on them says it is fictitious). `None` without any school.
async fn demo_schools(
    services: &Services,
    tenant: &Tenant,
) -> anyhow::Result<Option<(ObjectTypeKey, Vec<i64>, bool)>> {
    let key = ObjectTypeKey::parse(SCHOOLS)?;
    if !tenant.object_types.contains(&key) {
        return Ok(None);
    }
    let objects = services.objects(tenant, Some(&key)).await?;
    let mut made_up: Vec<i64> = objects
        .iter()
        .filter(|o| o.identity.official_name.contains("(démo)"))
        .map(|o| o.id)
        .collect();
    let real = made_up.is_empty();
    if real {
        made_up = objects.iter().map(|o| o.id).collect();
    }
    made_up.sort_unstable();
    Ok((!made_up.is_empty()).then_some((key, made_up, real)))
}

/// Someone of the demo, with the identity the authorizer sees.
struct Person {
    principal: Principal,
}

impl Person {
    fn of(user: &User) -> Self {
        Self {
            principal: Principal::User {
                id: user.id,
                verified_email: user.verified_email().cloned(),
            },
        }
    }

    fn anonymous() -> Self {
        Self {
            principal: Principal::Anonymous,
        }
    }
}

/// A request to file.
struct Filing<'a> {
    school: usize,
    kind: &'a str,
    categories: &'a [&'a str],
    title: &'a str,
    description: &'a str,
    urgency: Option<&'a str>,
    location: Option<&'a str>,
    reminder_in_days: Option<u64>,
}

impl Default for Filing<'_> {
    fn default() -> Self {
        Self {
            school: 0,
            kind: "intervention",
            categories: &[],
            title: "",
            description: "",
            urgency: None,
            location: None,
            reminder_in_days: None,
        }
    }
}

struct Demo<'a> {
    services: &'a Services,
    tenant: &'a Tenant,
    schools: Vec<i64>,
    real_schools: bool,
    garant: Person,
    certified: Person,
    sophie: Person,
    karim: Person,
    lea: Person,
    marc: Person,
    works: Contact,
    head: Contact,
    prevention: Contact,
}

impl<'a> Demo<'a> {
    async fn new(
        services: &'a Services,
        store: &Store,
        tenant: &'a Tenant,
        key: ObjectTypeKey,
        schools: Vec<i64>,
        real_schools: bool,
    ) -> anyhow::Result<Self> {
        let garant = user(
            services,
            store,
            "garante.demo@example.org",
            "Gaëlle, garante des écoles (démo)",
        )
        .await?;
        grant(services, tenant, &garant, RoleIn::Garant(key.clone())).await?;
        let certified = user(
            services,
            store,
            "nadia.demo@example.org",
            "Nadia, parente certifiée (démo)",
        )
        .await?;
        grant(
            services,
            tenant,
            &certified,
            RoleIn::Certified(key.clone(), schools[0]),
        )
        .await?;
        let sophie = user(
            services,
            store,
            "sophie.demo@example.org",
            "Sophie, parente d'élève (démo)",
        )
        .await?;
        let karim = user(
            services,
            store,
            "karim.demo@example.org",
            "Karim, parent d'élève (démo)",
        )
        .await?;
        let lea = user(
            services,
            store,
            "lea.demo@example.org",
            "Léa, enseignante (démo)",
        )
        .await?;
        let marc = user(
            services,
            store,
            "marc.demo@example.org",
            "Marc, parent d'élève (démo)",
        )
        .await?;
        let garant = Person::of(&garant);
        let contact = |name: &'static str, role: &'static str, email: &'static str| {
            let (principal, key) = (&garant.principal, &key);
            async move {
                if let Some(c) = services
                    .contacts(tenant, Some(key))
                    .await?
                    .into_iter()
                    .find(|c| c.email == email)
                {
                    return Ok::<_, anyhow::Error>(c);
                }
                Ok(services
                    .add_contact(Actor::Principal(principal), tenant, key, name, role, email)
                    .await?)
            }
        };
        let works = contact(
            "Service des travaux (démo)",
            "Responsable des travaux, Ville de Marseille",
            "travaux.demo@example.org",
        )
        .await?;
        let head = contact(
            "Claire Martin (démo)",
            "Directrice de l'école",
            "directrice.demo@example.org",
        )
        .await?;
        let prevention = contact(
            "Pôle prévention (démo)",
            "Conseiller de prévention, Éducation nationale",
            "prevention.demo@example.org",
        )
        .await?;
        Ok(Self {
            services,
            tenant,
            schools,
            real_schools,
            garant,
            certified: Person::of(&certified),
            sophie: Person::of(&sophie),
            karim: Person::of(&karim),
            lea: Person::of(&lea),
            marc: Person::of(&marc),
            works,
            head,
            prevention,
        })
    }

    /// The demo's story, request by request.
    async fn play(&self) -> anyhow::Result<()> {
        let g = &self.garant;

        // In progress: published by the school's Certified parent, handled by the city's works
        // department, who answers; a comment and a "me too".
        let flooded = self
            .file(
                &self.sophie,
                Filing {
                    school: 0,
                    categories: &["cem/outdoor"],
                    title: "Cour inondée à chaque pluie",
                    description: "Dès qu'il pleut, la moitié de la cour est sous dix centimètres \
                        d'eau : l'avaloir près du préau est bouché. Les enfants restent enfermés \
                        pendant les récréations et les flaques mettent deux jours à disparaître.",
                    location: Some("Cour de récréation, côté préau"),
                    reminder_in_days: Some(60),
                    ..Filing::default()
                },
            )
            .await?;
        self.moderate(&self.certified, flooded, RequestModeration::Publish)
            .await?;
        self.assign(&self.certified, flooded, &self.works).await?;
        self.answer(
            &self.works,
            flooded,
            "Nos agents sont passés : la canalisation d'évacuation est cassée sous l'enrobé. \
             Une entreprise va la remplacer ; la partie nord de la cour sera fermée pendant le \
             chantier.",
            None,
        )
        .await?;
        self.status(
            &self.certified,
            flooded,
            RequestStatus::InProgress,
            Some("Chantier commencé lundi : la partie nord de la cour est fermée."),
        )
        .await?;
        self.comment(
            &self.karim,
            flooded,
            "Merci pour le suivi ! Les enfants ont pu ressortir jeudi, seule la partie près du \
             préau reste fermée.",
        )
        .await?;
        self.support(&self.lea, flooded).await?;

        // Published, waiting for the city.
        let heating = self
            .file(
                &self.karim,
                Filing {
                    school: 1,
                    categories: &["cem/heating-cooling"],
                    title: "Chauffage en panne dans deux classes",
                    description: "Depuis le retour des vacances de la Toussaint, les radiateurs \
                        des classes de CE1 et de CM2 restent froids. Il fait 14 °C le matin : les \
                        élèves gardent leur manteau en classe.",
                    urgency: Some("high"),
                    reminder_in_days: Some(30),
                    ..Filing::default()
                },
            )
            .await?;
        self.moderate(g, heating, RequestModeration::Publish)
            .await?;
        self.support(&self.sophie, heating).await?;

        // Acknowledged: asbestos feared, the contacts are notified and the city's works department
        // acknowledges it through its answer.
        let asbestos = self
            .file(
                &self.lea,
                Filing {
                    school: 2,
                    categories: &["cem/buildings", "sst/premises-condition"],
                    title: "Dalles de sol abîmées : présence d'amiante ?",
                    description: "Dans la classe 4, au premier étage, plusieurs dalles de sol \
                        sont fendues et s'effritent sous les chaises. Le dossier technique \
                        amiante de l'école, consulté à la mairie de secteur, signale des dalles \
                        vinyle-amiante dans ce bâtiment. Nous demandons un diagnostic et la mise \
                        en sécurité de la classe.",
                    urgency: Some("high"),
                    location: Some("Classe 4, premier étage"),
                    reminder_in_days: Some(45),
                    ..Filing::default()
                },
            )
            .await?;
        self.moderate(g, asbestos, RequestModeration::Publish)
            .await?;
        let editor = self.editor(g, asbestos).await?;
        self.services
            .notify_request(
                &editor,
                self.tenant,
                asbestos,
                &[self.works.id, self.prevention.id],
                "Des dalles de sol dégradées pourraient contenir de l'amiante dans la classe 4. \
                 Merci de nous dire quand un repérage pourra être fait et si la classe doit être \
                 fermée d'ici là.",
            )
            .await?;
        self.answer(
            &self.works,
            asbestos,
            "Demande reçue. Un repérage amiante est commandé ; en attendant, la classe 4 est \
             déplacée en salle polyvalente.",
            Some(RequestStatus::Acknowledged),
        )
        .await?;
        self.support(&self.sophie, asbestos).await?;
        self.support(&self.karim, asbestos).await?;

        // Planned, assigned to two contacts; a duplicate filed later is merged into it.
        let toilets = self
            .file(
                &self.marc,
                Filing {
                    school: 3,
                    categories: &["cem/toilets"],
                    title: "Toilettes bouchées au rez-de-chaussée",
                    description: "Deux des trois toilettes des garçons du rez-de-chaussée sont \
                        bouchées depuis dix jours. Les élèves doivent monter à l'étage pendant \
                        les récréations : files d'attente, et des accidents chez les plus \
                        petits.",
                    location: Some("Toilettes des garçons, rez-de-chaussée"),
                    ..Filing::default()
                },
            )
            .await?;
        self.moderate(g, toilets, RequestModeration::Publish)
            .await?;
        self.assign(g, toilets, &self.works).await?;
        self.assign(g, toilets, &self.head).await?;
        self.status(
            g,
            toilets,
            RequestStatus::Planned,
            Some("Passage du plombier prévu mercredi matin, avant l'arrivée des élèves."),
        )
        .await?;
        let duplicate = self
            .file(
                &self.karim,
                Filing {
                    school: 3,
                    categories: &["cem/toilets"],
                    title: "Toilettes des garçons bouchées",
                    description: "Les toilettes des garçons du rez-de-chaussée sont encore \
                        bouchées : mon fils se retient toute la journée.",
                    ..Filing::default()
                },
            )
            .await?;
        self.services
            .merge_request(
                Actor::Principal(&g.principal),
                self.tenant,
                duplicate,
                toilets,
            )
            .await?;

        // Solved.
        let gate = self
            .file(
                &self.sophie,
                Filing {
                    school: 4,
                    categories: &["cem/safety"],
                    title: "Le portail d'entrée ne ferme plus",
                    description: "La gâche électrique du portail principal est cassée : le \
                        portail reste entrouvert toute la journée et n'importe qui peut entrer \
                        dans la cour.",
                    urgency: Some("high"),
                    ..Filing::default()
                },
            )
            .await?;
        self.moderate(g, gate, RequestModeration::Publish).await?;
        self.status(
            g,
            gate,
            RequestStatus::Planned,
            Some("Serrurier commandé par la Ville."),
        )
        .await?;
        self.status(
            g,
            gate,
            RequestStatus::Solved,
            Some("Gâche remplacée : le portail ferme de nouveau."),
        )
        .await?;

        // Marked solved, then reported not solved by its requester: reopened.
        let mould = self
            .file(
                &self.karim,
                Filing {
                    school: 5,
                    categories: &["cem/canteen", "sst/hygiene"],
                    title: "Moisissures au plafond du réfectoire",
                    description: "Des taches noires de moisissure s'étendent au plafond du \
                        réfectoire, au-dessus des tables des maternelles. L'odeur est forte les \
                        jours de pluie.",
                    location: Some("Réfectoire"),
                    ..Filing::default()
                },
            )
            .await?;
        self.moderate(g, mould, RequestModeration::Publish).await?;
        self.status(
            g,
            mould,
            RequestStatus::InProgress,
            Some("Peinture anti-humidité prévue pendant les vacances."),
        )
        .await?;
        self.status(g, mould, RequestStatus::Solved, Some("Plafond repeint."))
            .await?;
        self.status(
            &self.karim,
            mould,
            RequestStatus::NotSolved,
            Some(
                "Les taches sont revenues trois semaines plus tard : la fuite de la toiture n'a \
                 pas été réparée, seule la peinture a été refaite.",
            ),
        )
        .await?;

        // Refused, with its public reason.
        let menus = self
            .file(
                &self.marc,
                Filing {
                    school: 6,
                    kind: "improvement",
                    categories: &["cem/canteen"],
                    title: "Des menus plus variés à la cantine",
                    description: "Les enfants mangent des pâtes trois fois par semaine. Il \
                        faudrait changer de prestataire et servir plus de légumes frais.",
                    ..Filing::default()
                },
            )
            .await?;
        self.moderate(
            g,
            menus,
            RequestModeration::Refuse(
                "Les menus et le choix du prestataire relèvent du marché de restauration de la \
                 Ville, pas d'une intervention sur l'école : portez la question au conseil \
                 d'école."
                    .into(),
            ),
        )
        .await?;

        // Waiting for moderation.
        self.file(
            &self.lea,
            Filing {
                school: 7,
                categories: &["cem/buildings"],
                title: "Fuite d'eau au plafond du préau",
                description: "Quand il pleut, l'eau goutte du plafond du préau près de la porte \
                    de la cantine. Une bassine est posée au sol et les enfants glissent.",
                location: Some("Préau, près de la porte de la cantine"),
                reminder_in_days: Some(90),
                ..Filing::default()
            },
        )
        .await?;

        // Set apart: it attacks a person instead of describing a problem.
        let abusive = self
            .file(
                &Person::anonymous(),
                Filing {
                    school: 7,
                    kind: "report",
                    categories: &["cem/staff"],
                    title: "La directrice ne fait rien, qu'elle dégage",
                    description: "Cette directrice est une incapable, tout le quartier le sait. \
                        Il faut la renvoyer.",
                    ..Filing::default()
                },
            )
            .await?;
        self.moderate(
            g,
            abusive,
            RequestModeration::SetApart(
                "Propos injurieux visant une personne : une demande décrit un problème de \
                 l'école, pas une personne."
                    .into(),
            ),
        )
        .await?;
        Ok(())
    }

    fn school(&self, index: usize) -> i64 {
        self.schools[index % self.schools.len()]
    }

    async fn editor(&self, who: &Person, request: i64) -> anyhow::Result<Editor> {
        let r = self.services.request(self.tenant, request).await?;
        Ok(self
            .services
            .request_editor(&who.principal, None, self.tenant, &r)
            .await?)
    }

    async fn file(&self, who: &Person, f: Filing<'_>) -> anyhow::Result<i64> {
        let object_id = self.school(f.school);
        let mut description = f.description.to_owned();
        if self.real_schools {
            description.push_str("\n\n(Demande fictive, pour la démonstration.)");
        }
        let reminder_on = match f.reminder_in_days {
            Some(days) => Some(crate::date_in_days(days)?),
            None => None,
        };
        let filed = self
            .services
            .file_request(
                Actor::Principal(&who.principal),
                self.tenant,
                object_id,
                RequestInput {
                    kind: f.kind.into(),
                    categories: f.categories.iter().map(|c| (*c).to_owned()).collect(),
                    title: f.title.into(),
                    description,
                    fields: f
                        .location
                        .map(|l| ProposedValue {
                            field: "location".into(),
                            value: wit::Value::Text(l.into()),
                        })
                        .into_iter()
                        .collect(),
                    urgency: f.urgency.map(str::to_owned),
                    reminder_on,
                    contact_email: None,
                    submission_key: None,
                },
            )
            .await
            .with_context(|| format!("demo request « {} »", f.title))?;
        Ok(filed.request.id)
    }

    async fn moderate(
        &self,
        who: &Person,
        request: i64,
        decision: RequestModeration,
    ) -> anyhow::Result<()> {
        self.services
            .moderate_request(
                Actor::Principal(&who.principal),
                self.tenant,
                request,
                decision,
            )
            .await?;
        Ok(())
    }

    async fn status(
        &self,
        who: &Person,
        request: i64,
        to: RequestStatus,
        note: Option<&str>,
    ) -> anyhow::Result<()> {
        self.services
            .change_status(&who.principal, None, self.tenant, request, to, note)
            .await?;
        Ok(())
    }

    async fn assign(&self, who: &Person, request: i64, contact: &Contact) -> anyhow::Result<()> {
        let editor = self.editor(who, request).await?;
        self.services
            .assign_request(
                &editor,
                self.tenant,
                request,
                AssignTarget::Contact(contact.id),
            )
            .await?;
        Ok(())
    }

    /// A contact's answer, as through the link of their notification, possibly moving the
    /// request on.
    async fn answer(
        &self,
        contact: &Contact,
        request: i64,
        message: &str,
        status: Option<RequestStatus>,
    ) -> anyhow::Result<()> {
        self.services
            .answer_request(
                &Editor::Contact(contact.clone()),
                self.tenant,
                request,
                message,
                status,
            )
            .await?;
        Ok(())
    }

    async fn comment(&self, who: &Person, request: i64, body: &str) -> anyhow::Result<()> {
        self.services
            .add_comment(Actor::Principal(&who.principal), self.tenant, request, body)
            .await?;
        Ok(())
    }

    async fn support(&self, who: &Person, request: i64) -> anyhow::Result<()> {
        self.services
            .support_request(Actor::Principal(&who.principal), self.tenant, request)
            .await?;
        Ok(())
    }
}

/// The demo account with this address, created if missing (verified, random password).
async fn user(services: &Services, store: &Store, email: &str, name: &str) -> anyhow::Result<User> {
    if let Some(u) = store.user_by_email(&Email::parse(email)?).await? {
        return Ok(u);
    }
    Ok(services
        .create_user_as_operator(email, &unguessable_password(), Some(name))
        .await?)
}

/// Grants a demo role; a role already held (an earlier, interrupted seeding) is fine.
async fn grant(
    services: &Services,
    tenant: &Tenant,
    user: &User,
    role: RoleIn,
) -> anyhow::Result<()> {
    match services
        .change_role(
            Actor::Operator,
            Some(tenant),
            &role,
            true,
            &RoleTarget::Id(user.id),
        )
        .await
    {
        Ok(_) | Err(ServiceError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A password nobody knows: 256 bits from the standard library's randomly keyed hashers
/// (seeded by the operating system), never shown. The demo accounts are reached through a
/// password reset, whose link lands in the outbox.
fn unguessable_password() -> String {
    let state = std::collections::hash_map::RandomState::new();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (0..4u8)
        .map(|i| {
            let mut h = state.build_hasher();
            h.write_u8(i);
            h.write_u128(nanos);
            format!("{:016x}", h.finish())
        })
        .collect()
}
