//! Embeds the default policy pack (`policies/`) in the binary: every `.cedarschema` and `.cedar`
//! file under it, in a stable order, so the pack on disk and the one in the binary never differ.

use std::path::PathBuf;

#[path = "src/pack_files.rs"]
mod pack_files;

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(std::io::Error::other)?);
    let policies = root.join("policies");
    println!("cargo:rerun-if-changed={}", policies.display());
    let mut code = String::from("pub const FILES: &[(&str, &str)] = &[\n");
    for file in pack_files::collect(&policies)? {
        let name = file
            .strip_prefix(&policies)
            .map_err(std::io::Error::other)?
            .to_string_lossy()
            .replace('\\', "/");
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            file.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(std::io::Error::other)?);
    std::fs::write(out.join("embedded_pack.rs"), code)
}
