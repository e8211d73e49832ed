//! Mail through Amazon SES with the real SDK (`aws-sdk-sesv2` SendEmail: signing, endpoint
//! resolution, HTTP), against moto's local SES. What SES received is read back from moto's
//! state (`/moto-api/data.json`).

use api_tests::auth::{PASSWORD, password_reset_request, sign_up, verification_request};
use api_tests::{TestApp, moto, require_tool};
use serde_json::{Value, json};

/// moto's SES refuses senders that are not verified identities, as SES does.
async fn verify_identity(address: &str) {
    let config = aws_sdk_sesv2::Config::builder()
        .behavior_version(aws_sdk_sesv2::config::BehaviorVersion::latest())
        .region(aws_sdk_sesv2::config::Region::new(moto::REGION))
        .endpoint_url(moto::endpoint())
        .credentials_provider(aws_sdk_sesv2::config::Credentials::new(
            moto::ACCESS_KEY,
            moto::SECRET_KEY,
            None,
            None,
            "test",
        ))
        .build();
    aws_sdk_sesv2::Client::from_conf(config)
        .create_email_identity()
        .email_identity(address)
        .send()
        .await
        .expect("CreateEmailIdentity on moto");
}

/// The messages moto's SES accepted for `to`.
async fn messages_to(to: &str) -> Vec<Value> {
    let state: Value = reqwest::get(format!("{}/moto-api/data.json", moto::endpoint()))
        .await
        .expect("moto state")
        .json()
        .await
        .expect("JSON");
    state["ses"]["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|message| message["destinations"]["ToAddresses"] == json!([to]))
        .cloned()
        .collect()
}

/// An app that sends through moto's SES as `from` (no outbox).
async fn app_sending_as(from: &str) -> TestApp {
    let aws: Vec<(String, String)> = moto::aws_env("")
        .into_iter()
        .filter(|(name, _)| name != "SECRET_ARN")
        .collect();
    let mut settings: Vec<(&str, &str)> =
        aws.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    settings.extend([
        ("EMAIL_OUTBOX_DIR", ""),
        ("EMAIL_FROM", from),
        ("AUTH_RATE_LIMIT_MAX", "100000"),
    ]);
    TestApp::with_env(&settings).await
}

fn unique(local: &str) -> String {
    format!(
        "{local}-{}@example.com",
        shared::better_auth::ids::random_id().to_lowercase()
    )
}

#[tokio::test]
async fn a_password_reset_is_sent_through_ses_with_the_link_in_text_and_html() {
    require_tool!(moto::available());
    let from = unique("noreply");
    verify_identity(&from).await;
    let app = app_sending_as(&from).await;
    let email = unique("ada");
    sign_up(&app, &email).await;
    let response = app
        .call(password_reset_request(
            json!({"email": email, "redirectTo": "/reset"}),
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert!(app.mails().is_empty(), "SES, not the outbox");
    let messages = messages_to(&email).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert_eq!(message["source"], json!(from));
    assert_eq!(message["subject"], "Reset your password");
    // moto keeps the HTML part when there is one.
    let html = message["body"].as_str().unwrap();
    assert!(
        html.contains("<a href=\"http://localhost:8000/api/auth/reset-password/"),
        "{html}"
    );
    assert!(html.contains("?callbackURL=%2Freset\""), "{html}");
}

#[tokio::test]
async fn a_verification_mail_is_sent_through_ses() {
    require_tool!(moto::available());
    let from = unique("noreply");
    verify_identity(&from).await;
    let app = app_sending_as(&from).await;
    let email = unique("bob");
    sign_up(&app, &email).await;
    let response = app
        .call(verification_request(json!({"email": email})))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let messages = messages_to(&email).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["subject"], "Verify your email address");
    assert!(
        messages[0]["body"]
            .as_str()
            .unwrap()
            .contains("/api/auth/verify-email?token=ey")
    );
}

#[tokio::test]
async fn a_send_that_ses_refuses_is_logged_and_the_answer_does_not_change() {
    require_tool!(moto::available());
    // Never verified: SES answers MessageRejected.
    let app = app_sending_as(&unique("unverified")).await;
    let email = unique("eve");
    sign_up(&app, &email).await;
    let response = app
        .call(password_reset_request(json!({"email": email})))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(
        response.raw_body,
        r#"{"status":true,"message":"If this email exists in our system, check your email for the reset link"}"#
    );
    assert!(messages_to(&email).await.is_empty());
    // The password is unchanged: nothing but the token row was written.
    let sign_in = app
        .call(api_tests::auth::sign_in_request(
            json!({"email": email, "password": PASSWORD}),
        ))
        .await;
    assert_eq!(sign_in.status, 200);
}
