//! French first, English second: the language of a page and its words.

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Français (default).
    Fr,
    /// English.
    En,
}

/// A page's own words (`(key, French, English)`), in `lang`, for its template as `w`.
pub(crate) fn page_words(table: &[(&str, &str, &str)], lang: Lang) -> minijinja::Value {
    let map: std::collections::BTreeMap<&str, &str> = table
        .iter()
        .map(|(k, fr, en)| (*k, if lang == Lang::Fr { *fr } else { *en }))
        .collect();
    minijinja::Value::from_serialize(&map)
}

/// One of a page's own words in `lang` ("" when the table has no such key).
pub(crate) fn page_word<'a>(table: &[(&str, &'a str, &'a str)], lang: Lang, key: &str) -> &'a str {
    table
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or("", |(_, fr, en)| if lang == Lang::Fr { fr } else { en })
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
        let choice = from_query.or_else(|| vigie_http::session::cookie_value(req, "vigie_lang"));
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

    /// A number as this language writes it, with `decimals` decimals (`None`: as many as it
    /// has): « 1 234,5 » in French (a narrow no-break space between thousands), "1,234.5" in
    /// English.
    pub fn number(self, x: f64, decimals: Option<usize>) -> String {
        let plain = match decimals {
            Some(d) => format!("{x:.d$}"),
            None => format!("{x}"),
        };
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain.as_str()),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let (group, point) = match self {
            Lang::Fr => ("\u{202f}", ","),
            Lang::En => (",", "."),
        };
        let mut out = String::from(sign);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push_str(group);
            }
            out.push(c);
        }
        if let Some(f) = fraction {
            out.push_str(point);
            out.push_str(f);
        }
        out
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
    // The joint-analysis page (analysis.rs, analysis.html).
    (
        "badges_link",
        "Les badges du collectif : qui agit, et le prochain objectif",
        "The collective's badges: who acts, and the next goal",
    ),
    (
        "analysis_link",
        "Analyser les chiffres par secteur (graphiques, tableaux, CSV)",
        "Analyse the numbers by sector (charts, tables, CSV)",
    ),
    (
        "analysis_title",
        "Analyse des chiffres",
        "Analysis of the numbers",
    ),
    (
        "analysis_intro",
        "Choisissez une information ou le rapport de deux informations, une année et un regroupement : le graphique, le tableau et le fichier CSV montrent les mêmes chiffres, et l'adresse de cette page garde la vue pour la partager.",
        "Pick a field or the ratio of two fields, a vintage and a grouping: the chart, the table and the CSV file show the same numbers, and this page's address keeps the view, to share it.",
    ),
    ("analysis_field", "Information", "Field"),
    (
        "analysis_over",
        "Divisée par (rapport)",
        "Divided by (ratio)",
    ),
    ("analysis_no_ratio", "— pas de rapport —", "— no ratio —"),
    ("analysis_vintage", "Millésime", "Vintage"),
    (
        "analysis_vintage_newest",
        "Le plus récent renseigné",
        "The newest with values",
    ),
    (
        "analysis_vintage_all",
        "Tous les millésimes",
        "Every vintage",
    ),
    ("analysis_group", "Regroupement", "Grouping"),
    ("analysis_group_all", "Tous les lieux", "All places"),
    (
        "analysis_group_arrondissement",
        "Par arrondissement (code INSEE)",
        "By arrondissement (INSEE code)",
    ),
    (
        "analysis_stat",
        "Statistique du graphique",
        "Statistic charted",
    ),
    ("analysis_show", "Afficher", "Show"),
    (
        "analysis_accepted_only",
        "Seules les valeurs acceptées comptent. Un lieu sans valeur est compté à part, jamais comme zéro.",
        "Only accepted values count. A place without a value is counted apart, never as zero.",
    ),
    (
        "analysis_ratio_definition",
        "Le rapport d'un groupe est la somme des numérateurs divisée par la somme des dénominateurs, sur les lieux qui ont les deux ; moyenne, médiane, minimum et maximum sont ceux du rapport de chaque lieu.",
        "A group's ratio is the sum of the numerators divided by the sum of the denominators, over the places that have both; mean, median, minimum and maximum are those of each place's own ratio.",
    ),
    ("analysis_csv", "Télécharger en CSV", "Download as CSV"),
    (
        "analysis_csv_semicolon",
        "CSV pour tableur français (;)",
        "CSV for French spreadsheets (;)",
    ),
    (
        "analysis_permalink",
        "Lien permanent vers cette vue",
        "Permanent link to this view",
    ),
    ("analysis_bar_title", "Par groupe", "By group"),
    (
        "analysis_line_title",
        "Au fil des millésimes",
        "Over the vintages",
    ),
    (
        "analysis_chart_alt",
        "Graphique ; les mêmes chiffres sont dans le tableau sous les graphiques.",
        "Chart; the same numbers are in the table under the charts.",
    ),
    (
        "analysis_table_note",
        "Le tableau ci-dessous donne les chiffres des graphiques.",
        "The table below gives the charts' numbers.",
    ),
    (
        "analysis_with_value",
        "lieux ont une valeur",
        "places have a value",
    ),
    ("analysis_objects", "Lieux", "Places"),
    (
        "analysis_objects_with_value",
        "Lieux avec une valeur",
        "Places with a value",
    ),
    ("analysis_no_group", "(sans valeur)", "(no value)"),
    ("analysis_fields", "Champs", "Fields"),
    (
        "analysis_indicators",
        "Indicateurs calculés",
        "Derived indicators",
    ),
    ("analysis_total", "Ensemble", "All together"),
    (
        "analysis_sum_field",
        "Somme (numérateur)",
        "Sum (numerator)",
    ),
    (
        "analysis_sum_over",
        "Somme (dénominateur)",
        "Sum (denominator)",
    ),
    (
        "analysis_stat_auto",
        "Automatique : le rapport, sinon la moyenne",
        "Automatic: the ratio, else the mean",
    ),
    ("analysis_stat_ratio", "Rapport", "Ratio"),
    ("analysis_stat_mean", "Moyenne", "Mean"),
    ("analysis_stat_median", "Médiane", "Median"),
    ("analysis_stat_sum", "Somme", "Sum"),
    ("analysis_stat_min", "Minimum", "Minimum"),
    ("analysis_stat_max", "Maximum", "Maximum"),
    (
        "analysis_stat_count",
        "Nombre de valeurs",
        "Number of values",
    ),
    ("sign_in", "Se connecter", "Sign in"),
    ("sign_out", "Se déconnecter", "Sign out"),
    ("register", "Créer un compte", "Create an account"),
    ("my_account", "Mon compte", "My account"),
    ("my_notifications", "Mes notifications", "My notifications"),
    ("admin_mail", "Courriels sortants", "Outgoing e-mail"),
    ("admin_mail_counts", "En attente :", "Waiting:"),
    ("admin_mail_sent", "envoyés :", "sent:"),
    ("admin_mail_failed", "en échec :", "failed:"),
    ("admin_mail_to", "Destinataire", "Recipient"),
    ("admin_mail_attempts", "Essais", "Attempts"),
    ("admin_mail_error", "Dernière erreur", "Last error"),
    ("admin_mail_retry", "Renvoyer", "Send again"),
    (
        "admin_mail_none_failed",
        "Aucun courriel en échec.",
        "No failed e-mail.",
    ),
    (
        "done_mail_retried",
        "Le courriel repart : le serveur l'envoie.",
        "The e-mail is queued again: the server sends it.",
    ),
    (
        "notifications_hint",
        "Choisissez comment vous apprenez ce qui arrive aux demandes et aux lieux que vous suivez. Vous suivez d'office les demandes que vous déposez, soutenez ou qui vous sont confiées.",
        "Choose how you hear of what happens to the requests and places you follow. You follow the requests you file, support or are assigned.",
    ),
    (
        "mail_language",
        "Langue des messages",
        "Language of messages",
    ),
    ("what_i_follow", "Ce que je suis", "What I follow"),
    (
        "follows_none",
        "Vous ne suivez rien pour l'instant.",
        "You follow nothing yet.",
    ),
    ("unfollow", "Ne plus suivre", "Unfollow"),
    ("follow", "Suivre", "Follow"),
    ("following", "Vous suivez", "You follow"),
    (
        "follow_request_hint",
        "Recevez un message quand elle avance.",
        "Get a message when it moves on.",
    ),
    (
        "follow_place_hint",
        "Apprenez les nouvelles demandes sur ce lieu.",
        "Hear of new requests about this place.",
    ),
    ("request", "Demande", "Request"),
    ("place", "Lieu", "Place"),
    ("stop_title", "Arrêter des messages", "Stop messages"),
    (
        "stop_confirm",
        "Ce bouton arrête, pour votre compte :",
        "This button stops, for your account:",
    ),
    (
        "stop_button",
        "Ne plus recevoir ces messages",
        "Stop these messages",
    ),
    (
        "stop_done",
        "C'est fait. Vous ne recevrez plus :",
        "Done. You will no longer get:",
    ),
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
        "C'est noté. Un e-mail vient d'être envoyé à cette adresse : ouvrez le lien de confirmation qu'il contient pour activer le compte.",
        "Done. An e-mail was just sent to this address: open the confirmation link it holds to activate the account.",
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
    ("my_data", "Mes données", "My data"),
    (
        "my_data_hint",
        "Téléchargez tout ce que Vigie garde sur votre compte (fichier JSON).",
        "Download everything Vigie keeps about your account (JSON file).",
    ),
    (
        "download_data",
        "Télécharger mes données",
        "Download my data",
    ),
    (
        "delete_account",
        "Supprimer mon compte",
        "Delete my account",
    ),
    (
        "delete_account_hint",
        "Votre e-mail, votre mot de passe, vos sessions et les coordonnées privées laissées avec vos contributions sont effacés. Ce que vous avez publié (contributions, demandes, commentaires) reste, sous un nom neutre. C'est définitif.",
        "Your e-mail, password, sessions and the private contact details left with your contributions are erased. What you published (contributions, requests, comments) stays, under a neutral name. This cannot be undone.",
    ),
    (
        "delete_confirm",
        "Votre mot de passe, pour confirmer",
        "Your password, to confirm",
    ),
    (
        "account_deleted",
        "Votre compte est supprimé. Merci d'avoir participé.",
        "Your account is deleted. Thank you for taking part.",
    ),
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
        "Les lieux proches sont regroupés (le nombre en donne le compte) : zoomez pour les séparer, cliquez sur un lieu pour ouvrir sa fiche. La liste ci-dessous montre les mêmes lieux.",
        "Places close together are grouped (the number counts them): zoom in to separate them, click a place to open its sheet. The list below shows the same places.",
    ),
    ("search_places", "Chercher un lieu", "Find a place"),
    (
        "search_places_hint",
        "nom, identifiant ou adresse",
        "name, identifier or address",
    ),
    ("map_layer", "Couche de la carte", "Map layer"),
    ("filters", "Filtres", "Filters"),
    ("any_value", "— tous —", "— any —"),
    ("number_filter", "Valeur chiffrée", "Numeric value"),
    ("number_value", "Valeur", "Value"),
    ("at_least", "au moins", "at least"),
    ("at_most", "au plus", "at most"),
    (
        "with_open_requests",
        "avec une demande en cours",
        "with an open request",
    ),
    (
        "without_open_requests",
        "sans demande en cours",
        "without an open request",
    ),
    (
        "request_status",
        "Statut d'une demande",
        "Status of a request",
    ),
    ("apply_filters", "Appliquer", "Apply"),
    ("reset_filters", "Tout effacer", "Clear all"),
    ("zoom_in", "Zoomer", "Zoom in"),
    ("zoom_out", "Dézoomer", "Zoom out"),
    ("places_word", "lieux", "places"),
    (
        "map_unavailable",
        "La carte n'a pas pu être chargée : la liste ci-dessous montre les lieux.",
        "The map could not load: the list below shows the places.",
    ),
    ("legend", "Légende", "Legend"),
    ("of_total", "sur", "of"),
    ("open_requests", "Demandes en cours", "Open requests"),
    (
        "no_place_matches",
        "Aucun lieu ne correspond à ces filtres.",
        "No place matches these filters.",
    ),
    ("objects", "Lieux suivis", "Facilities"),
    ("near_me", "Lieux près de moi", "Places near me"),
    (
        "page_of",
        "Page {page} sur {pages}",
        "Page {page} of {pages}",
    ),
    ("previous_page", "← Lieux précédents", "← Previous places"),
    ("next_page", "Lieux suivants →", "Next places →"),
    (
        "near_me_all",
        "La recherche porte sur tous les lieux du collectif, depuis votre appareil.",
        "The search covers every place of the collective, on your device.",
    ),
    (
        "near_me_hint",
        "Votre position reste sur votre appareil : elle sert à trier la liste, elle n'est envoyée nulle part.",
        "Your position stays on your device: it sorts the list and is sent nowhere.",
    ),
    (
        "locating",
        "Recherche de votre position…",
        "Finding where you are…",
    ),
    (
        "location_unavailable",
        "Position indisponible : autorisez la localisation, ou cherchez le lieu dans la liste.",
        "Location unavailable: allow location, or look for the place in the list.",
    ),
    ("nearest", "Le plus proche de vous :", "Nearest to you:"),
    (
        "file_here",
        "Déposer une demande ici",
        "File a request here",
    ),
    ("distance", "Distance", "Distance"),
    // The quick report (`/t/:slug/report`) and the phone's offline queue.
    ("quick_title", "Signaler", "Report"),
    (
        "quick_lead",
        "Une photo, le lieu, un titre : c'est envoyé. Sans réseau, le signalement attend sur ce téléphone et part tout seul au retour du réseau.",
        "A photo, the place, a title: it is sent. Without network, the report waits on this phone and goes by itself when the network returns.",
    ),
    ("quick_link", "Signaler en 3 gestes", "Report in 3 taps"),
    (
        "quick_photo",
        "📷 Prendre ou choisir une photo",
        "📷 Take or choose a photo",
    ),
    (
        "quick_photo_hint",
        "Facultatif. Les données de localisation de la photo sont retirées.",
        "Optional. The photo's location data is removed.",
    ),
    ("quick_thumb", "La photo choisie", "The chosen photo"),
    ("quick_where", "Où ?", "Where?"),
    (
        "quick_where_hint",
        "Les lieux les plus proches s'affichent ici (votre position reste sur ce téléphone).",
        "The nearest places show here (your position stays on this phone).",
    ),
    (
        "quick_pick_in_list",
        "Choisir le lieu dans la liste",
        "Pick the place in the list",
    ),
    (
        "quick_no_position",
        "Position indisponible : choisissez le lieu dans la liste.",
        "Location unavailable: pick the place in the list.",
    ),
    (
        "quick_no_place",
        "Choisissez le lieu du signalement (les plus proches sont proposés, ou choisissez-le dans la liste).",
        "Choose the place of the report (the nearest are proposed, or pick it in the list).",
    ),
    ("quick_what", "Quoi ?", "What?"),
    ("quick_short_title", "En quelques mots", "In a few words"),
    ("quick_more", "Ajouter des détails", "Add details"),
    ("quick_send", "Envoyer", "Send"),
    (
        "offline_saved",
        "Pas de réseau : c'est enregistré sur ce téléphone et partira tout seul au retour du réseau.",
        "No network: it is kept on this phone and will go by itself when the network returns.",
    ),
    (
        "outbox_waiting",
        "En attente sur ce téléphone, envoi au retour du réseau :",
        "Waiting on this phone, sent when the network returns:",
    ),
    ("outbox_sent", "Envoyé :", "Sent:"),
    (
        "outbox_failed",
        "Refusé par le serveur, à refaire :",
        "Refused by the server, to do again:",
    ),
    ("outbox_drop", "Retirer", "Remove"),
    (
        "manifest_description",
        "Les faits et les demandes des services publics, rendus publics par les citoyens.",
        "Facts and requests about public services, made public by citizens.",
    ),
    (
        "offline_page_text",
        "Pas de réseau, et cette page n'a pas encore été ouverte sur ce téléphone. Les pages déjà vues s'ouvrent sans réseau.",
        "No network, and this page was not opened on this phone yet. Pages already seen open without network.",
    ),
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
    (
        "entered",
        "Valeurs enregistrées : saisies par un garant, elles sont officielles et publiées.",
        "Values saved: entered by a Garant, they are official and published.",
    ),
    ("history", "Historique complet", "Full history"),
    ("state", "État", "State"),
    ("state_pending", "en attente", "pending"),
    ("state_accepted", "validée", "accepted"),
    ("state_refused", "refusée", "refused"),
    (
        "doc_awaiting",
        "Un document attend la modération depuis le",
        "A document awaits moderation since",
    ),
    (
        "doc_pending",
        "en attente de modération",
        "awaiting moderation",
    ),
    ("doc_refused", "refusé", "refused"),
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
    ("rs_new", "en attente de modération", "awaiting moderation"),
    ("rs_published", "publiée", "published"),
    ("rs_refused", "refusée", "refused"),
    ("rs_set_apart", "mise à l'écart", "set apart"),
    ("rs_acknowledged", "prise en compte", "acknowledged"),
    ("rs_planned", "programmée", "planned"),
    ("rs_in_progress", "en cours", "in progress"),
    ("rs_solved", "résolue", "solved"),
    ("rs_not_solved", "non résolue", "not solved"),
    ("rs_closed", "close", "closed"),
    ("urgency_low", "faible", "low"),
    ("urgency_normal", "normale", "normal"),
    ("urgency_high", "élevée", "high"),
    (
        "urgency_maximal",
        "maximale (danger immédiat)",
        "maximal (immediate danger)",
    ),
    ("ja_filed", "Demande déposée", "Request filed"),
    (
        "ja_published",
        "Publiée par la modération",
        "Published by moderation",
    ),
    (
        "ja_refused",
        "Refusée par la modération",
        "Refused by moderation",
    ),
    (
        "ja_set_apart",
        "Mise à l'écart par la modération",
        "Set apart by moderation",
    ),
    ("ja_reexpressed", "Reformulée", "Re-expressed"),
    ("ja_status_changed", "Statut changé", "Status changed"),
    (
        "ja_reopened",
        "Signalée non résolue : rouverte",
        "Reported not solved: reopened",
    ),
    ("ja_assigned", "Confiée", "Assigned"),
    ("ja_unassigned", "N'est plus confiée", "No longer assigned"),
    (
        "ja_notification_sent",
        "Notification envoyée",
        "Notification sent",
    ),
    (
        "ja_notification_delivered",
        "Notification remise au serveur de messagerie",
        "Notification delivered to the mail server",
    ),
    ("ja_answered", "Réponse", "Answer"),
    ("ja_comment_added", "Commentaire ajouté", "Comment added"),
    (
        "ja_attachment_added",
        "Pièce jointe ajoutée",
        "Attachment added",
    ),
    (
        "ja_supported",
        "Soutien (« moi aussi »)",
        "Support (\"me too\")",
    ),
    (
        "ja_merged",
        "Fusionnée dans une autre demande",
        "Merged into another request",
    ),
    (
        "ja_merged_from",
        "A reçu une demande fusionnée",
        "Received a merged request",
    ),
    (
        "ja_reminder_due",
        "Rappel envoyé au demandeur",
        "Reminder sent to the requester",
    ),
    ("requests", "Demandes", "Requests"),
    (
        "requests_hint",
        "Demandes d'intervention ou d'amélioration déposées sur ce lieu. Toutes restent listées, les refusées avec leur motif.",
        "Requests for intervention or improvement filed on this facility. All stay listed, refused ones with their reason.",
    ),
    (
        "no_requests",
        "Aucune demande pour l'instant.",
        "No request yet.",
    ),
    ("request_n", "Demande n°", "Request no."),
    ("reexpressed", "reformulée", "re-expressed"),
    ("supporters", "Soutiens", "Supporters"),
    ("supporters_short", "soutien(s)", "supporter(s)"),
    ("urgency", "Urgence", "Urgency"),
    ("reason", "Motif", "Reason"),
    (
        "merged_into",
        "Fusionnée dans la demande n°",
        "Merged into request no.",
    ),
    (
        "set_apart_list",
        "Demandes mises à l'écart",
        "Requests set apart",
    ),
    (
        "set_apart_warning",
        "Ces demandes ont été mises à l'écart par la modération (contenu jugé illicite ou abusif). Leur contenu n'est pas affiché ici ; vous pouvez l'afficher quand même.",
        "These requests were set apart by moderation (content judged unlawful or abusive). Their content is not shown here; you may show it anyway.",
    ),
    ("reveal", "Afficher quand même", "Show anyway"),
    ("file_request", "Déposer une demande", "File a request"),
    (
        "file_hint",
        "Tout le monde peut déposer une demande, même sans compte. Elle est publiée après modération ; les refus sont motivés publiquement.",
        "Anyone can file a request, even without an account. It is published after moderation; refusals are given a public reason.",
    ),
    ("kind", "Type de demande", "Kind of request"),
    ("which_kind", "Quel type choisir ?", "Which kind to choose?"),
    ("urgency_locked", "non modifiable", "cannot be changed"),
    ("r_title", "Titre", "Title"),
    ("r_description", "Description", "Description"),
    ("categories", "Catégories", "Categories"),
    ("only_for", "Pour :", "For:"),
    ("urgency_field", "Urgence", "Urgency"),
    (
        "urgency_default",
        "celle du type de demande",
        "the kind's default",
    ),
    (
        "kind_fields",
        "Informations propres au type :",
        "Details for the kind:",
    ),
    (
        "required_for_kind",
        "obligatoire pour ce type",
        "required for this kind",
    ),
    (
        "reminder_on",
        "Me demander si c'est résolu le (facultatif)",
        "Ask me whether it is solved on (optional)",
    ),
    (
        "reminder_hint",
        "Nous vous écrirons ce jour-là (il faut un compte ou une adresse e-mail).",
        "We will write to you that day (an account or an e-mail address is needed).",
    ),
    (
        "request_email",
        "E-mail pour suivre la demande (facultatif, privé)",
        "E-mail to follow the request (optional, private)",
    ),
    (
        "request_email_hint",
        "Pour recevoir votre lien personnel et les nouvelles de la demande. Jamais publié.",
        "To receive your personal link and news of the request. Never published.",
    ),
    ("photo", "Photo (facultatif)", "Photo (optional)"),
    (
        "photo_hint",
        "JPEG, PNG ou WebP. Les métadonnées (EXIF, position GPS) sont retirées avant l'enregistrement.",
        "JPEG, PNG or WebP. Metadata (EXIF, GPS position) are removed before storage.",
    ),
    (
        "photo_again",
        "Votre photo n'a pas été gardée : joignez-la à nouveau.",
        "Your photo was not kept: attach it again.",
    ),
    ("file", "Déposer la demande", "File the request"),
    ("file_anyway", "Déposer quand même", "File anyway"),
    (
        "similar",
        "Demandes semblables déjà ouvertes",
        "Similar open requests",
    ),
    (
        "similar_hint",
        "Si l'une d'elles est la même que la vôtre, soutenez-la avec « Moi aussi » : une demande soutenue par beaucoup pèse plus lourd que plusieurs demandes isolées.",
        "If one of them is the same as yours, support it with \"Me too\": a request many support weighs more than several isolated ones.",
    ),
    (
        "similar_found",
        "Des demandes semblables sont déjà ouvertes ici ou tout près : regardez-les avant de déposer la vôtre.",
        "Similar requests are already open here or nearby: look at them before filing yours.",
    ),
    ("me_too", "Moi aussi", "Me too"),
    (
        "me_too_hint",
        "Vous avez le même problème ? Dites-le : le nombre de soutiens est public.",
        "Same problem? Say so: the number of supporters is public.",
    ),
    ("same_place", "sur ce lieu", "at this facility"),
    ("at_distance", "à", "at"),
    ("similarity", "ressemblance", "similarity"),
    (
        "unreadable_form",
        "Le formulaire n'a pas pu être lu : rechargez la page et recommencez.",
        "The form could not be read: reload the page and try again.",
    ),
    (
        "filed_flash",
        "Votre demande est enregistrée ; elle sera publiée après modération. Gardez bien l'adresse de cette page (mettez-la en favori) : c'est votre lien personnel pour suivre et mettre à jour votre demande sans compte. Ne la partagez pas.",
        "Your request is recorded; it will be public once moderated. Keep this page's address (bookmark it): it is your personal link to follow and update your request without an account. Do not share it.",
    ),
    ("your_link", "Votre lien personnel", "Your personal link"),
    (
        "your_link_hint",
        "Copiez-le et gardez-le : sans compte, c'est la seule façon de modifier votre demande.",
        "Copy it and keep it: without an account, it is the only way to change your request.",
    ),
    (
        "link_invalid",
        "Ce lien personnel est invalide ou a expiré : la page s'affiche comme pour tout le monde.",
        "This personal link is invalid or has expired: the page shows as it does for everyone.",
    ),
    (
        "photo_refused",
        "La demande est enregistrée, mais la photo n'a pas pu être jointe (format ou taille) : joignez-la à nouveau ci-dessous.",
        "The request is recorded, but the photo could not be attached (format or size): attach it again below.",
    ),
    ("requester", "Demandeur", "Requester"),
    ("anonymous_person", "anonyme", "anonymous"),
    ("the_requester", "le demandeur", "the requester"),
    ("filed_on", "Déposée le", "Filed on"),
    ("d_reminder", "Rappel le", "Reminder on"),
    (
        "moderation_reason",
        "Motif de la modération",
        "Moderation reason",
    ),
    (
        "set_apart_request_warning",
        "Attention : cette demande a été mise à l'écart par la modération (contenu jugé illicite ou abusif). Son contenu, ses pièces jointes et le détail de son journal sont masqués.",
        "Warning: this request was set apart by moderation (content judged unlawful or abusive). Its content, attachments and journal details are hidden.",
    ),
    (
        "set_apart_revealed",
        "Contenu d'une demande mise à l'écart, affiché à votre demande.",
        "Content of a request set apart, shown at your request.",
    ),
    ("original_text", "Texte d'origine", "Original text"),
    (
        "original_text_hint",
        "La modération a reformulé cette demande ; voici les mots du demandeur, qui restent publics.",
        "Moderation re-expressed this request; here are the requester's own words, which stay public.",
    ),
    (
        "not_solved_hint",
        "Ce n'est pas réglé ? Dites-le : la demande sera rouverte.",
        "Not fixed? Say so: the request will be reopened.",
    ),
    (
        "not_solved_button",
        "Ce n'est pas résolu",
        "It is not solved",
    ),
    (
        "assignees",
        "Personnes chargées de la demande",
        "Handled by",
    ),
    ("no_assignees", "Personne pour l'instant.", "No one yet."),
    ("since", "depuis le", "since"),
    ("until", "jusqu'au", "until"),
    (
        "attachments",
        "Photos et pièces jointes",
        "Photos and attachments",
    ),
    ("no_attachments", "Aucune pièce jointe.", "No attachment."),
    ("act", "Agir sur cette demande", "Act on this request"),
    ("acting_as", "Vous agissez en tant que :", "You act as:"),
    (
        "as_moderator",
        "modérateur (citoyen certifié, garant)",
        "moderator (certified citizen, Garant)",
    ),
    ("as_requester", "demandeur", "requester"),
    ("as_assignee", "personne chargée de la demande", "assignee"),
    ("as_contact", "contact", "contact"),
    ("moderation", "Modération", "Moderation"),
    ("decision", "Décision", "Decision"),
    ("publish", "Publier", "Publish"),
    ("refuse", "Refuser", "Refuse"),
    (
        "set_apart",
        "Mettre à l'écart (illicite ou abusif)",
        "Set apart (unlawful or abusive)",
    ),
    (
        "reason_public",
        "Motif (public ; obligatoire pour refuser ou mettre à l'écart)",
        "Reason (public; required to refuse or set apart)",
    ),
    ("decide", "Enregistrer la décision", "Record the decision"),
    ("change_status", "Changer le statut", "Change the status"),
    ("new_status", "Nouveau statut", "New status"),
    ("note", "Note", "Note"),
    (
        "note_public",
        "Note (publique, facultative)",
        "Note (public, optional)",
    ),
    ("answer", "Répondre", "Answer"),
    (
        "answer_hint",
        "Votre réponse est publique et inscrite au journal.",
        "Your answer is public and written in the journal.",
    ),
    ("your_answer", "Votre réponse", "Your answer"),
    (
        "status_optional",
        "Nouveau statut (facultatif)",
        "New status (optional)",
    ),
    ("unchanged", "inchangé", "unchanged"),
    ("send_answer", "Envoyer la réponse", "Send the answer"),
    ("assign", "Confier la demande", "Assign the request"),
    (
        "assign_hint",
        "La personne choisie est prévenue par e-mail, avec un lien pour répondre.",
        "The person chosen is told by e-mail, with a link to answer.",
    ),
    ("contact", "Contact", "Contact"),
    ("contacts", "Contacts", "Contacts"),
    (
        "or_official",
        "ou un agent de la collectivité (adresse officielle vérifiée)",
        "or an official of the institution (verified official address)",
    ),
    (
        "or_user",
        "ou numéro de compte d'un utilisateur",
        "or a user's account number",
    ),
    ("assign_button", "Confier", "Assign"),
    ("notify", "Prévenir des contacts", "Notify contacts"),
    (
        "notify_hint",
        "Chaque contact reçoit un e-mail avec un lien personnel pour répondre et changer le statut sans compte.",
        "Each contact receives an e-mail with a personal link to answer and change the status without an account.",
    ),
    ("message", "Message", "Message"),
    ("send", "Envoyer", "Send"),
    (
        "merge",
        "Fusionner dans une autre demande",
        "Merge into another request",
    ),
    (
        "merge_hint",
        "Un doublon rejoint la demande qui reste : ses soutiens s'y ajoutent, l'historique est gardé.",
        "A duplicate joins the request that stays: its supporters are added to it, the history is kept.",
    ),
    (
        "likely_duplicates",
        "Doublons probables :",
        "Likely duplicates:",
    ),
    (
        "merge_into",
        "Numéro de la demande qui reste",
        "Number of the request that stays",
    ),
    ("merge_button", "Fusionner", "Merge"),
    ("reexpress", "Reformuler", "Re-express"),
    (
        "reexpress_hint",
        "Le texte d'origine du demandeur reste visible de tous.",
        "The requester's original text stays visible to everyone.",
    ),
    (
        "reexpress_button",
        "Enregistrer la reformulation",
        "Save the new wording",
    ),
    (
        "attach",
        "Joindre une photo ou un document",
        "Attach a photo or a document",
    ),
    (
        "attach_title",
        "Titre de la pièce",
        "Title of the attachment",
    ),
    ("attach_kind", "Nature", "Kind"),
    ("attach_file", "Fichier", "File"),
    (
        "attach_hint",
        "JPEG, PNG, WebP ou PDF. Les métadonnées des photos (EXIF, GPS) sont retirées.",
        "JPEG, PNG, WebP or PDF. Photo metadata (EXIF, GPS) are removed.",
    ),
    ("attach_button", "Joindre", "Attach"),
    ("attachment", "Pièce", "Attachment"),
    ("journal", "Journal de la demande", "Journal of the request"),
    (
        "journal_hint",
        "Chaque étape est inscrite dans le journal public du collectif. Chaque entrée est liée à la précédente par son empreinte SHA-256 : toute modification ou suppression se voit. Les adresses e-mail n'y figurent jamais.",
        "Every step is written in the collective's public journal. Each entry is linked to the previous one by its SHA-256 hash: any change or removal shows. E-mail addresses never appear in it.",
    ),
    ("entry", "Entrée n°", "Entry no."),
    ("hash", "empreinte", "hash"),
    ("d_to", "Pour", "To"),
    ("d_subject", "Objet", "Subject"),
    ("d_into", "Fusionnée dans", "Merged into"),
    ("d_from", "Reçue de", "Received from"),
    ("status", "Statut", "Status"),
    (
        "verify_journal",
        "Vérifier l'intégrité du journal",
        "Verify the journal's integrity",
    ),
    ("raw_journal", "journal brut (JSON)", "raw journal (JSON)"),
    (
        "requests_journal",
        "Journal des demandes",
        "Requests journal",
    ),
    (
        "requests_journal_hint",
        "Tout ce qui arrive aux demandes de ce collectif est inscrit dans un journal public chaîné par empreintes SHA-256 : chacun peut vérifier qu'aucune entrée n'a été modifiée ni supprimée.",
        "Everything that happens to this collective's requests is written in a public journal chained by SHA-256 hashes: anyone can check that no entry was changed or removed.",
    ),
    ("comments", "Commentaires", "Comments"),
    (
        "comments_sign_in",
        "Connectez-vous pour lire les commentaires.",
        "Sign in to read the comments.",
    ),
    (
        "no_comments",
        "Aucun commentaire pour l'instant.",
        "No comment yet.",
    ),
    ("comment", "Commentaire", "Comment"),
    ("your_comment", "Votre commentaire", "Your comment"),
    ("add_comment", "Commenter", "Comment"),
    (
        "busy",
        "Trop de fichiers sont envoyés en même temps : réessayez dans une minute.",
        "Too many files are being sent at once: try again in a minute.",
    ),
    (
        "too_large",
        "Ce que vous envoyez est trop volumineux : {size} au plus ici. Réduisez la photo ou choisissez un fichier plus petit, puis recommencez.",
        "What you are sending is too large: {size} at most here. Shrink the photo or choose a smaller file, then try again.",
    ),
    (
        "too_many",
        "Trop d'envois sans compte depuis cette adresse : réessayez dans quelques minutes, ou connectez-vous.",
        "Too many submissions without an account from this address: try again in a few minutes, or sign in.",
    ),
    (
        "done_moderated",
        "Décision enregistrée.",
        "Decision recorded.",
    ),
    (
        "done_reexpressed",
        "Reformulation enregistrée.",
        "New wording saved.",
    ),
    ("done_status", "Statut changé.", "Status changed."),
    (
        "done_reopened",
        "Merci : la demande est rouverte.",
        "Thank you: the request is reopened.",
    ),
    ("done_answered", "Réponse enregistrée.", "Answer recorded."),
    (
        "done_new_link",
        "Un nouveau lien personnel vous a été envoyé par e-mail.",
        "A new personal link was sent to you by e-mail.",
    ),
    (
        "done_no_address",
        "Aucune adresse confirmée ne permet d'envoyer un nouveau lien : demandez-le aux modérateurs du collectif, ou déposez la demande à nouveau.",
        "No confirmed address to send a new link to: ask the collective's moderators, or file the request again.",
    ),
    (
        "new_link_button",
        "M'envoyer un nouveau lien",
        "Send me a new link",
    ),
    (
        "done_assigned",
        "Demande confiée ; la personne est prévenue par e-mail.",
        "Request assigned; the person is told by e-mail.",
    ),
    (
        "done_unassigned",
        "Cette personne ne traite plus la demande (cela reste dans l'historique).",
        "This person no longer handles the request (it stays in the history).",
    ),
    ("unassign_button", "Ne plus confier", "Unassign"),
    (
        "answer_due",
        "Réponse due (délai légal) avant le",
        "Answer due (legal delay) by",
    ),
    ("overdue", "délai dépassé", "overdue"),
    ("print_form", "Imprimer la fiche", "Print the form"),
    (
        "print_hint",
        "pour la faire viser et la verser au registre papier",
        "to have it signed and filed in the paper register",
    ),
    (
        "print_visa",
        "Visa du chef de service ou de la direction",
        "Acknowledged by the head of the service",
    ),
    ("print_name", "Nom et fonction", "Name and position"),
    ("print_date", "Date", "Date"),
    ("print_signature", "Signature", "Signature"),
    (
        "print_source",
        "Fiche publiée et suivie sur Vigie :",
        "Form published and followed on Vigie:",
    ),
    (
        "done_notified",
        "Notification envoyée.",
        "Notification sent.",
    ),
    ("done_merged", "Demande fusionnée.", "Request merged."),
    (
        "done_supported",
        "Merci ! Votre soutien est compté.",
        "Thank you! Your support is counted.",
    ),
    ("done_commented", "Commentaire ajouté.", "Comment added."),
    (
        "done_attached",
        "Pièce jointe ajoutée.",
        "Attachment added.",
    ),
    // The moderation desk (`crate::desk`, templates/desk.html, the header's link).
    ("desk", "Bureau de modération", "Moderation desk"),
    ("desk_link", "À modérer", "To moderate"),
    ("desk_waiting", "en attente", "waiting"),
    (
        "desk_intro",
        "Ce qui attend votre décision dans ce collectif, le plus ancien d'abord. Chaque décision est publique, avec son motif.",
        "What waits for your decision in this collective, oldest first. Every decision is public, with its reason.",
    ),
    ("desk_scope", "Votre périmètre", "Your reach"),
    (
        "desk_everything",
        "tout le collectif",
        "the whole collective",
    ),
    (
        "desk_all_done",
        "Rien n'attend votre décision pour le moment. Merci !",
        "Nothing waits for your decision at the moment. Thank you!",
    ),
    (
        "desk_sections",
        "Sections du bureau",
        "Sections of the desk",
    ),
    ("desk_contributions", "Valeurs proposées", "Proposed values"),
    ("desk_events", "Événements proposés", "Proposed life events"),
    (
        "desk_documents",
        "Documents à vérifier",
        "Documents to check",
    ),
    (
        "desk_requests",
        "Demandes à modérer",
        "Requests to moderate",
    ),
    ("desk_nothing", "Rien n'attend ici.", "Nothing waits here."),
    ("desk_proposed_value", "Valeur proposée", "Proposed value"),
    ("desk_proposed_by", "Proposé par", "Proposed by"),
    ("desk_sent_by", "Envoyé par", "Sent by"),
    ("desk_filed_by", "déposée par", "filed by"),
    ("desk_source", "Source", "Source"),
    ("desk_open_file", "Ouvrir le fichier", "Open the file"),
    ("accept", "Accepter", "Accept"),
    (
        "desk_refusal_reason",
        "Motif du refus (public, obligatoire pour refuser)",
        "Reason for refusing (public, required to refuse)",
    ),
    (
        "desk_duplicates",
        "Doublons possibles",
        "Possible duplicates",
    ),
    (
        "desk_no_duplicates",
        "Aucune demande ouverte ne lui ressemble.",
        "No open request resembles it.",
    ),
    (
        "desk_merge_into_this",
        "Fusionner dans celle-ci",
        "Merge into this one",
    ),
    (
        "done_accepted",
        "Proposition acceptée.",
        "Proposal accepted.",
    ),
    (
        "done_refused",
        "Proposition refusée, avec son motif.",
        "Proposal refused, with its reason.",
    ),
    // The Gurus' and Garants' pages.
    (
        "admin_title",
        "Administration de la plateforme",
        "Platform administration",
    ),
    (
        "admin_intro",
        "Réservé aux gourous : ouvrir un collectif, nommer ou retirer un gourou, voir les greffons chargés. Chaque nomination est inscrite au registre public des rôles.",
        "For Gurus: open a collective, appoint or remove a Guru, see the loaded plugins. Every appointment is written in the public record of roles.",
    ),
    (
        "admin_link",
        "Administration de la plateforme",
        "Platform administration",
    ),
    (
        "admin_create_collective",
        "Ouvrir un collectif",
        "Open a collective",
    ),
    ("admin_slug", "Nom court (adresse)", "Short name (address)"),
    (
        "admin_slug_hint",
        "2 à 40 lettres minuscules, chiffres et tirets : la page du collectif sera /t/nom-court.",
        "2 to 40 lowercase letters, digits and hyphens: the collective's page will be /t/short-name.",
    ),
    (
        "admin_domains_hint",
        "Séparés par des virgules : les comptes confirmés à ces adresses sont reconnus comme officiels (par exemple les services de la ville).",
        "Separated by commas: confirmed accounts at these domains are recognised as officials (e.g. the city's services).",
    ),
    ("admin_map_centre", "Centre de la carte", "Map centre"),
    (
        "admin_map_centre_hint",
        "Laissez vide pour centrer sur Marseille.",
        "Leave empty to centre on Marseille.",
    ),
    ("latitude", "Latitude", "Latitude"),
    ("longitude", "Longitude", "Longitude"),
    ("zoom", "Zoom (0 à 19)", "Zoom (0 to 19)"),
    (
        "admin_create_button",
        "Ouvrir le collectif",
        "Open the collective",
    ),
    (
        "admin_settings",
        "Réglages du collectif",
        "Collective settings",
    ),
    ("admin_gurus", "Gourous", "Gurus"),
    (
        "admin_account_email",
        "Adresse e-mail du compte",
        "E-mail address of the account",
    ),
    (
        "admin_email_hint",
        "La personne doit déjà avoir un compte sur Vigie. Son adresse n'est jamais publiée.",
        "The person must already have an account on Vigie. Their address is never published.",
    ),
    ("admin_grant", "Nommer", "Appoint"),
    ("admin_revoke", "Retirer", "Remove"),
    ("admin_plugins", "Greffons chargés", "Loaded plugins"),
    ("admin_key", "Clé", "Key"),
    ("admin_version", "Version", "Version"),
    ("admin_interface", "Interface", "Interface"),
    (
        "admin_forbidden",
        "Cette page est réservée à ceux qui en ont le rôle (gourou, garant). Si vous pensez l'avoir, demandez à un gourou de vérifier le registre des rôles.",
        "This page is for those who hold the role (Guru, Garant). If you think you do, ask a Guru to check the record of roles.",
    ),
    (
        "admin_no_such_user",
        "Aucun compte n'utilise cette adresse : la personne doit d'abord créer son compte sur Vigie.",
        "No account uses this address: the person must first create their account on Vigie.",
    ),
    (
        "admin_no_such_place",
        "Aucun lieu ne porte ce numéro dans ce collectif : le numéro est dans l'adresse de la page du lieu (/o/NUMÉRO).",
        "No place has this number in this collective: the number is in the address of the place's page (/o/NUMBER).",
    ),
    (
        "admin_no_such_grant",
        "Cette personne n'a pas ce rôle ici : rien à retirer (voir la liste des rôles ci-dessus).",
        "This person does not hold this role here: nothing to remove (see the list of roles above).",
    ),
    ("admin_garant_role", "Garants", "Garants"),
    (
        "admin_garant_hint",
        "Un garant tient les données officielles d'un type de lieu : import, lieux, modération, certification des citoyens.",
        "A Garant keeps a type's official data: imports, places, moderation, certifying citizens.",
    ),
    (
        "admin_certified_role",
        "Citoyens certifiés",
        "Certified citizens",
    ),
    (
        "admin_certified_hint",
        "Un citoyen certifié relaie sur un lieu : il accepte ou refuse ce qui y est proposé.",
        "A Certified citizen is the local relay of one place: they accept or refuse what is proposed there.",
    ),
    ("place_number", "Numéro du lieu", "Place number"),
    (
        "place_number_hint",
        "Il figure dans l'adresse de la page du lieu : /o/NUMÉRO.",
        "It is in the address of the place's page: /o/NUMBER.",
    ),
    (
        "admin_tiles",
        "Fond de carte propre au collectif",
        "The collective's own map tiles",
    ),
    (
        "admin_tiles_hint",
        "Laissez les deux champs vides pour garder le fond de carte de l'instance.",
        "Leave both fields empty to keep the instance's map tiles.",
    ),
    (
        "admin_tile_url",
        "Adresse des tuiles ({z}/{x}/{y})",
        "Tile URL ({z}/{x}/{y})",
    ),
    (
        "admin_attribution",
        "Attribution (licence des tuiles)",
        "Attribution (the tiles' licence)",
    ),
    (
        "admin_publication",
        "Langue et licence des données",
        "Language and data licence",
    ),
    (
        "admin_language",
        "Langue des messages aux personnes sans compte",
        "Language of messages to people without an account",
    ),
    (
        "admin_language_hint",
        "Les contacts du collectif et les adresses saisies avec une demande reçoivent leurs e-mails dans cette langue ; un compte garde la sienne.",
        "The collective's contacts and the addresses typed with a request get their e-mails in this language; an account keeps its own.",
    ),
    (
        "admin_licence",
        "Licence des données ouvertes",
        "Open data licence",
    ),
    (
        "admin_licence_hint",
        "Nommée dans chaque export et dans le catalogue DCAT. La Licence Ouverte 2.0 est celle du secteur public français.",
        "Named in every export and in the DCAT catalogue. The Licence Ouverte 2.0 is the French public sector's.",
    ),
    ("language_fr", "Français", "French"),
    ("language_en", "Anglais", "English"),
    ("garant_desk", "Espace garant", "Garant desk"),
    (
        "garant_intro",
        "Importer le fichier officiel, ajouter un lieu à la main, certifier des citoyens, nommer les contacts à qui confier les demandes.",
        "Import the official file, add a place by hand, certify citizens, name the contacts requests can be assigned to.",
    ),
    (
        "garant_see_places",
        "Voir les lieux du collectif",
        "See the collective's places",
    ),
    ("import_report", "Compte rendu de l'import", "Import report"),
    ("import_created", "Lieux créés", "Places created"),
    ("import_updated", "Lieux mis à jour", "Places updated"),
    (
        "import_unchanged",
        "Lignes sans changement",
        "Rows unchanged",
    ),
    ("import_rejected", "Lignes refusées", "Rows refused"),
    (
        "import_facts",
        "Valeurs officielles ajoutées",
        "Official values added",
    ),
    (
        "import_possibly_closed",
        "Lieux absents du référentiel (peut-être fermés)",
        "Places missing from the referential (possibly closed)",
    ),
    (
        "import_rejected_rows",
        "Lignes refusées et pourquoi",
        "Refused rows and why",
    ),
    ("import_line", "Ligne", "Line"),
    ("import_column", "Colonne", "Column"),
    (
        "import_more",
        "Autres lignes refusées, non listées :",
        "More refused rows, not listed:",
    ),
    (
        "import_file",
        "Importer un fichier officiel",
        "Import an official file",
    ),
    (
        "import_hint",
        "Un fichier CSV (séparé par des virgules ou des points-virgules) ou JSON, tel que publié en données ouvertes : ses colonnes disent de quel import il s'agit. Rien n'est effacé ; importer deux fois le même fichier ne change rien.",
        "A CSV (comma or semicolon separated) or JSON file as published in open data: its columns say which import it is. Nothing is deleted; importing the same file twice changes nothing.",
    ),
    (
        "import_columns",
        "Colonnes attendues :",
        "Expected columns:",
    ),
    ("import_choose", "Fichier", "File"),
    ("import_button", "Importer", "Import"),
    (
        "add_place",
        "Ajouter un lieu à la main",
        "Add a place by hand",
    ),
    (
        "add_place_hint",
        "Pour un lieu que le fichier officiel ne donne pas encore. L'identifiant officiel est vérifié comme à l'import.",
        "For a place the official file does not list yet. The official identifier is checked as an import would.",
    ),
    ("for_example", "par exemple", "e.g."),
    ("official_name", "Nom officiel", "Official name"),
    ("street", "Adresse (rue)", "Street"),
    ("postcode", "Code postal", "Postcode"),
    ("add_place_button", "Ajouter le lieu", "Add the place"),
    (
        "contacts_hint",
        "Les personnes à qui confier ou notifier les demandes (direction d'école, mairie de secteur…) : leur nom et leur fonction sont publics, leur adresse e-mail ne l'est jamais.",
        "The people requests can be assigned or notified to (school head, district town hall…): their name and position are public, their e-mail address never is.",
    ),
    ("contact_role", "Fonction", "Position"),
    (
        "contact_role_example",
        "Directeur des travaux, 13e-14e",
        "Head of works, 13th-14th",
    ),
    (
        "contact_email_private",
        "Privée : les notifications y sont envoyées, elle n'est jamais affichée.",
        "Private: notifications go there, it is never shown.",
    ),
    (
        "no_contacts",
        "Aucun contact pour l'instant.",
        "No contact yet.",
    ),
    ("add_contact", "Ajouter le contact", "Add the contact"),
    (
        "life_link",
        "Ajouter un événement ou un document",
        "Add an event or a document",
    ),
    ("life_add", "Événement ou document", "Event or document"),
    (
        "life_published_at_once",
        "Vous modérez ce lieu : ce que vous ajoutez est publié tout de suite.",
        "You moderate this place: what you add is published at once.",
    ),
    (
        "life_awaits_moderation",
        "Ce que vous ajoutez sera publié une fois accepté par un garant ou un citoyen certifié de ce lieu.",
        "What you add is published once a Garant or a Certified citizen of this place accepts it.",
    ),
    ("life_event", "Ajouter un événement", "Add an event"),
    ("life_kind", "Nature", "Kind"),
    ("life_starts_on", "Du (premier jour)", "From (first day)"),
    (
        "life_ends_on",
        "Au (dernier jour, si connu)",
        "To (last day, if known)",
    ),
    ("life_add_event", "Ajouter l'événement", "Add the event"),
    ("life_document", "Joindre un document", "Attach a document"),
    (
        "life_document_date",
        "Date du document",
        "Date of the document",
    ),
    ("life_file", "Fichier", "File"),
    (
        "life_file_hint",
        "PDF, ou photo JPEG, PNG ou WebP (les données de localisation des photos sont retirées).",
        "PDF, or a JPEG, PNG or WebP photo (location data is removed from photos).",
    ),
    (
        "life_add_document",
        "Joindre le document",
        "Attach the document",
    ),
    (
        "life_back",
        "Retour à la fiche du lieu",
        "Back to the place",
    ),
    ("empty_title", "Aucun lieu pour l'instant", "No place yet"),
    (
        "empty_visitor",
        "Ce collectif est encore vide : ses garants n'ont pas encore importé de lieux. Revenez bientôt.",
        "This collective is still empty: its Garants have not imported any place yet. Come back soon.",
    ),
    (
        "empty_garant",
        "Vous êtes garant ici : commencez par importer le fichier officiel des lieux (le référentiel, avec noms et adresses), ou ajoutez un premier lieu à la main.",
        "You are a Garant here: start by importing the official file of places (the referential, with names and addresses), or add a first place by hand.",
    ),
    ("done_guru_granted", "Gourou nommé.", "Guru appointed."),
    ("done_guru_revoked", "Gourou retiré.", "Guru removed."),
    (
        "done_created",
        "Collectif ouvert. Nommez maintenant ses garants.",
        "Collective opened. Now appoint its Garants.",
    ),
    (
        "done_role_granted",
        "Rôle attribué ; c'est inscrit au registre public des rôles.",
        "Role granted; it is written in the public record of roles.",
    ),
    (
        "done_role_revoked",
        "Rôle retiré ; c'est inscrit au registre public des rôles.",
        "Role removed; it is written in the public record of roles.",
    ),
    ("done_map_saved", "Carte enregistrée.", "Map saved."),
    (
        "done_publication_saved",
        "Langue et licence enregistrées.",
        "Language and licence saved.",
    ),
    ("done_contact", "Contact ajouté.", "Contact added."),
    (
        "done_contact_retired",
        "Contact retiré : il n'est plus proposé ni prévenu, et ses liens ne marchent plus. L'historique garde son nom.",
        "Contact retired: no longer offered nor notified, and their links stop working. The history keeps their name.",
    ),
    ("retire_contact", "Retirer", "Retire"),
    ("done_imported", "Fichier importé.", "File imported."),
    ("done_event_added", "Événement ajouté.", "Event added."),
    (
        "done_document_added",
        "Document joint.",
        "Document attached.",
    ),
    // Replies received by e-mail, held for a Garant.
    (
        "held_mail",
        "Réponses reçues par e-mail",
        "Replies received by e-mail",
    ),
    (
        "held_mail_intro",
        "Ces réponses n'ont pas pu être rattachées d'elles-mêmes à une demande (adresse de réponse absente ou altérée, lien expiré, autre expéditeur). Rattachez-les à une demande : elles y deviennent une réponse « reçue par e-mail », sans le nom de l'expéditeur. L'adresse de l'expéditeur n'est jamais publiée.",
        "These replies could not be matched to a request by themselves (missing or altered reply address, expired link, another sender). Route them to a request: they become an answer \"received by e-mail\" there, without the sender's name. The sender's address is never published.",
    ),
    (
        "held_mail_none",
        "Aucune réponse en attente.",
        "No reply waiting.",
    ),
    ("held_from", "de", "from"),
    (
        "held_attachments",
        "pièces jointes (non conservées) :",
        "attachments (not kept):",
    ),
    ("held_route_to", "Demande n°", "Request no."),
    ("held_route", "Rattacher", "Route"),
    ("held_drop", "Écarter", "Drop"),
    (
        "held_reason_no_token",
        "sans adresse de réponse",
        "no reply address",
    ),
    (
        "held_reason_unknown_token",
        "adresse de réponse inconnue ou altérée",
        "unknown or altered reply address",
    ),
    (
        "held_reason_expired_token",
        "lien expiré ou retiré",
        "expired or withdrawn link",
    ),
    (
        "held_reason_other_sender",
        "envoyée par une autre adresse que celle du destinataire",
        "sent from another address than the recipient's",
    ),
    (
        "held_reason_retired_contact",
        "contact retiré",
        "retired contact",
    ),
    (
        "held_reason_not_allowed",
        "la demande n'accepte pas cette réponse maintenant (close, fusionnée ou en attente de modération)",
        "the request does not take this answer now (closed, merged or awaiting moderation)",
    ),
    ("held_reason_other", "autre raison", "other reason"),
    (
        "held_unmatched",
        "ne correspond à aucun collectif (vu des gourous seulement)",
        "matches no collective (seen by Gurus only)",
    ),
    (
        "done_mail_routed",
        "Réponse rattachée à la demande.",
        "Reply routed to the request.",
    ),
    ("done_mail_dropped", "Réponse écartée.", "Reply dropped."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_in_the_page_language() {
        assert_eq!(Lang::Fr.number(26.0, Some(1)), "26,0");
        assert_eq!(Lang::En.number(26.0, Some(1)), "26.0");
        assert_eq!(Lang::Fr.number(1234.5, None), "1\u{202f}234,5");
        assert_eq!(Lang::En.number(-1234567.0, Some(0)), "-1,234,567");
        assert_eq!(Lang::Fr.number(0.75, Some(2)), "0,75");
    }

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
