//! Reads `template.yaml`: the routes (function, binary, method, path) and the HTTP API's CORS
//! settings. The template is the one list of routes; local-api and the tests read it here.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Logical id in the template, e.g. `ListTasksFunction`.
    pub function: String,
    /// `Metadata.BuildProperties.Binary`: the cargo package and folder under `functions/`.
    pub binary: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// API Gateway path, e.g. `/api/{user_id}/tasks/{id}`.
    pub path: String,
}

/// `CorsConfiguration` of the template's `AWS::Serverless::HttpApi`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsSettings {
    pub allow_origins: Vec<String>,
    pub allow_headers: Vec<String>,
    pub allow_methods: Vec<String>,
    pub expose_headers: Vec<String>,
    pub allow_credentials: bool,
    pub max_age_seconds: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub routes: Vec<Route>,
    /// Every `AWS::Serverless::Function` by logical id, with its binary (routed or not).
    pub functions: BTreeMap<String, String>,
    pub cors: CorsSettings,
    /// Parameter defaults, by name.
    pub parameter_defaults: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
#[error("template.yaml: {0}")]
pub struct TemplateError(String);

impl Template {
    /// Parses the template. `parameter` overrides a parameter's default (local-api maps
    /// `CorsOrigins` to the `CORS_ORIGINS` variable, for example).
    pub fn parse(
        yaml: &str,
        parameter: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, TemplateError> {
        let doc: Value = serde_yaml_ng::from_str(yaml).map_err(|e| TemplateError(e.to_string()))?;
        let parameter_defaults: BTreeMap<String, String> = doc
            .get("Parameters")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(name, spec)| {
                Some((name.as_str()?.to_owned(), scalar(spec.get("Default")?)?))
            })
            .collect();
        let resolve = |value: &Value| -> Vec<String> {
            match value {
                Value::Tagged(tagged) if tagged.tag == "Ref" => {
                    let name = tagged.value.as_str().unwrap_or_default();
                    let text = parameter(name)
                        .or_else(|| parameter_defaults.get(name).cloned())
                        .unwrap_or_default();
                    text.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                }
                Value::Sequence(items) => items.iter().filter_map(scalar).collect(),
                other => scalar(other).into_iter().collect(),
            }
        };

        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| TemplateError("no Resources".into()))?;
        let mut routes = Vec::new();
        let mut functions = BTreeMap::new();
        let mut cors = None;
        for (id, resource) in resources {
            let id = id.as_str().unwrap_or_default().to_owned();
            match resource.get("Type").and_then(Value::as_str) {
                Some("AWS::Serverless::Function") => {
                    let binary = resource
                        .get("Metadata")
                        .and_then(|m| m.get("BuildProperties"))
                        .and_then(|b| b.get("Binary"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            TemplateError(format!("{id} has no Metadata.BuildProperties.Binary"))
                        })?
                        .to_owned();
                    let events = resource
                        .get("Properties")
                        .and_then(|p| p.get("Events"))
                        .and_then(Value::as_mapping);
                    for event in events.into_iter().flatten().map(|(_, event)| event) {
                        if event.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                            continue;
                        }
                        let props = event.get("Properties");
                        let field =
                            |name: &str| props.and_then(|p| p.get(name)).and_then(Value::as_str);
                        let (Some(method), Some(path)) = (field("Method"), field("Path")) else {
                            return Err(TemplateError(format!(
                                "{id}: an HttpApi event needs Method and Path"
                            )));
                        };
                        routes.push(Route {
                            function: id.clone(),
                            binary: binary.clone(),
                            method: method.to_ascii_uppercase(),
                            path: path.to_owned(),
                        });
                    }
                    functions.insert(id, binary);
                }
                Some("AWS::Serverless::HttpApi") => {
                    let config = resource
                        .get("Properties")
                        .and_then(|p| p.get("CorsConfiguration"));
                    let list = |name: &str| {
                        config
                            .and_then(|c| c.get(name))
                            .map(&resolve)
                            .unwrap_or_default()
                    };
                    cors = Some(CorsSettings {
                        allow_origins: list("AllowOrigins"),
                        allow_headers: list("AllowHeaders"),
                        allow_methods: list("AllowMethods"),
                        expose_headers: list("ExposeHeaders"),
                        allow_credentials: config
                            .and_then(|c| c.get("AllowCredentials"))
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                        max_age_seconds: config
                            .and_then(|c| c.get("MaxAge"))
                            .and_then(Value::as_u64),
                    });
                }
                _ => {}
            }
        }
        Ok(Template {
            routes,
            functions,
            cors: cors.ok_or_else(|| {
                TemplateError("no AWS::Serverless::HttpApi with CorsConfiguration".into())
            })?,
            parameter_defaults,
        })
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}
