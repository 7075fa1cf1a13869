//! Which files make up a policy pack directory. Shared, by `#[path]`, with the build script
//! that embeds the default pack, so the embedded pack and `--policies DIR` read the same files.

use std::path::{Path, PathBuf};

/// Every `.cedarschema` and `.cedar` file below `dir`, sorted.
pub(crate) fn collect(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("cedar" | "cedarschema")
            ) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
