//! Generates the handler registry from template.yaml, so a new route is served by local-api
//! (and checked by the tests) without editing anything here.
//!
//! For every routed function it emits `#[path = ".../functions/<binary>/src/lib.rs"] mod <crate>;`
//! and one registry row `(binary, ENDPOINT, handle)`. The handlers are compiled into local-api
//! as modules rather than as crate dependencies because Cargo cannot take dependencies from a
//! generated list; a function's `lib.rs` may therefore only use crates local-api also depends on
//! (`shared`, `serde`, `tokio`), and the build fails loudly when it uses another.

use std::fmt::Write as _;
use std::path::PathBuf;

#[path = "src/template.rs"]
#[allow(dead_code)]
mod template;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap();
    let template_path = workspace.join("template.yaml");
    println!("cargo::rerun-if-changed={}", template_path.display());
    let yaml = std::fs::read_to_string(&template_path).expect("read template.yaml");
    let template = template::Template::parse(&yaml, |_| None).expect("template.yaml parses");

    let mut modules = String::new();
    let mut rows = String::new();
    for route in &template.routes {
        let module = route.binary.replace('-', "_");
        let lib = workspace
            .join("functions")
            .join(&route.binary)
            .join("src/lib.rs");
        println!("cargo::rerun-if-changed={}", lib.display());
        writeln!(
            modules,
            "#[path = {:?}]\npub mod {module};",
            lib.display().to_string()
        )
        .unwrap();
        writeln!(
            rows,
            "    Function {{ binary: {:?}, endpoint: {module}::ENDPOINT, handler: |state, request| Box::pin({module}::handle(state, request)) }},",
            route.binary
        )
        .unwrap();
    }
    let generated = format!(
        "{modules}\n/// Every routed function of template.yaml, in template order.\npub static FUNCTIONS: &[Function] = &[\n{rows}];\n"
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("functions.rs");
    std::fs::write(out, generated).expect("write the registry");
}
