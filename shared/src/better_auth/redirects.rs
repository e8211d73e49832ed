//! The redirects of Better Auth's mailed links, with the two ways its routes put parameters
//! on a URL (they differ, and a client may depend on either).

use url::Url;

use crate::config::Config;

/// Password reset's `redirectCallback`/`redirectError`: `new URL(target, baseURL)` (so a
/// relative target resolves against `<origin>/api/auth`), then `searchParams.set(name, value)`,
/// which re-serialises the whole query. No target: `<origin>/api/auth/error`.
pub fn set_params(config: &Config, target: Option<&str>, params: &[(&str, &str)]) -> String {
    let base = Url::parse(&config.auth_base_url()).expect("the base URL is a valid URL");
    let mut url = match target.filter(|t| !t.is_empty()) {
        Some(target) => base.join(target).unwrap_or_else(|_| error_page(&base)),
        None => error_page(&base),
    };
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !params.iter().any(|(set, _)| set == name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(params.iter().copied());
    url.into()
}

fn error_page(base: &Url) -> Url {
    Url::parse(&format!("{}/error", base.as_str().trim_end_matches('/'))).expect("a valid URL")
}

/// Better Auth's `appendQueryParams` (verify-email's error redirects, the `/error` page's
/// `errorURL`): keeps the target's query text as it is and appends `name=value` pairs; a
/// root-relative target stays relative.
pub fn append_params(target: &str, params: &[(&str, &str)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().copied())
        .finish();
    if query.is_empty() {
        return target.to_owned();
    }
    let (before_fragment, fragment) = match target.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (target, None),
    };
    let mut out = match before_fragment.split_once('?') {
        // `?` or `?a=1&`: nothing to separate from.
        Some((_, existing)) if existing.is_empty() || existing.ends_with('&') => {
            format!("{before_fragment}{query}")
        }
        Some(_) => format!("{before_fragment}&{query}"),
        None => format!("{before_fragment}?{query}"),
    };
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config() -> Config {
        let env: HashMap<String, String> = [
            ("BETTER_AUTH_SECRET", "s".repeat(40).as_str()),
            ("DATABASE_URL", "postgres://localhost/db"),
            ("BETTER_AUTH_URL", "https://api.example.com"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Config::from_sources(&env, None).unwrap()
    }

    #[test]
    fn set_params_resolves_like_new_url_and_replaces_like_search_params_set() {
        let config = config();
        assert_eq!(
            set_params(&config, Some("/reset"), &[("token", "abc")]),
            "https://api.example.com/reset?token=abc"
        );
        assert_eq!(
            set_params(
                &config,
                Some("https://app.example.com/r?token=old&x=a b"),
                &[("token", "new")]
            ),
            "https://app.example.com/r?x=a+b&token=new"
        );
        assert_eq!(
            set_params(&config, None, &[("error", "INVALID_TOKEN")]),
            "https://api.example.com/api/auth/error?error=INVALID_TOKEN"
        );
        assert_eq!(
            set_params(&config, Some(""), &[("error", "INVALID_TOKEN")]),
            "https://api.example.com/api/auth/error?error=INVALID_TOKEN"
        );
    }

    #[test]
    fn append_params_keeps_the_query_text_and_the_fragment() {
        assert_eq!(
            append_params("/done", &[("error", "TOKEN_EXPIRED")]),
            "/done?error=TOKEN_EXPIRED"
        );
        assert_eq!(
            append_params(
                "https://app.example.com/v?a=%20x#top",
                &[("error", "INVALID_TOKEN")]
            ),
            "https://app.example.com/v?a=%20x&error=INVALID_TOKEN#top"
        );
        assert_eq!(append_params("/v?", &[("error", "X")]), "/v?error=X");
        assert_eq!(
            append_params("/v?a=1&", &[("error", "X")]),
            "/v?a=1&error=X"
        );
    }
}
