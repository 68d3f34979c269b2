//! Where signing in leads back to: a page of this site only.
//!
//! The sign-in page carries the page the visitor came from (`/login?next=/t/ecoles/admin`);
//! signing in redirects there. A `next` that could lead off the site (an absolute URL, a
//! scheme-relative `//host`, a backslash browsers read as a slash, a control character they
//! strip) is dropped: the visitor lands on the home page instead of on another site.

/// The longest `next` kept.
const MAX_NEXT: usize = 1000;

/// `next` if it is a path of this site (`/…`, not `//…`), else `None`.
pub(crate) fn safe_next(next: &str) -> Option<&str> {
    let b = next.as_bytes();
    let same_site = next.len() <= MAX_NEXT
        && b.first() == Some(&b'/')
        // `//host` and `/\host` are other hosts to a browser.
        && !matches!(b.get(1), Some(b'/' | b'\\'))
        // Backslashes, spaces and control characters (a browser strips tabs and newlines, so
        // `/\t/host` would become `//host`), and non-ASCII: none belong in our paths.
        && b.iter().all(|c| c.is_ascii_graphic() && *c != b'\\');
    // Going back to the sign-in or sign-out page itself would be a loop.
    let pointless = next == "/login" || next.starts_with("/login?") || next.starts_with("/logout");
    (same_site && !pointless).then_some(next)
}

/// The `next` parameter of a query string, decoded.
pub(crate) fn from_query(query: Option<&str>) -> Option<String> {
    let query = query?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
}

/// The account pages a sign-in does not go back to: their links carry one-time tokens
/// (kept out of the sign-in page's address), or they are the way to an account.
const NOT_BACK: [&str; 3] = ["/verify", "/reset", "/register"];

/// `/login?next=…` for a page of this site, `/login` otherwise.
pub(crate) fn login_href(here: &str) -> String {
    let account_page = NOT_BACK.iter().any(|p| {
        here.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('?'))
    });
    match safe_next(here) {
        Some(next) if next != "/" && !account_page => format!(
            "/login?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next)
                .finish()
        ),
        _ => "/login".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        for ok in [
            "/",
            "/admin",
            "/t/ecoles-marseille/o/12?proposed=1",
            "/t/x/admin#roles",
        ] {
            assert_eq!(safe_next(ok), Some(ok), "{ok}");
        }
        for bad in [
            "",
            "//evil.example",
            "//evil.example/path",
            "/\\evil.example",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/a b",
            "/é",
            "/a\\b",
            "/login",
            "/login?next=/admin",
            "/logout",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(2000))), None);
    }

    #[test]
    fn the_sign_in_link_carries_the_page() {
        assert_eq!(
            login_href("/t/x/admin?a=1&b=2"),
            "/login?next=%2Ft%2Fx%2Fadmin%3Fa%3D1%26b%3D2"
        );
        assert_eq!(login_href("/"), "/login");
        assert_eq!(login_href("/reset?token=abc"), "/login");
        assert_eq!(login_href("/verify?token=abc"), "/login");
        assert_eq!(login_href("/register"), "/login");
        assert_eq!(login_href("/resetx"), "/login?next=%2Fresetx");
        assert_eq!(login_href("//evil"), "/login");
        assert_eq!(
            from_query(Some("lang=en&next=%2Ft%2Fx%2Fadmin%3Fa%3D1")).as_deref(),
            Some("/t/x/admin?a=1")
        );
        assert_eq!(from_query(Some("lang=en")), None);
    }
}
