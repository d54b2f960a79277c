//! Regenerates the test PKIs and signed lists: `cargo run -p kakehashi-trust --example
//! gen-testdata -- crates/trust/testdata/fixtures`.

use kakehashi_testpki as generator;

fn main() {
    let out = std::env::args_os()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("crates/trust/testdata/fixtures"));
    generator::generate(&out, &generator::Params::fixtures());
    println!("wrote {}", out.display());
}
