//! Embeds the default policy pack (`policies/`) in the binary: every `.cedarschema` and `.cedar`
//! file under it, in a stable order, so the pack on disk and the one in the binary never differ.

use std::path::PathBuf;

#[path = "src/pack/files.rs"]
mod pack_files;

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(std::io::Error::other)?);
    let policies = root.join("policies");
    println!("cargo:rerun-if-changed={}", policies.display());
    let mut code = String::from("pub(crate) const FILES: &[(&str, &str)] = &[\n");
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
    // The pack's own tests, for `aimsgate init --policies`.
    code.push_str("pub(crate) const TEST_FILES: &[(&str, &str)] = &[\n");
    let tests = policies.join("tests");
    let mut test_files: Vec<PathBuf> = match std::fs::read_dir(&tests) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    };
    test_files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    test_files.sort();
    for file in test_files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        code.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            format!("tests/{name}"),
            file.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(std::io::Error::other)?);
    std::fs::write(out.join("embedded_pack.rs"), code)
}
