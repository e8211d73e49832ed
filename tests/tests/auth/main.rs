//! The Better Auth routes (sign-up, sign-in, get-session, token, jwks, sign-out, ok, password
//! reset, email verification, account management and the session list) through their handlers, on a real PostgreSQL database per test,
//! checked against the contract (the founders' protocol notes, kept outside this repository)
//! and the facts measured on Better Auth 1.7.25 (`e2e/MEASURED.md`).
//!
//! The auth fixtures carry a session cookie signed with a placeholder secret: every test
//! replaces (or removes) cookies and sets the Origin-related headers it depends on.
//!
//! One module per endpoint or concern; the helpers they share are `api_tests::auth`.

mod account;
mod additional_fields;
mod email_verification;
mod get_session;
mod hostile_input;
mod jwks;
mod ok;
mod options;
mod origin;
mod password_hashing;
mod password_reset;
mod rate_limit;
mod remember_me;
mod round_trips;
mod secure_cookies;
mod session_management;
mod sign_in;
mod sign_out;
mod sign_up;
mod task_routes;
mod token;
