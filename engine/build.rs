//! Embeds the default policy pack (`policies/`) in the binary: every `.cedarschema` and `.cedar`
//! file under it, in a stable order, so the pack on disk and the one in the binary never differ.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("cedar" | "cedarschema")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(std::io::Error::other)?);
    let policies = root.join("policies");
    println!("cargo:rerun-if-changed={}", policies.display());
    let mut files = Vec::new();
    collect(&policies, &mut files)?;
    files.sort();
    let mut code = String::from("pub const FILES: &[(&str, &str)] = &[\n");
    for file in &files {
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
