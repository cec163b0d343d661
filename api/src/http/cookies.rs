//! The session cookie: HttpOnly (no script can read it), SameSite=Lax (not sent on
//! cross-site POSTs), Secure except on localhost.

use axum::http::HeaderMap;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "dukcapil_session";

/// `Set-Cookie` value that stores a session token.
pub fn session(token: &str, max_age: chrono::Duration, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        max_age.num_seconds().max(0),
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` value that removes the session cookie.
pub fn cleared(secure: bool) -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", if secure { "; Secure" } else { "" })
}

/// The session token the browser sent, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn session_cookie_has_the_protective_flags() {
        let cookie = session("abc", chrono::Duration::hours(12), true);
        assert_eq!(cookie, "dukcapil_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200; Secure");
        assert!(!session("abc", chrono::Duration::hours(1), false).contains("Secure"));
        assert!(cleared(false).contains("Max-Age=0"));
    }

    #[test]
    fn finds_the_token_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::COOKIE, HeaderValue::from_static("a=1; dukcapil_session=tok; b=2"));
        assert_eq!(session_token(&headers).as_deref(), Some("tok"));
        headers.insert(axum::http::header::COOKIE, HeaderValue::from_static("a=1"));
        assert_eq!(session_token(&headers), None);
    }
}
