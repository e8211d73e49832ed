//! Sending mail: through Amazon SES (`SendEmail` of the v2 API) in AWS, or into a folder of JSON
//! files for local development and tests (`EMAIL_OUTBOX_DIR`).
//!
//! A failed send is logged and swallowed, as Better Auth does with its send callbacks: the
//! HTTP answer must not depend on it, or it would tell an attacker which emails exist. The log
//! line names the failure, never the link (it carries a token).

use std::time::Duration;

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use serde::Serialize;
use tokio::sync::OnceCell;

use super::aws::{AwsEnv, CallLimits};
use super::config::Config;

/// One mail, as written to the outbox (`{"to","subject","text","html","url"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The link the mail carries, for tests and for local-api to print.
    pub url: String,
}

/// SendEmail must finish well inside the function's timeout (15 s in template.yaml).
const SES_LIMITS: CallLimits = CallLimits {
    connect_timeout: Duration::from_secs(2),
    operation_timeout: Duration::from_secs(5),
    max_attempts: 2,
};

pub enum Mailer {
    /// No `EMAIL_FROM` and no `EMAIL_OUTBOX_DIR`.
    Disabled,
    Outbox {
        dir: std::path::PathBuf,
        /// local-api's terminal gets each link on stderr (`EMAIL_OUTBOX_PRINT_LINKS`), so a
        /// developer can click through; never through the log pipeline, which must not carry
        /// tokens.
        print_links: bool,
    },
    Ses {
        from: String,
        aws: AwsEnv,
        /// Built on the first send, so functions that never send pay nothing at cold start.
        client: OnceCell<aws_sdk_sesv2::Client>,
    },
}

impl Mailer {
    pub fn from_config(config: &Config) -> Mailer {
        match (&config.email.outbox_dir, &config.email.from) {
            (Some(dir), _) => Mailer::Outbox {
                dir: dir.clone(),
                print_links: config.email.print_links,
            },
            (None, Some(from)) => Mailer::Ses {
                from: from.clone(),
                aws: config.aws.clone(),
                client: OnceCell::new(),
            },
            (None, None) => Mailer::Disabled,
        }
    }

    pub fn enabled(&self) -> bool {
        !matches!(self, Mailer::Disabled)
    }

    /// Sends `mail`; a failure is logged, not returned (see the module's doc).
    pub async fn send(&self, mail: &Mail) {
        let outcome = match self {
            Mailer::Disabled => Err("no EMAIL_FROM or EMAIL_OUTBOX_DIR is set".to_owned()),
            Mailer::Outbox { dir, print_links } => {
                let written = write_to_outbox(dir, mail).await;
                if written.is_ok() && *print_links {
                    eprintln!("mail to {}: {}", mail.to, mail.url);
                }
                written
            }
            Mailer::Ses { from, aws, client } => {
                let client = client
                    .get_or_init(|| async {
                        aws_sdk_sesv2::Client::new(&aws.sdk_config("SESV2", SES_LIMITS).await)
                    })
                    .await;
                send_with_ses(client, from, mail).await
            }
        };
        match outcome {
            Ok(()) => tracing::info!(subject = %mail.subject, "mail sent"),
            Err(error) => {
                tracing::error!(subject = %mail.subject, %error, "mail could not be sent")
            }
        }
    }
}

async fn send_with_ses(
    client: &aws_sdk_sesv2::Client,
    from: &str,
    mail: &Mail,
) -> Result<(), String> {
    let content = |text: &str| {
        Content::builder()
            .data(text)
            .charset("UTF-8")
            .build()
            .map_err(|err| err.to_string())
    };
    let message = Message::builder()
        .subject(content(&mail.subject)?)
        .body(
            Body::builder()
                .text(content(&mail.text)?)
                .html(content(&mail.html)?)
                .build(),
        )
        .build();
    client
        .send_email()
        .from_email_address(from)
        .destination(Destination::builder().to_addresses(&mail.to).build())
        .content(EmailContent::builder().simple(message).build())
        .send()
        .await
        .map(|_| ())
        .map_err(|err| aws_sdk_sesv2::error::DisplayErrorContext(err).to_string())
}

/// One file per mail, named so that sorting the names sorts by time. Written under a
/// temporary name and renamed, so a reader never sees half a file.
async fn write_to_outbox(dir: &std::path::Path, mail: &Mail) -> Result<(), String> {
    let name = format!(
        "{:013}-{}.json",
        chrono::Utc::now().timestamp_millis(),
        crate::better_auth::ids::random_id()
    );
    let json = serde_json::to_vec_pretty(mail).map_err(|err| err.to_string())?;
    let io = |path: &std::path::Path| {
        let path = path.display().to_string();
        move |err: std::io::Error| format!("{path}: {err}")
    };
    tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
    let partial = dir.join(format!(".{name}.partial"));
    tokio::fs::write(&partial, json)
        .await
        .map_err(io(&partial))?;
    tokio::fs::rename(&partial, dir.join(&name))
        .await
        .map_err(io(&partial))?;
    tracing::info!(file = %name, "mail written to the outbox");
    Ok(())
}
