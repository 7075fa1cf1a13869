//! Governance configuration — the policy pack, the waivers, the Statement of Applicability and
//! `.aimsgate/config.yaml` — and where it is read from.
//!
//! Everything a change can edit is input from the change's author, never configuration of the
//! gate that judges it. So with a protected ref (`--protected-ref`, for example
//! `refs/remotes/origin/main`), all of it is read from that ref's tree through git, never from
//! the working tree: a waiver or a weaker pack added by a pull request applies once it is
//! merged, that is, reviewed. Without one it is read from the working tree — from regular
//! files inside the repository only, each bounded in size.
//!
//! ```yaml
//! # .aimsgate/config.yaml
//! policies: policies                  # the pack directory (default: the embedded pack)
//! protected_ref: refs/remotes/origin/main
//! default_branch: main
//! waivers: .aimsgate/waivers.yaml
//! soa: .aimsgate/soa.yaml
//! accept_stale_approvals: false       # count approvals of earlier commits of a pull request
//! submodules_without_cards: [vendor/tokenizers]   # need not be checked out
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use git2::{ObjectType, Oid, Repository};

use crate::discover;
use crate::error::{ConfigError, EvidenceError, InputError, IoError, Kind};
use crate::evidence::git::{self, Resolved};
use crate::pack::Pack;
use crate::setting::{self, Setting};

mod settings;

pub use settings::Config;

/// The folder of governance configuration, relative to the repository root.
pub const DIR: &str = ".aimsgate";
/// The configuration file, relative to the repository root.
pub const CONFIG_PATH: &str = ".aimsgate/config.yaml";
/// The default waivers file.
pub const WAIVERS_PATH: &str = ".aimsgate/waivers.yaml";
/// The default Statement of Applicability.
pub const SOA_PATH: &str = ".aimsgate/soa.yaml";
/// The largest configuration file read; a larger one is an error.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// A file of governance configuration, read.
#[derive(Debug, Clone)]
pub struct File {
    /// How it is named in messages: `.aimsgate/waivers.yaml`, or
    /// `origin/main:.aimsgate/waivers.yaml` when read from a ref.
    pub shown: String,
    pub text: Arc<str>,
}

/// Where governance configuration is read from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The working tree (no protected ref): regular files inside the repository.
    WorkTree,
    /// The tree of the protected ref's commit, through git.
    Ref(Resolved),
}

/// The governance set-up of a run: where configuration comes from, what the configuration
/// file says, and where each piece is.
#[derive(Debug, Clone)]
pub struct Governance {
    /// The repository's work tree root (the current directory outside a repository).
    pub root: PathBuf,
    pub source: Source,
    /// Named on the command line (`--protected-ref`), rather than by the working tree's
    /// configuration file (which the change being judged can edit).
    pub protected_by_flag: bool,
    pub config: Config,
    /// The pack: a directory relative to the root (`None`: the embedded pack), or a directory
    /// outside the repository named on the command line (work-tree mode only).
    pub pack: PackAt,
    /// The waivers file, relative to the root or absolute, and whether it must exist.
    pub waivers: (PathBuf, bool),
    /// The Statement of Applicability, likewise.
    pub soa: (PathBuf, bool),
}

/// Where the pack is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackAt {
    Embedded,
    /// A directory, relative to the repository root (or absolute, outside it), and how it is
    /// named.
    Dir(PathBuf, String),
}

/// What the command line says about governance configuration.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--policies DIR`, relative to the current directory.
    pub policies: Option<PathBuf>,
    /// `--protected-ref REF`.
    pub protected_ref: Option<String>,
    /// `--waivers FILE`, `--soa FILE`, relative to the current directory.
    pub waivers: Option<PathBuf>,
    pub soa: Option<PathBuf>,
}

impl Governance {
    /// Works out the governance set-up for a run in `cwd`: the protected ref (the flag, else
    /// the working tree's configuration file), the configuration file (from that ref when
    /// there is one), and where the pack, waivers and statement are.
    pub fn resolve(cwd: &Path, flags: &Flags) -> Result<Governance, Vec<InputError>> {
        let repo = git::open(cwd).ok();
        let root = repo
            .as_ref()
            .and_then(|r| r.workdir().map(Path::to_path_buf))
            .unwrap_or_else(|| discover::repository_root(cwd));
        let mut governance = Governance {
            root: root.clone(),
            source: Source::WorkTree,
            protected_by_flag: flags.protected_ref.is_some(),
            config: Config::default(),
            pack: PackAt::Embedded,
            waivers: (PathBuf::from(WAIVERS_PATH), false),
            soa: (PathBuf::from(SOA_PATH), false),
        };
        let local = match &flags.protected_ref {
            Some(_) => None,
            None => Some(governance.config_file()?),
        };
        let protected = flags
            .protected_ref
            .clone()
            .or_else(|| local.as_ref().and_then(|c| c.protected_ref.clone()));
        if let Some(name) = &protected {
            let origin = if flags.protected_ref.is_some() {
                setting::name(Setting::ProtectedRef)
            } else {
                CONFIG_PATH
            };
            let fail = |k: Kind| {
                vec![InputError::new(
                    None,
                    k.context(&format!("{origin} {name}: ")),
                )]
            };
            let repo = repo.as_ref().ok_or_else(|| {
                fail(EvidenceError::Git("not inside a git repository".into()).into())
            })?;
            let resolved = git::resolve(repo, name).map_err(|k| {
                let mut e = fail(k.into());
                e[0] = e[0].clone().with_help(
                    "fetch the protected branch (in GitHub Actions, `fetch-depth: 0`) and name it in full: refs/remotes/origin/main",
                );
                e
            })?;
            governance.source = Source::Ref(resolved);
            governance.config = governance.config_file()?;
        } else {
            governance.config = local.unwrap_or_default();
        }
        governance.pack = governance.pack_at(cwd, flags)?;
        let pick = |flag: &Option<PathBuf>, configured: &Option<String>, default: &str| match (
            flag, configured,
        ) {
            (Some(f), _) => (discover::absolute(cwd, f), true),
            (None, Some(c)) => (PathBuf::from(c), true),
            (None, None) => (PathBuf::from(default), false),
        };
        governance.waivers = pick(&flags.waivers, &governance.config.waivers, WAIVERS_PATH);
        governance.soa = pick(&flags.soa, &governance.config.soa, SOA_PATH);
        Ok(governance)
    }

    /// The protected ref, when configuration is read from one.
    pub fn protected(&self) -> Option<&Resolved> {
        match &self.source {
            Source::Ref(r) => Some(r),
            Source::WorkTree => None,
        }
    }

    fn config_file(&self) -> Result<Config, Vec<InputError>> {
        match self.read(Path::new(CONFIG_PATH))? {
            Some(file) => Config::parse(&file.shown, &file.text),
            None => Ok(Config::default()),
        }
    }

    /// Where the pack is: `--policies`, else the configuration's `policies`; reading from a
    /// protected ref, else its `policies/` when that holds a schema; else the embedded pack.
    fn pack_at(&self, cwd: &Path, flags: &Flags) -> Result<PackAt, Vec<InputError>> {
        let rel = match (&flags.policies, &self.config.policies) {
            (Some(dir), _) => {
                let abs = discover::absolute(cwd, dir);
                match abs.strip_prefix(&self.root) {
                    Ok(rel) => rel.to_path_buf(),
                    Err(_) if matches!(self.source, Source::WorkTree) => {
                        return Ok(PackAt::Dir(abs, dir.to_string_lossy().into_owned()));
                    }
                    Err(_) => {
                        return Err(vec![InputError::new(
                            None,
                            ConfigError::Place(format!(
                                "{} {}: the policy directory is outside the repository, so it cannot be read from the protected ref",
                                setting::name(Setting::Policies),
                                dir.display()
                            )),
                        )]);
                    }
                }
            }
            (None, Some(dir)) => PathBuf::from(dir),
            (None, None) => match &self.source {
                Source::Ref(r) if self.ref_has_schema(r, "policies") => PathBuf::from("policies"),
                _ => return Ok(PackAt::Embedded),
            },
        };
        let shown = match (&flags.policies, &self.source) {
            (Some(dir), Source::WorkTree) => dir.to_string_lossy().into_owned(),
            _ => slash(&rel),
        };
        Ok(PackAt::Dir(rel, shown))
    }

    fn ref_has_schema(&self, r: &Resolved, dir: &str) -> bool {
        let Ok(repo) = Repository::open(&self.root) else {
            return false;
        };
        let Some(tree) = tree_of(&repo, &r.commit) else {
            return false;
        };
        let Ok(entry) = tree.get_path(Path::new(dir)) else {
            return false;
        };
        let Ok(sub) = entry.to_object(&repo).and_then(|o| o.peel_to_tree()) else {
            return false;
        };
        let mut found = false;
        let _ = sub.walk(git2::TreeWalkMode::PreOrder, |_, e| {
            if e.name().is_some_and(|n| n.ends_with(".cedarschema")) {
                found = true;
                return git2::TreeWalkResult::Abort;
            }
            git2::TreeWalkResult::Ok
        });
        found
    }

    /// How the pack is named in reports (`embedded`, the directory, or `REF:dir`): what
    /// [`Governance::load_pack`] gives it, known before it is loaded.
    pub fn pack_origin(&self) -> String {
        match (&self.pack, &self.source) {
            (PackAt::Embedded, _) => "embedded".into(),
            (PackAt::Dir(_, shown), Source::WorkTree) => shown.clone(),
            (PackAt::Dir(dir, _), Source::Ref(r)) => format!("{}:{}", r.given, slash(dir)),
        }
    }

    /// Loads the pack.
    pub fn load_pack(&self) -> Result<Pack, Vec<InputError>> {
        self.load(false)
    }

    /// Loads the pack with every check run on it, the embedded pack's too (whose checks the
    /// test suite stands for on other runs): what `aimsgate validate` reports on.
    pub fn load_pack_in_full(&self) -> Result<Pack, Vec<InputError>> {
        self.load(true)
    }

    fn load(&self, full: bool) -> Result<Pack, Vec<InputError>> {
        let mut pack = self.written(full)?;
        if let Some(shown) = &self.config.shown {
            crate::relevel::apply(&mut pack, &self.config.gates, shown, &self.config.source)?;
        }
        Ok(pack)
    }

    /// The pack, as its files say: no gate re-levelled (what its policy tests judge).
    pub fn load_pack_as_written(&self) -> Result<Pack, Vec<InputError>> {
        self.written(false)
    }

    fn written(&self, full: bool) -> Result<Pack, Vec<InputError>> {
        match (&self.pack, &self.source) {
            (PackAt::Embedded, _) if full => Pack::embedded_in_full(),
            (PackAt::Embedded, _) => Pack::embedded(),
            (PackAt::Dir(dir, shown), Source::WorkTree) => {
                Pack::from_dir(&self.root.join(dir), shown)
            }
            (PackAt::Dir(dir, _), Source::Ref(r)) => {
                let repo = git::open(&self.root).map_err(|e| vec![InputError::new(None, e)])?;
                let files =
                    crate::pack::from_git::files_at(&repo, r, &slash(dir)).map_err(|e| vec![*e])?;
                Pack::from_files(self.pack_origin(), files)
            }
        }
    }

    /// Repository-relative paths whose change is a change of governance configuration: the
    /// pack's directory (`policies` for the embedded pack: a pack added there would be one),
    /// `.aimsgate/`, and the waivers file and statement wherever they are. An empty path
    /// (a pack at the repository root) makes every change one.
    pub fn paths(&self) -> Vec<String> {
        let mut paths = vec![DIR.to_string()];
        match &self.pack {
            PackAt::Dir(dir, _) if !dir.is_absolute() => paths.push(slash(dir)),
            PackAt::Dir(..) => {}
            PackAt::Embedded => paths.push("policies".into()),
        }
        for file in [&self.waivers.0, &self.soa.0] {
            let rel = file.strip_prefix(&self.root).unwrap_or(file);
            if rel.is_relative() {
                paths.push(slash(rel));
            }
        }
        paths.sort();
        paths.dedup();
        paths
    }

    /// Reads a governance file (relative to the root, or absolute): from the protected ref's
    /// tree, or from the working tree. `Ok(None)` when it does not exist.
    pub fn read(&self, file: &Path) -> Result<Option<File>, Vec<InputError>> {
        let rel = file.strip_prefix(&self.root).unwrap_or(file);
        match &self.source {
            Source::Ref(r) => {
                if rel.is_absolute() {
                    return Err(vec![InputError::new(
                        Some(&rel.to_string_lossy()),
                        ConfigError::Place(
                            "is outside the repository, so it cannot be read from the protected ref"
                                .into(),
                        ),
                    )]);
                }
                read_at_ref(&self.root, r, &slash(rel)).map_err(|e| vec![e])
            }
            Source::WorkTree => read_work_tree(&self.root, rel).map_err(|e| vec![e]),
        }
    }
}

fn tree_of<'r>(repo: &'r Repository, commit: &str) -> Option<git2::Tree<'r>> {
    let oid = Oid::from_str(commit).ok()?;
    repo.find_commit(oid).ok()?.tree().ok()
}

/// A path with `/` separators.
fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The file at `rel` in the tree of `r`'s commit: a blob, at most [`MAX_BYTES`], UTF-8. A
/// symbolic link there is an error (it is not followed), so is anything but a file.
fn read_at_ref(root: &Path, r: &Resolved, rel: &str) -> Result<Option<File>, InputError> {
    let shown = format!("{}:{rel}", r.given);
    let fail = |k: Kind| InputError::new(Some(&shown), k);
    let repo = Repository::open(root).map_err(|e| {
        fail(IoError::Read(format!("cannot open the repository ({})", e.message())).into())
    })?;
    let tree = tree_of(&repo, &r.commit)
        .ok_or_else(|| fail(IoError::Read("cannot read the commit".into()).into()))?;
    let entry = match tree.get_path(Path::new(rel)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => {
            return Err(fail(
                IoError::Read(format!("cannot read ({})", e.message())).into(),
            ));
        }
    };
    if entry.filemode() == 0o120_000 {
        return Err(fail(IoError::Link(
            "is a symbolic link; governance configuration is read from a file, never through a link".into(),
        ).into()));
    }
    if entry.kind() != Some(ObjectType::Blob) {
        return Err(fail(IoError::NotAFile("is not a file".into()).into()));
    }
    let blob = repo
        .find_blob(entry.id())
        .map_err(|e| fail(IoError::Read(format!("cannot read ({})", e.message())).into()))?;
    if blob.size() as u64 > MAX_BYTES {
        return Err(fail(
            IoError::TooLarge(format!(
                "is larger than {} KiB; a configuration file that large is refused",
                MAX_BYTES / 1024
            ))
            .into(),
        ));
    }
    let text = std::str::from_utf8(blob.content())
        .map_err(|e| fail(IoError::Read(format!("is not UTF-8 ({e})")).into()))?;
    Ok(Some(File {
        shown,
        text: Arc::from(text),
    }))
}

/// The file at `rel` (relative to `root`, or absolute) in the working tree: a regular file, at
/// most [`MAX_BYTES`], UTF-8. A file inside the repository must stay inside it through any
/// symbolic link; a FIFO, a device or a directory is refused without being opened.
fn read_work_tree(root: &Path, rel: &Path) -> Result<Option<File>, InputError> {
    let abs = root.join(rel);
    let shown = discover::display(root, &abs, rel);
    let fail = |k: Kind| InputError::new(Some(&shown), k);
    match std::fs::symlink_metadata(&abs) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fail(IoError::Read(format!("cannot read: {e}")).into())),
        Ok(_) => {}
    }
    if rel.is_relative() {
        let inside = match (abs.canonicalize(), root.canonicalize()) {
            (Ok(target), Ok(root)) => target.starts_with(root),
            _ => false,
        };
        if !inside {
            return Err(fail(IoError::Link(
                "leads outside the repository through a symbolic link (or nowhere); governance configuration is read only from files inside the repository".into(),
            ).into()));
        }
    }
    let meta = std::fs::metadata(&abs)
        .map_err(|e| fail(IoError::Read(format!("cannot read: {e}")).into()))?;
    if !meta.is_file() {
        return Err(fail(
            IoError::NotAFile(
                "is not a regular file (a directory, FIFO or device is not opened)".into(),
            )
            .into(),
        ));
    }
    let f = std::fs::File::open(&abs)
        .map_err(|e| fail(IoError::Read(format!("cannot read: {e}")).into()))?;
    let mut bytes = Vec::new();
    f.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(IoError::Read(format!("cannot read: {e}")).into()))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(fail(
            IoError::TooLarge(format!(
                "is larger than {} KiB; a configuration file that large is refused",
                MAX_BYTES / 1024
            ))
            .into(),
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| fail(IoError::Read(format!("is not UTF-8 ({e})")).into()))?;
    Ok(Some(File {
        shown,
        text: Arc::from(text),
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn unknown_settings_are_errors_with_a_hint() {
        let e = Config::parse("c.yaml", "polices: p\nwaivers: w.yaml\n").unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line(), Some(1));
        assert_eq!(e[0].code(), "config::key");
        assert!(
            e[0].message().contains("did you mean `policies`?"),
            "{}",
            e[0].message()
        );
        let c = Config::parse(
            "c.yaml",
            "policies: p\naccept_stale_approvals: true\nprotected_ref: refs/remotes/origin/main\n",
        )
        .unwrap();
        assert_eq!(c.policies.as_deref(), Some("p"));
        assert!(c.accept_stale_approvals);
        let e = Config::parse("c.yaml", "accept_stale_approvals: yes please\n").unwrap_err();
        assert!(matches!(*e[0].kind, Kind::Config(ConfigError::Value(_))));
        assert!(e[0].message().contains("`true` or `false`"));
    }
}
