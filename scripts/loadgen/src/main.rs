//! loadgen: a load generator for the shop's JSON API. See README.md and `loadgen --help`.
//! It only ever talks to 127.0.0.1/localhost, and every run is bounded.

mod args;
mod client;
mod pool;
mod report;
mod runner;
mod scenario;
mod stop;

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use args::{Command, Mode, RunArgs, ScenarioArgs};
use report::Report;
use stop::Stop;

const EXIT_SETUP_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_VERDICT_FAIL: u8 = 3;

#[tokio::main]
async fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let command = match args::parse(&argv, &|name| std::env::var(name).ok()) {
        Ok(command) => command,
        // --help and --version end here too, with exit code 0.
        Err(e) => {
            e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    match command {
        Command::Run(args) => run_command(args).await,
        Command::Scenario(args) => scenario_command(args).await,
    }
}

async fn run_command(args: RunArgs) -> ExitCode {
    // Fail on an unwritable --json path now, not after the run.
    let json = match create_json(args.json.as_deref()) {
        Ok(file) => file,
        Err(e) => return fail(EXIT_SETUP_FAILED, &e),
    };
    if let Mode::Closed { concurrency } = args.mode {
        if concurrency > args.users {
            eprintln!("note: {concurrency} workers share {} users; workers wait for an idle user", args.users);
        }
    }
    let stop = Stop::install();
    let prepared = match pool::prepare(&args, &stop).await {
        Ok(prepared) => prepared,
        Err(e) => return fail(EXIT_SETUP_FAILED, &format!("setup failed: {e}")),
    };
    let plan = runner::Plan::new(&args, &prepared.run_id);
    let outcome = match runner::run(plan, prepared.pool, &stop).await {
        Ok(outcome) => outcome,
        Err(e) => return fail(EXIT_SETUP_FAILED, &e),
    };
    let report = Report::build(&args, &outcome);
    print!("{}", report.render());
    if let Some((file, path)) = json {
        let written = serde_json::to_value(&report)
            .map_err(|e| format!("report as JSON: {e}"))
            .and_then(|value| write_json(file, path, &value));
        if let Err(e) = written {
            return fail(EXIT_SETUP_FAILED, &e);
        }
    }
    ExitCode::SUCCESS
}

async fn scenario_command(args: ScenarioArgs) -> ExitCode {
    let json = match create_json(args.run.json.as_deref()) {
        Ok(file) => file,
        Err(e) => return fail(EXIT_SETUP_FAILED, &e),
    };
    let stop = Stop::install();
    let outcome = match scenario::execute(&args, &stop).await {
        Ok(outcome) => outcome,
        Err(e) => return fail(EXIT_SETUP_FAILED, &format!("scenario {}: {e}", args.kind.name())),
    };
    print!("{}", outcome.report.render());
    print!("{}", outcome.verdict.render());
    let mut code = if outcome.verdict.pass { ExitCode::SUCCESS } else { ExitCode::from(EXIT_VERDICT_FAIL) };
    if let Some((file, path)) = json {
        if let Err(e) = write_json(file, path, &outcome.to_json(args.kind)) {
            eprintln!("error: {e}");
            code = ExitCode::from(EXIT_SETUP_FAILED);
        }
    }
    for e in &outcome.cleanup_errors {
        eprintln!("error: {e}; restore it by hand through the admin API");
        code = ExitCode::from(EXIT_SETUP_FAILED);
    }
    code
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

fn create_json(path: Option<&Path>) -> Result<Option<(File, &Path)>, String> {
    path.map(|p| File::create(p).map(|f| (f, p)).map_err(|e| format!("--json {}: {e}", p.display()))).transpose()
}

fn write_json(mut file: File, path: &Path, value: &serde_json::Value) -> Result<(), String> {
    serde_json::to_writer_pretty(&mut file, value)
        .map_err(std::io::Error::from)
        .and_then(|()| file.write_all(b"\n"))
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("report written to {}", path.display());
    Ok(())
}
