//! The mails Better Auth's routes send, with the links Better Auth builds, rendered from the
//! templates in `shared/templates/` (text and HTML; see its README for the placeholders).
//!
//! Better Auth sends no mail itself: it calls the app's `sendResetPassword`,
//! `sendVerificationEmail`, `sendChangeEmailConfirmation` and `sendDeleteAccountVerification`.
//! Here those are these functions, sending through
//! [`crate::platform::mail`].

use std::time::Duration;

use super::errors::ErrorCode;
use super::users::User;
use super::verification;
use crate::State;
use crate::error::Result;
use crate::http::{encode_uri_component, escape_html};
use crate::platform::mail::Mail;

/// The least time an anonymous mail route takes to answer (Better Auth's floor on
/// send-verification-email; here on request-password-reset too): sending a mail takes longer
/// than not sending one, and the difference would tell which emails have accounts.
pub const ANONYMOUS_ANSWER_FLOOR: Duration = Duration::from_millis(500);

/// Times an anonymous answer from its start, to hold it back to [`ANONYMOUS_ANSWER_FLOOR`].
pub struct AnonymousAnswer(tokio::time::Instant);

impl AnonymousAnswer {
    pub fn start() -> Self {
        AnonymousAnswer(tokio::time::Instant::now())
    }

    /// Waits out the rest of the floor.
    pub async fn finish(self) {
        tokio::time::sleep_until(self.0 + ANONYMOUS_ANSWER_FLOOR).await;
    }
}

/// Better Auth without its send callback answers `refusal` (`RESET_PASSWORD_DISABLED`,
/// `VERIFICATION_EMAIL_NOT_ENABLED`); here that is a deployment with no mail settings.
pub fn require_mail(state: &State, refusal: ErrorCode) -> Result<()> {
    if state.mailer.enabled() {
        return Ok(());
    }
    tracing::error!(
        code = refusal.code,
        "a mail was asked for, but no mail is configured (EMAIL_FROM or EMAIL_OUTBOX_DIR)"
    );
    Err(refusal.into())
}

struct Template {
    text: &'static str,
    html: &'static str,
}

const RESET_PASSWORD: Template = Template {
    text: include_str!("../../templates/reset-password.txt"),
    html: include_str!("../../templates/reset-password.html"),
};

const VERIFY_EMAIL: Template = Template {
    text: include_str!("../../templates/verify-email.txt"),
    html: include_str!("../../templates/verify-email.html"),
};

const CHANGE_EMAIL: Template = Template {
    text: include_str!("../../templates/change-email.txt"),
    html: include_str!("../../templates/change-email.html"),
};

const DELETE_ACCOUNT: Template = Template {
    text: include_str!("../../templates/delete-account.txt"),
    html: include_str!("../../templates/delete-account.html"),
};

/// Mails the reset link for `token`:
/// `<base>/api/auth/reset-password/<token>?callbackURL=<encodeURIComponent(redirectTo) or "">`.
pub async fn send_reset_password(
    state: &State,
    user: &User,
    token: &str,
    redirect_to: Option<&str>,
) {
    let url = format!(
        "{}/reset-password/{token}?callbackURL={}",
        state.config.auth_base_url(),
        redirect_to.map(encode_uri_component).unwrap_or_default()
    );
    let lifetime = state.config.options.reset_token_lifetime();
    state
        .mailer
        .send(&RESET_PASSWORD.render(user, &url, lifetime))
        .await;
}

/// Mails a verification link for `user`:
/// `<base>/api/auth/verify-email?token=<JWT>&callbackURL=<encodeURIComponent(callbackURL or "/")>`.
pub async fn send_verification(state: &State, user: &User, callback_url: Option<&str>) {
    let lifetime = state.config.options.verification_token_lifetime();
    let token = verification::issue_email_token(&state.config.auth_secret, user, lifetime);
    send_verification_link(state, user, &token, callback_url).await;
}

/// Mails a verification link carrying `token` to `user.email`: the plain link, or the one of
/// a change of email (then `user.email` is the new address, and opening it moves the account).
pub async fn send_verification_link(
    state: &State,
    user: &User,
    token: &str,
    callback_url: Option<&str>,
) {
    let lifetime = state.config.options.verification_token_lifetime();
    let url = verify_email_url(state, token, callback_url);
    state
        .mailer
        .send(&VERIFY_EMAIL.render(user, &url, lifetime))
        .await;
}

fn verify_email_url(state: &State, token: &str, callback_url: Option<&str>) -> String {
    format!(
        "{}/verify-email?token={token}&callbackURL={}",
        state.config.auth_base_url(),
        encode_uri_component(callback_url.unwrap_or("/"))
    )
}

/// Mails a verified user's change-of-email confirmation to their current address (Better
/// Auth's `sendChangeEmailConfirmation`); its link is a verify-email link whose token says
/// `change-email-confirmation`.
pub async fn send_change_email_confirmation(
    state: &State,
    user: &User,
    new_email: &str,
    callback_url: Option<&str>,
) {
    let lifetime = state.config.options.verification_token_lifetime();
    let token = verification::issue_change_email_token(
        &state.config.auth_secret,
        &user.email,
        new_email,
        verification::ChangeEmailStep::Confirmation,
        &user.id,
        lifetime,
    );
    let url = verify_email_url(state, &token, callback_url);
    let mail = CHANGE_EMAIL.render_with(user, &url, lifetime, &[("new_email", new_email)]);
    state.mailer.send(&mail).await;
}

/// Mails the account-deletion link (Better Auth's `sendDeleteAccountVerification`):
/// `<base>/api/auth/delete-user/callback?token=<token>&callbackURL=<encoded callbackURL or "/">`.
pub async fn send_delete_account_verification(
    state: &State,
    user: &User,
    token: &str,
    callback_url: Option<&str>,
) {
    let url = format!(
        "{}/delete-user/callback?token={token}&callbackURL={}",
        state.config.auth_base_url(),
        encode_uri_component(callback_url.unwrap_or("/"))
    );
    let lifetime = state.config.options.delete_token_lifetime();
    state
        .mailer
        .send(&DELETE_ACCOUNT.render(user, &url, lifetime))
        .await;
}

impl Template {
    /// Fills in the placeholders every mail has.
    fn render(&self, user: &User, url: &str, lifetime: Duration) -> Mail {
        self.render_with(user, url, lifetime, &[])
    }

    /// Fills in `{{name}}`, `{{url}}`, `{{expires_in}}` and a mail's own `extra` placeholders
    /// (`("new_email", …)` for `{{new_email}}`). A few fixed names need no template engine; the
    /// HTML gets its values escaped, the text does not.
    fn render_with(
        &self,
        user: &User,
        url: &str,
        lifetime: Duration,
        extra: &[(&str, &str)],
    ) -> Mail {
        let expires_in = describe(lifetime);
        let fill = |template: &str, escape: fn(&str) -> String| {
            let mut text = template
                .replace("{{name}}", &escape(&user.name))
                .replace("{{url}}", &escape(url))
                .replace("{{expires_in}}", &expires_in);
            for (name, value) in extra {
                text = text.replace(&format!("{{{{{name}}}}}"), &escape(value));
            }
            text
        };
        let text = fill(self.text, str::to_owned);
        let (subject, body) = text
            .split_once('\n')
            .and_then(|(first, rest)| Some((first.strip_prefix("Subject:")?.trim(), rest)))
            .expect("every text template starts with a Subject: line (a test checks it)");
        Mail {
            to: user.email.clone(),
            subject: subject.to_owned(),
            text: body.trim_start_matches('\n').to_owned(),
            html: fill(self.html, escape_html),
            url: url.to_owned(),
        }
    }
}

/// "1 hour", "10 minutes", "1 day": how long a link stays valid, for the mail's wording.
fn describe(lifetime: Duration) -> String {
    let seconds = lifetime.as_secs();
    let (count, unit) = match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s >= 3600 && s % 3600 == 0 => (s / 3600, "hour"),
        s if s >= 60 => (s.div_ceil(60), "minute"),
        s => (s, "second"),
    };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::better_auth::users::Timestamp;

    fn user(name: &str) -> User {
        User {
            name: name.into(),
            email: "ada@example.com".into(),
            email_verified: false,
            image: None,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            additional: Default::default(),
            id: "id".into(),
        }
    }

    #[test]
    fn every_template_has_a_subject_and_the_link_in_both_versions() {
        let url = "https://api.example.com/api/auth/verify-email?token=t&callbackURL=%2F";
        for template in [RESET_PASSWORD, VERIFY_EMAIL, CHANGE_EMAIL, DELETE_ACCOUNT] {
            let mail = template.render_with(
                &user("Ada"),
                url,
                Duration::from_secs(3600),
                &[("new_email", "ada@new.example")],
            );
            assert!(!mail.subject.is_empty());
            assert!(mail.text.contains(url), "{}", mail.text);
            assert!(mail.html.contains(&escape_html(url)), "{}", mail.html);
            assert!(mail.text.contains("1 hour") && mail.html.contains("1 hour"));
            assert!(!mail.text.contains("{{") && !mail.html.contains("{{"));
            assert_eq!(mail.to, "ada@example.com");
        }
    }

    #[test]
    fn the_change_of_email_confirmation_names_the_new_address_escaped_in_html() {
        let mail = CHANGE_EMAIL.render_with(
            &user("Ada"),
            "https://x/y",
            Duration::from_secs(3600),
            &[("new_email", "a&b@new.example")],
        );
        assert!(mail.text.contains("to a&b@new.example."), "{}", mail.text);
        assert!(
            mail.html.contains("to a&amp;b@new.example."),
            "{}",
            mail.html
        );
    }

    #[test]
    fn names_are_escaped_in_html_and_kept_as_they_are_in_text() {
        let mail = VERIFY_EMAIL.render(
            &user("<b>Ada</b> & co"),
            "https://x/y?a=1&b=2",
            Duration::from_secs(60),
        );
        assert!(
            mail.html.contains("&lt;b&gt;Ada&lt;/b&gt; &amp; co"),
            "{}",
            mail.html
        );
        assert!(
            mail.html.contains(r#"href="https://x/y?a=1&amp;b=2""#),
            "{}",
            mail.html
        );
        assert!(mail.text.contains("<b>Ada</b> & co"));
        assert!(mail.text.contains("1 minute"));
    }

    #[test]
    fn lifetimes_read_as_words() {
        assert_eq!(describe(Duration::from_secs(3600)), "1 hour");
        assert_eq!(describe(Duration::from_secs(7200)), "2 hours");
        assert_eq!(describe(Duration::from_secs(86_400)), "1 day");
        assert_eq!(describe(Duration::from_secs(600)), "10 minutes");
        assert_eq!(describe(Duration::from_secs(90)), "2 minutes");
        assert_eq!(describe(Duration::from_secs(5)), "5 seconds");
    }
}
