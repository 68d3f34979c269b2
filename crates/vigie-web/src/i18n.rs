//! French first, English second: the language of a page and its words.

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Français (default).
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The language from `?lang=`, else the `vigie_lang` cookie, else `Accept-Language`,
    /// else French.
    pub fn detect(req: &poem::Request) -> Lang {
        let from_query = req.uri().query().and_then(|q| {
            q.split('&')
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| *k == "lang")
                .map(|(_, v)| v.to_owned())
        });
        let choice = from_query.or_else(|| vigie_api::session::cookie_value(req, "vigie_lang"));
        match choice.as_deref() {
            Some("en") => return Lang::En,
            Some("fr") => return Lang::Fr,
            _ => {}
        }
        let accept = req
            .headers()
            .get(poem::http::header::ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        // The first listed language wins; French unless English comes first.
        match (accept.find("en"), accept.find("fr")) {
            (Some(en), Some(fr)) if en < fr => Lang::En,
            (Some(_), None) => Lang::En,
            _ => Lang::Fr,
        }
    }

    /// ISO code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The word for `key` in this language (the key itself if missing, so a gap shows).
    pub fn t(self, key: &str) -> &'static str {
        WORDS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, fr, en)| match self {
                Lang::Fr => *fr,
                Lang::En => *en,
            })
            .unwrap_or("??")
    }
}

/// (key, français, English)
pub const WORDS: &[(&str, &str, &str)] = &[
    (
        "tagline",
        "Des faits publics sur les services publics, tenus par les citoyens.",
        "Public facts about public services, kept by citizens.",
    ),
    ("collectives", "Collectifs", "Collectives"),
    (
        "no_collectives",
        "Aucun collectif pour l'instant.",
        "No collective yet.",
    ),
    ("demo", "démo", "demo"),
    ("sign_in", "Se connecter", "Sign in"),
    ("sign_out", "Se déconnecter", "Sign out"),
    ("register", "Créer un compte", "Create an account"),
    ("my_account", "Mon compte", "My account"),
    ("email", "Adresse e-mail", "E-mail address"),
    ("password", "Mot de passe", "Password"),
    (
        "password_hint",
        "Au moins 10 caractères.",
        "At least 10 characters.",
    ),
    (
        "display_name",
        "Nom affiché (public)",
        "Display name (public)",
    ),
    (
        "display_name_hint",
        "Visible de tous. Votre e-mail ne l'est jamais.",
        "Shown to everyone. Your e-mail never is.",
    ),
    ("forgot", "Mot de passe oublié ?", "Forgot your password?"),
    ("reset_title", "Nouveau mot de passe", "New password"),
    ("send_link", "Recevoir un lien", "Send me a link"),
    ("save", "Enregistrer", "Save"),
    (
        "registered",
        "Compte créé. Un lien de confirmation vient d'être envoyé à votre adresse : ouvrez-le pour activer le compte.",
        "Account created. A confirmation link was sent to your address: open it to activate the account.",
    ),
    (
        "verified",
        "Adresse confirmée. Vous pouvez vous connecter.",
        "Address confirmed. You can sign in.",
    ),
    (
        "link_sent",
        "Si cette adresse a un compte, un lien vient d'y être envoyé.",
        "If this address has an account, a link was just sent to it.",
    ),
    (
        "password_changed",
        "Mot de passe changé. Connectez-vous avec le nouveau.",
        "Password changed. Sign in with the new one.",
    ),
    ("saved", "Enregistré.", "Saved."),
    (
        "object_types",
        "Types d'objets suivis",
        "Object types followed",
    ),
    ("official_domains", "Domaines officiels", "Official domains"),
    (
        "official_domains_hint",
        "Les comptes vérifiés de ces domaines sont « Officiels » de ce collectif.",
        "Verified accounts in these domains are Officials of this collective.",
    ),
    ("roles", "Rôles", "Roles"),
    (
        "roles_record",
        "Registre public des rôles",
        "Public record of roles",
    ),
    (
        "no_roles",
        "Aucun rôle attribué pour l'instant.",
        "No role granted yet.",
    ),
    ("granted", "attribué", "granted"),
    ("revoked", "retiré", "revoked"),
    ("by", "par", "by"),
    (
        "operator",
        "l'opérateur de la plateforme",
        "the platform operator",
    ),
    ("your_roles", "Vos rôles ici", "Your roles here"),
    ("role_guru", "Grand Guru", "Guru"),
    ("role_garant", "Garant", "Garant"),
    ("role_certified", "Citoyen certifié", "Certified citizen"),
    ("role_citizen", "Citoyen", "Citizen"),
    ("role_anonymous", "Anonyme", "Anonymous"),
    ("role_official", "Officiel", "Official"),
    ("api", "API ouverte", "Open API"),
    ("not_found", "Page introuvable.", "Page not found."),
    ("home", "Accueil", "Home"),
    (
        "verify_failed",
        "Ce lien est invalide ou a expiré.",
        "This link is invalid or has expired.",
    ),
    (
        "resend",
        "Renvoyer le lien de confirmation",
        "Send the confirmation link again",
    ),
    ("when", "Quand", "When"),
    ("who", "Qui", "Who"),
    ("role", "Rôle", "Role"),
    ("scope", "Portée", "Scope"),
    ("object", "objet", "object"),
    ("map", "Carte", "Map"),
    (
        "map_hint",
        "Chaque point est un lieu suivi, à sa position ; cliquez pour ouvrir sa fiche.",
        "Each dot is a facility, at its position; click to open its sheet.",
    ),
    ("objects", "Lieux suivis", "Facilities"),
    ("name", "Nom", "Name"),
    ("identifier", "Identifiant", "Identifier"),
    ("city", "Commune", "City"),
    ("possibly_closed", "peut-être fermé", "possibly closed"),
    ("closed", "fermé", "closed"),
    (
        "certified_here",
        "Citoyens certifiés pour ce lieu",
        "Citizens certified for this facility",
    ),
    ("facts", "Données par millésime", "Data by vintage"),
    ("official_field", "officiel", "official"),
    (
        "provenance_legend",
        "◆ donnée officielle importée · ● validée par un garant · ○ contribution citoyenne validée",
        "◆ imported official data · ● from a Garant · ○ accepted citizen contribution",
    ),
    ("no_facts", "Aucune donnée pour l'instant.", "No data yet."),
    ("contribute", "Proposer une donnée", "Propose a value"),
    ("vintage", "Millésime", "Vintage"),
    ("field", "Champ", "Field"),
    ("value", "Valeur", "Value"),
    (
        "source",
        "Source (lien, document)",
        "Source (link, document)",
    ),
    (
        "contact_email",
        "Votre e-mail (facultatif, privé)",
        "Your e-mail (optional, private)",
    ),
    (
        "contact_hint",
        "Seul le garant le voit, pour vérifier avec vous. Jamais publié.",
        "Only the Garant sees it, to check with you. Never published.",
    ),
    ("propose", "Proposer", "Propose"),
    (
        "proposed",
        "Merci ! Votre proposition attend la validation d'un garant ou d'un citoyen certifié ; elle est visible dans l'historique.",
        "Thank you! Your proposal awaits a Garant or a Certified citizen; it is listed in the history.",
    ),
    ("history", "Historique complet", "Full history"),
    ("state", "État", "State"),
    ("state_pending", "en attente", "pending"),
    ("state_accepted", "validée", "accepted"),
    ("state_refused", "refusée", "refused"),
    ("yes", "oui", "yes"),
    ("life", "Vie du lieu", "Life of the facility"),
    (
        "no_events",
        "Aucun événement enregistré.",
        "No event recorded.",
    ),
    ("documents", "Documents", "Documents"),
    (
        "no_documents",
        "Aucun document pour l'instant.",
        "No document yet.",
    ),
    (
        "event_exceptional_closure",
        "Fermeture exceptionnelle",
        "Exceptional closure",
    ),
    ("event_works", "Travaux", "Works"),
    ("event_strike", "Grève", "Strike"),
    ("event_reopening", "Réouverture", "Reopening"),
    ("event_incident", "Incident", "Incident"),
    ("event_inspection", "Visite, inspection", "Inspection"),
    ("event_other", "Autre", "Other"),
    (
        "doc_school_council_minutes",
        "PV de conseil d'école",
        "School council minutes",
    ),
    (
        "doc_asbestos_survey",
        "Diagnostic amiante (DTA)",
        "Asbestos survey",
    ),
    (
        "doc_fire_safety_report",
        "Rapport de la commission de sécurité",
        "Fire-safety report",
    ),
    (
        "doc_council_deliberation",
        "Délibération",
        "Council deliberation",
    ),
    (
        "doc_cada_document",
        "Document obtenu par la CADA",
        "Document obtained through CADA",
    ),
    ("doc_photo", "Photo", "Photo"),
    ("doc_letter", "Courrier", "Letter"),
    ("doc_other", "Autre document", "Other document"),
    ("no", "non", "no"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_both_languages() {
        for (k, fr, en) in WORDS {
            assert!(!fr.is_empty() && !en.is_empty(), "{k}");
        }
        let mut keys: Vec<_> = WORDS.iter().map(|w| w.0).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len(), "duplicate keys");
    }
}
