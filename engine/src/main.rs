//! The `aimsgate` binary: parses the command line, runs the subcommand (each in `cli/`),
//! renders the errors it returns once, and exits with the verdict's code. The only place,
//! with `cli/`, that prints.

#![allow(
    clippy::print_stderr,
    reason = "the binary is where output is written; the library never prints"
)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, Exit};

/// See Cargo.toml: the allocator is the binary's choice, not the library's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    aimsgate::setting::spell_with(cli::flag);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Allowed
            };
            let _ = e.print();
            return code.into();
        }
    };
    let ran = match cli.command {
        Command::Check(args) => cli::check::run(args),
        Command::Explain(args) => cli::explain::run(&args),
        Command::Controls(args) => cli::controls::run(&args),
        Command::Validate(args) => cli::validate::run(&args),
        Command::Test(args) => cli::test::run(&args),
        Command::Init(args) => cli::init::run(&args),
        Command::Log(args) => cli::log::run(&args),
        Command::Inventory(args) => cli::inventory::run(&args),
        Command::Verify(args) => cli::verify::run(&args),
        Command::VerifyAttestation(args) => cli::verify_attestation::run(&args),
    };
    match ran {
        Ok(exit) => exit.into(),
        Err(errors) => cli::fail(&errors).into(),
    }
}
