//! The AWS SDK settings a function reads from its environment, captured once so every client
//! (Secrets Manager at init, SES when a mail is sent) is built the same way.
//!
//! In Lambda these are the variables the runtime sets (region, the role's credentials); in
//! tests they come from an environment map pointed at moto, so no process-global variable has
//! to change. Anything not given falls back to the SDK's default chain.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

use crate::config::Secret;

#[derive(Debug, Clone, Default)]
pub struct AwsEnv {
    region: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<Secret>,
    session_token: Option<Secret>,
    /// `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_<SERVICE>` values.
    endpoints: HashMap<String, String>,
}

/// Timeouts and attempts of one SDK call.
#[derive(Debug, Clone, Copy)]
pub struct CallLimits {
    pub connect_timeout: Duration,
    pub operation_timeout: Duration,
    pub max_attempts: u32,
}

impl AwsEnv {
    pub fn from_env(env: &HashMap<String, String>) -> AwsEnv {
        let var = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        AwsEnv {
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY").map(Secret::new),
            session_token: var("AWS_SESSION_TOKEN").map(Secret::new),
            endpoints: env
                .iter()
                .filter(|(name, value)| name.starts_with("AWS_ENDPOINT_URL") && !value.is_empty())
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
        }
    }

    /// The endpoint for `service` (`SECRETS_MANAGER`, `SESV2`): its own variable, else
    /// `AWS_ENDPOINT_URL`, else the SDK's default.
    pub fn endpoint(&self, service: &str) -> Option<&str> {
        self.endpoints
            .get(&format!("AWS_ENDPOINT_URL_{service}"))
            .or_else(|| self.endpoints.get("AWS_ENDPOINT_URL"))
            .map(String::as_str)
    }

    /// The SDK configuration for `service`, bounded by `limits`.
    pub async fn sdk_config(&self, service: &str, limits: CallLimits) -> aws_config::SdkConfig {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(limits.connect_timeout)
                    .operation_timeout(limits.operation_timeout)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(limits.max_attempts));
        if let Some(region) = &self.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let (Some(key_id), Some(secret_key)) = (&self.access_key_id, &self.secret_access_key) {
            loader = loader.credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                key_id,
                secret_key.expose(),
                self.session_token.as_ref().map(|t| t.expose().to_owned()),
                None,
                "environment",
            ));
        }
        if let Some(endpoint) = self.endpoint(service) {
            loader = loader.endpoint_url(endpoint);
        }
        loader.load().await
    }
}
