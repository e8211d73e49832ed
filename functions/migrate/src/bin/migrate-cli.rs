//! `cargo run -p migrate --bin migrate-cli`: applies the migrations from a shell.

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env = std::env::vars().collect();
    migrate::cli(&args, &env, &mut std::io::stdout()).await
}
