//! Which handler serves which function of the template. A function missing here, or here but
//! not in the template, fails the route-consistency test.

use std::future::Future;
use std::pin::Pin;

use shared::{Body, Request, Response, State};

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Response<Body>> + Send + 'a>>;
pub type Handler = for<'a> fn(&'a State, Request) -> HandlerFuture<'a>;

macro_rules! handlers {
    ($($binary:literal => $handle:path),* $(,)?) => {
        /// Binary names (= folders under `functions/`) of every function with a route.
        pub const BINARIES: &[&str] = &[$($binary),*];

        /// The handler of the function built as `binary`.
        pub fn handler(binary: &str) -> Option<Handler> {
            match binary {
                $($binary => Some(|state, request| Box::pin($handle(state, request))),)*
                _ => None,
            }
        }
    };
}

handlers! {
    "list-tasks" => list_tasks::handle,
    "create-task" => create_task::handle,
    "get-task" => get_task::handle,
    "update-task" => update_task::handle,
    "delete-task" => delete_task::handle,
    "complete-task" => complete_task::handle,
    "sign-up-email" => sign_up_email::handle,
    "sign-in-email" => sign_in_email::handle,
    "sign-out" => sign_out::handle,
    "get-session" => get_session::handle,
    "token" => token::handle,
    "jwks" => jwks::handle,
}
