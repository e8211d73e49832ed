//! The HTTP side of local-api: each template route calls its function's handler with the
//! request API Gateway (payload 2.0) would have delivered, behind the template's CORS rules.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Path, Request as HttpRequest};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{MethodFilter, on};
use http::{HeaderValue, Method, StatusCode};
use shared::lambda_http::RequestExt;
use shared::lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use shared::lambda_http::request::RequestContext;
use shared::{Body, State};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::functions::{Function, function};
use crate::template::{CorsSettings, Template};

/// API Gateway's own payload limit; the handlers enforce their much smaller one.
const MAX_GATEWAY_PAYLOAD: usize = 10 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    #[error(
        "template route {method} {path} names binary {binary:?}, which local-api has no handler for"
    )]
    NoHandler {
        method: String,
        path: String,
        binary: String,
    },
    #[error("template route {method} {path} has an unsupported method")]
    BadMethod { method: String, path: String },
    #[error("CORS setting {0:?} is not a valid header value")]
    BadCors(String),
}

/// The router for every route of `template`.
pub fn router(state: Arc<State>, template: &Template) -> Result<Router, RouterError> {
    let mut by_path: BTreeMap<&str, Vec<(MethodFilter, &'static Function)>> = BTreeMap::new();
    for route in &template.routes {
        let handle = function(&route.binary).ok_or_else(|| RouterError::NoHandler {
            method: route.method.clone(),
            path: route.path.clone(),
            binary: route.binary.clone(),
        })?;
        let method: Method = route.method.parse().map_err(|_| bad_method(route))?;
        let filter = MethodFilter::try_from(method).map_err(|_| bad_method(route))?;
        by_path
            .entry(&route.path)
            .or_default()
            .push((filter, handle));
    }

    let mut app = Router::new();
    for (path, methods) in by_path {
        let mut method_router = axum::routing::MethodRouter::new();
        for (filter, handle) in methods {
            let state = state.clone();
            method_router = method_router.merge(on(filter, move |connect, params, request| {
                invoke(state.clone(), handle, connect, params, request)
            }));
        }
        // API Gateway answers a known path with an unrouted method like an unknown path: 404.
        app = app.route(path, method_router.fallback(not_found));
    }
    Ok(app.fallback(not_found).layer(cors_layer(&template.cors)?))
}

fn bad_method(route: &crate::template::Route) -> RouterError {
    RouterError::BadMethod {
        method: route.method.clone(),
        path: route.path.clone(),
    }
}

/// What API Gateway answers for a path or method no route matches.
async fn not_found() -> HttpResponse {
    (
        StatusCode::NOT_FOUND,
        [(http::header::CONTENT_TYPE, "application/json")],
        r#"{"message":"Not Found"}"#,
    )
        .into_response()
}

async fn invoke(
    state: Arc<State>,
    function: &'static Function,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(params): Path<HashMap<String, String>>,
    request: HttpRequest,
) -> HttpResponse {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_GATEWAY_PAYLOAD).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                r#"{"message":"Request Entity Too Large"}"#,
            )
                .into_response();
        }
    };
    let query: HashMap<String, Vec<String>> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes()).into_owned().fold(
                HashMap::new(),
                |mut map, (k, v)| {
                    map.entry(k).or_insert_with(Vec::new).push(v);
                    map
                },
            )
        })
        .unwrap_or_default();
    // The structs are non-exhaustive: start from defaults and fill in what API Gateway would.
    let mut http_description = ApiGatewayV2httpRequestContextHttpDescription::default();
    http_description.method = parts.method.clone();
    http_description.path = Some(parts.uri.path().to_owned());
    http_description.protocol = Some("HTTP/1.1".into());
    http_description.source_ip = Some(peer.ip().to_string());
    http_description.user_agent = parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.request_id = Some(shared::better_auth::ids::random_id());
    context.stage = Some("$default".into());
    context.http = http_description;
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(err) => Body::Binary(err.into_bytes()),
        }
    };
    let method = parts.method.clone();
    let lambda_request = http::Request::from_parts(parts, body)
        .with_path_parameters(params)
        .with_query_string_parameters(query)
        .with_request_context(RequestContext::ApiGatewayV2(context));
    let path = shared::lambda::loggable_path(&lambda_request);

    let response = function.call(&state, lambda_request).await;
    shared::lambda::log_response(&method, &path, response.status(), started);
    let (parts, body) = response.into_parts();
    let bytes: Vec<u8> = match body {
        Body::Empty => Vec::new(),
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        _ => Vec::new(),
    };
    HttpResponse::from_parts(parts, axum::body::Body::from(bytes))
}

/// The HttpApi's `CorsConfiguration`, as API Gateway applies it.
fn cors_layer(cors: &CorsSettings) -> Result<CorsLayer, RouterError> {
    let values = |items: &[String]| -> Result<Vec<HeaderValue>, RouterError> {
        items
            .iter()
            .map(|item| HeaderValue::from_str(item).map_err(|_| RouterError::BadCors(item.clone())))
            .collect()
    };
    let mut layer = CorsLayer::new()
        .allow_origin(AllowOrigin::list(values(&cors.allow_origins)?))
        .allow_credentials(cors.allow_credentials)
        .allow_headers(
            cors.allow_headers
                .iter()
                .map(|h| h.parse().map_err(|_| RouterError::BadCors(h.clone())))
                .collect::<Result<Vec<http::HeaderName>, _>>()?,
        )
        .allow_methods(
            cors.allow_methods
                .iter()
                .map(|m| m.parse().map_err(|_| RouterError::BadCors(m.clone())))
                .collect::<Result<Vec<Method>, _>>()?,
        )
        .expose_headers(
            cors.expose_headers
                .iter()
                .map(|h| h.parse().map_err(|_| RouterError::BadCors(h.clone())))
                .collect::<Result<Vec<http::HeaderName>, _>>()?,
        );
    if let Some(seconds) = cors.max_age_seconds {
        layer = layer.max_age(Duration::from_secs(seconds));
    }
    Ok(layer)
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
