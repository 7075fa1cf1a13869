//! `aimsgate-bench`: the benchmark suite. `run` generates the inputs and measures everything in
//! one run, so that ratios hold on a noisy machine, and prints the tables of BENCHMARKS.md.
//! Nothing here asserts a time: the figures are read, not tested.

mod generate;
mod inprocess;
mod process;
mod rego;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage:
  aimsgate-bench run [--quick] [--bin PATH] [--data DIR]
      generate the inputs under DIR (default target/bench-data), measure, print Markdown;
      --quick: small inputs and few rounds, to check that the suite works (figures meaningless)
  aimsgate-bench cards DIR N
      write a repository of N cards
  aimsgate-bench history DIR CARDS COMMITS CHANGED
      write a repository whose main has COMMITS commits; branch feature edits CHANGED cards";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |s: &String| s.parse::<usize>().map_err(|e| format!("`{s}`: {e}"));
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("serve") => process::serve(),
        Some("cards") if args.len() == 3 => {
            num(&args[2]).and_then(|n| generate::cards(Path::new(&args[1]), n, true))
        }
        Some("history") if args.len() == 5 => (|| {
            generate::history(
                Path::new(&args[1]),
                num(&args[2])?,
                num(&args[3])?,
                num(&args[4])?,
            )
        })(),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aimsgate-bench: {e}");
            ExitCode::from(2)
        }
    }
}

/// The request every benchmark judges: a deploy to staging at a fixed instant.
pub fn request() -> Result<aimsgate::evaluate::RequestSpec, String> {
    Ok(aimsgate::evaluate::RequestSpec {
        action: aimsgate::report::Action::Deploy,
        environment: Some("staging".into()),
        now: aimsgate::date::Instant::parse(generate::NOW).map_err(|e| e.to_string())?,
        actor: "bench".into(),
    })
}

/// The sizes of one run.
struct Plan {
    repositories: Vec<(usize, usize)>,
    histories: Vec<usize>,
    history_cards: usize,
    changed: usize,
    in_process_cards: usize,
    rounds: usize,
}

impl Plan {
    fn full() -> Plan {
        Plan {
            // (cards, runs)
            repositories: vec![(1, 30), (1_000, 10), (10_000, 5)],
            histories: vec![1_000, 100_000],
            history_cards: 1_000,
            changed: 10,
            in_process_cards: 1_000,
            rounds: 9,
        }
    }

    fn quick() -> Plan {
        Plan {
            repositories: vec![(1, 3), (50, 2), (200, 2)],
            histories: vec![50, 500],
            history_cards: 50,
            changed: 10,
            in_process_cards: 100,
            rounds: 2,
        }
    }
}

fn progress(what: &str) {
    eprintln!("aimsgate-bench: {what}");
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn run(args: &[String]) -> Result<(), String> {
    let mut plan = Plan::full();
    let mut bin = PathBuf::from("target/release/aimsgate");
    let mut data = PathBuf::from("target/bench-data");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => plan = Plan::quick(),
            "--bin" => bin = it.next().ok_or("--bin needs a path")?.into(),
            "--data" => data = it.next().ok_or("--data needs a directory")?.into(),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let bin = std::path::absolute(&bin).map_err(|e| e.to_string())?;
    if !bin.is_file() {
        return Err(format!(
            "{} does not exist: build it first (cargo build --release --locked)",
            bin.display()
        ));
    }
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    let data = std::path::absolute(&data).map_err(|e| e.to_string())?;
    // Started while this process is small: see `process::Runner`.
    let mut runner = process::Runner::start()?;
    let mut out = String::new();
    machine(&mut out, &bin);

    // Whole process over repositories of cards.
    let check = [
        "check",
        "--action",
        "deploy",
        "--env",
        "staging",
        "--now",
        generate::NOW,
    ];
    let _ = writeln!(
        out,
        "\n### Whole process: `aimsgate check` over a repository\n\n\
         `aimsgate check --action deploy --env staging --now {}` in the repository, human output \
         to /dev/null; wall time from spawn to exit, peak resident memory from wait4(2).\n\n\
         | cards | runs | median wall | fastest | peak memory | exit |\n|---:|---:|---:|---:|---:|---:|",
        generate::NOW
    );
    for &(n, runs) in &plan.repositories {
        let dir = data.join(format!("cards-{n}"));
        progress(&format!("writing {n} cards"));
        generate::cards(&dir, n, true)?;
        progress(&format!("checking {n} cards, {runs} runs"));
        let (wall, fastest, rss, exit) = repeat(&mut runner, &bin, &check, &dir, runs)?;
        let _ = writeln!(
            out,
            "| {n} | {runs} | {} | {} | {} | {exit} |",
            ms(wall),
            ms(fastest),
            mb(rss)
        );
    }

    // In process, per card.
    let n = plan.in_process_cards;
    let dir = data.join(format!("cards-{n}"));
    generate::cards(&dir, n, false)?;
    progress(&format!("in process: {n} cards, {} rounds", plan.rounds));
    let p = inprocess::measure(&dir, n, plan.rounds)?;
    let vm = match &p.rego_vm {
        Ok(us) => format!("{us:.1} µs | {:.2}×", us / p.raw_is_authorized),
        Err(why) => format!("could not run: {why} | –"),
    };
    let _ = writeln!(
        out,
        "\n### In process, per card\n\n\
         {n} cards ({} blocked), median of {} rounds; all engines agreed on every card's fired \
         gates before timing.\n\n\
         | measurement | per card | vs raw `is_authorized` |\n|---|---:|---:|\n\
         | aimsgate: card text → verdict | {:.1} µs | {:.2}× |\n\
         | … of which card text → typed card (front matter, YAML, governance) | {:.1} µs | {:.2}× |\n\
         | … … of which the positioned YAML tree of the front matter | {:.1} µs | {:.2}× |\n\
         | … … … of which the events alone (the plain reader's; saphyr-parser's where it declines) | {:.1} µs | {:.2}× |\n\
         | saphyr-parser's event stream over the same front matter, for comparison | {:.1} µs | {:.2}× |\n\
         | … of which typed card → verdict (entity, request, authorize, findings) | {:.1} µs | {:.2}× |\n\
         | … … of which the Cedar entity and request | {:.1} µs | {:.2}× |\n\
         | raw Cedar `is_authorized`, pre-built request and entities | {:.1} µs | 1.00× |\n\
         | regorus interpreter, same gate in Rego, pre-built input | {:.1} µs | {:.2}× |\n\
         | regorus VM, same gate in Rego, pre-built input | {vm} |",
        p.blocked,
        p.rounds,
        p.text_to_verdict,
        p.text_to_verdict / p.raw_is_authorized,
        p.parse,
        p.parse / p.raw_is_authorized,
        p.tree,
        p.tree / p.raw_is_authorized,
        p.events,
        p.events / p.raw_is_authorized,
        p.saphyr,
        p.saphyr / p.raw_is_authorized,
        p.evaluate,
        p.evaluate / p.raw_is_authorized,
        p.prepare,
        p.prepare / p.raw_is_authorized,
        p.raw_is_authorized,
        p.rego_interpreter,
        p.rego_interpreter / p.raw_is_authorized,
    );
    let _ = p.cards;

    // --changed-since over long histories.
    let _ = writeln!(
        out,
        "\n### `--changed-since` over long histories\n\n\
         A repository of {} cards; `main` has the history below (each commit after the first \
         edits a changelog file); the checked-out branch `feature` is one commit ahead and edits \
         {} cards. `aimsgate check --changed-since main …`, 5 runs each: with the index of ids \
         an earlier run left in `.git/aimsgate/ids`, and without it (removed before each run, as \
         in a fresh clone); the full check of the same repository beside them.\n\n\
         | commits on main | checked | skipped | median wall | without the index of ids | peak memory | full check, median wall |\n\
         |---:|---:|---:|---:|---:|---:|---:|",
        plan.history_cards, plan.changed
    );
    for &commits in &plan.histories {
        let dir = data.join(format!("history-{commits}"));
        progress(&format!("writing a history of {commits} commits"));
        generate::history(&dir, plan.history_cards, commits, plan.changed)?;
        let mut args = check.to_vec();
        args.extend(["--changed-since", "main"]);
        let (checked, skipped) = counted(&bin, &args, &dir)?;
        progress(&format!("--changed-since over {commits} commits"));
        let (wall, _, rss, _) = repeat(&mut runner, &bin, &args, &dir, 5)?;
        let index = dir.join(".git/aimsgate/ids");
        let forget = || match std::fs::remove_file(&index) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("{}: {e}", index.display()))
            }
            _ => Ok(()),
        };
        let (cold, _, cold_rss, _) = repeat_after(&mut runner, &bin, &args, &dir, 5, &forget)?;
        let (full, _, _, _) = repeat(&mut runner, &bin, &check, &dir, 5)?;
        let _ = writeln!(
            out,
            "| {commits} | {checked} | {skipped} | {} | {} | {} | {} |",
            ms(wall),
            ms(cold),
            mb(rss.max(cold_rss)),
            ms(full)
        );
    }
    print!("{out}");
    Ok(())
}

/// Runs the binary `runs` times: median and fastest wall time, the largest peak memory, and
/// the exit code (which must be the same every time).
fn repeat(
    runner: &mut process::Runner,
    bin: &Path,
    args: &[&str],
    dir: &Path,
    runs: usize,
) -> Result<(Duration, Duration, u64, i32), String> {
    repeat_after(runner, bin, args, dir, runs, &|| Ok(()))
}

/// [`repeat`], with `before` done (unmeasured) before each run.
fn repeat_after(
    runner: &mut process::Runner,
    bin: &Path,
    args: &[&str],
    dir: &Path,
    runs: usize,
    before: &dyn Fn() -> Result<(), String>,
) -> Result<(Duration, Duration, u64, i32), String> {
    // One unmeasured run warms the page cache and the binary.
    before()?;
    let first = runner.run(bin, args, dir)?;
    if !(0..=1).contains(&first.exit) {
        return Err(format!(
            "`aimsgate {}` in {} exited with {}: it could not judge the inputs",
            args.join(" "),
            dir.display(),
            first.exit
        ));
    }
    let mut walls = Vec::new();
    let mut rss = 0;
    for _ in 0..runs {
        before()?;
        let r = runner.run(bin, args, dir)?;
        if r.exit != first.exit {
            return Err(format!("exit {} then {}", first.exit, r.exit));
        }
        walls.push(r.wall);
        rss = rss.max(r.max_rss);
    }
    walls.sort();
    Ok((walls[walls.len() / 2], walls[0], rss, first.exit))
}

/// How many models a run checked and skipped (from its JSON report).
fn counted(bin: &Path, args: &[&str], dir: &Path) -> Result<(usize, usize), String> {
    let out = std::process::Command::new(bin)
        .args(args)
        .args(["--format", "json"])
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("the JSON report does not parse: {e}"))?;
    let len = |k: &str| report[k].as_array().map_or(0, Vec::len);
    Ok((len("models"), len("skipped")))
}

/// The machine, for the record.
fn machine(out: &mut String, bin: &Path) {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']))
        })
        .unwrap_or("unknown");
    let memory = read("/proc/meminfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:")
                .map(str::trim)
                .map(str::to_string)
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    let version = std::process::Command::new(bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "### Machine\n\n{cores} cores ({cpu}), {memory} of memory, Linux {}; {version} (release build).",
        read("/proc/sys/kernel/osrelease").trim()
    );
}
