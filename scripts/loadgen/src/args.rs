//! Command-line parsing with clap (derive): every value checked as it is parsed, then the
//! rules that span flags, and two guards that cannot be switched off: the target must be this
//! machine (`--base-url` accepts only 127.0.0.1 / localhost), and every run must be bounded by
//! a duration and/or a count.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:3000";
pub const DEFAULT_ADMIN_USERNAME: &str = "demo_admin";
pub const DEFAULT_ADMIN_PASSWORD: &str = "admin-demo-2026";

const MAX_DURATION: Duration = Duration::from_secs(3600);
const MAX_RATE: f64 = 100_000.0;
const MAX_CONCURRENCY: u64 = 10_000;
const MAX_USERS: u64 = 100_000;
const MAX_COUNT: u64 = 100_000_000;

const TOP_ABOUT: &str = "Load generator for the shop's JSON API. It only talks to 127.0.0.1 or localhost, \
and every run is bounded.";

const TOP_AFTER: &str = "\
Run 'loadgen run --help' or 'loadgen scenario <NAME> --help' for the flags.

Exit codes: 0 the load ran (run) or PASS (scenario), 1 setup or an admin call failed,
2 bad arguments, 3 FAIL (scenario).";

const RUN_ABOUT: &str = "\
Register and log in users, then run iterations (POST /api/cart/add, then POST /api/checkout with
a fresh Idempotency-Key) and print a latency/status report.

Give a load shape (--rate or --concurrency) and at least one bound (--duration and/or --count;
the run stops at whichever comes first).";

const RUN_AFTER: &str = "\
Exit code: 0 when the load ran (whatever the server answered), 1 when setup failed, 2 on bad
arguments. Ctrl+C stops early and still prints the report (twice: abandon in-flight iterations).";

const SCENARIO_ABOUT: &str = "\
The spec's checks, each a bounded open-loop run with a verdict line. Every 'loadgen run' flag
applies except --concurrency (scenarios are open loop).";

const SCENARIO_AFTER: &str = "\
Exit code: 0 PASS, 3 FAIL, 1 setup or admin call failed, 2 bad arguments.
The server must run with LOGIN_RATE_LIMIT_PER_MINUTE=0 (or a high value): setup logs in
every simulated user from 127.0.0.1.";

#[derive(Debug, Parser)]
#[command(name = "loadgen", version, about = TOP_ABOUT, after_help = TOP_AFTER)]
#[command(subcommand_required = true, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: TopCommand,
}

#[derive(Debug, Subcommand)]
enum TopCommand {
    /// Register users, then drive add-to-cart + checkout
    #[command(long_about = RUN_ABOUT, after_help = RUN_AFTER)]
    Run(RunFlags),
    /// The spec's checks: performance (P.1), availability and availability-failure (A.1)
    #[command(long_about = SCENARIO_ABOUT, after_help = SCENARIO_AFTER)]
    #[command(subcommand_required = true, arg_required_else_help = true)]
    Scenario {
        #[command(subcommand)]
        scenario: ScenarioCommand,
    },
}

#[derive(Debug, Args)]
struct RunFlags {
    /// Open loop: R iterations/s on a fixed schedule; latency is measured from each iteration's
    /// scheduled time (no coordinated omission)
    #[arg(long, value_name = "R", value_parser = parse_rate, help_heading = "Load shape (pick one)")]
    rate: Option<f64>,
    /// Closed loop: C workers run iterations back to back
    #[arg(long, value_name = "C", value_parser = |v: &str| int_in(v, 1, MAX_CONCURRENCY),
          help_heading = "Load shape (pick one)")]
    concurrency: Option<u64>,
    #[command(flatten)]
    load: LoadFlags,
}

/// The flags of `run` that every scenario shares.
#[derive(Debug, Args)]
struct LoadFlags {
    /// Stop offering iterations after D: 20s, 500ms, 2m, 1.5s (plain numbers are seconds; at most
    /// 1h). Scenarios default to 20s (10s for availability-failure) unless --count is given
    #[arg(long, value_name = "D", value_parser = bounded_duration, help_heading = "Bounds (at least one)")]
    duration: Option<Duration>,
    /// Total iterations, warm-up included
    #[arg(long, value_name = "N", value_parser = |v: &str| int_in(v, 1, MAX_COUNT),
          help_heading = "Bounds (at least one)")]
    count: Option<u64>,
    /// Host must be 127.0.0.1 or localhost, over plain http, without a path
    #[arg(long, value_name = "URL", default_value = DEFAULT_BASE_URL, value_parser = parse_base_url)]
    base_url: Target,
    /// Simulated users, each with its own cookie jar, running one iteration at a time
    #[arg(long, value_name = "N", default_value = "200", value_parser = |v: &str| int_in(v, 1, MAX_USERS))]
    users: u64,
    /// Product to buy (2 is the demo catalogue's Mouse)
    #[arg(long, value_name = "ID", default_value = "2", value_parser = |v: &str| int_in(v, 1, i64::MAX as u64))]
    product_id: u64,
    /// Units added to the cart per iteration
    #[arg(long, value_name = "Q", default_value = "1", value_parser = |v: &str| int_in(v, 1, 1000))]
    quantity: u64,
    /// cash, or card (the test card 4242 4242 4242 4242) [default: cash; card for
    /// availability-failure]
    #[arg(long, value_enum)]
    payment: Option<Payment>,
    /// The first D of the run is left out of the statistics [default: 0s; 2s for performance]
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    warmup: Option<Duration>,
    /// Per-request timeout
    #[arg(long, value_name = "D", default_value = "10s", value_parser = positive_duration)]
    timeout: Duration,
    /// Usernames are P_<run-id>_<n> (1-12 of a-z 0-9 . _ -)
    #[arg(long, value_name = "P", default_value = "lg", value_parser = parse_user_prefix)]
    user_prefix: String,
    /// Registrations/logins at a time (hashing is slow on purpose)
    #[arg(long, value_name = "N", default_value = "8", value_parser = |v: &str| int_in(v, 1, 64))]
    setup_parallelism: u64,
    /// Give up on setup after D
    #[arg(long, value_name = "D", default_value = "5m", value_parser = positive_duration)]
    setup_timeout: Duration,
    /// Also write the report as JSON
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum ScenarioCommand {
    /// P.1: logs in as admin, reads the checkout throttle, sets it to --throttle-rps /
    /// --throttle-burst, restocks the product, runs 1000/s for 20s (2s warm-up), restores the
    /// throttle. Target: accepted-checkout p95 <= 50 ms and no 5xx
    Performance {
        #[command(flatten)]
        common: ScenarioFlags,
        /// Checkout throttle during the run (0 turns it off)
        #[arg(long, value_name = "N", default_value = "400", value_parser = |v: &str| int_in(v, 0, 1_000_000))]
        throttle_rps: u64,
        /// Throttle burst
        #[arg(long, value_name = "N", default_value = "50", value_parser = |v: &str| int_in(v, 0, 1_000_000))]
        throttle_burst: u64,
    },
    /// A.1 load: restocks the product and runs 1000/s for 20s. Target: acceptance = 200s /
    /// (checkouts that were not 429) >= 99.9 % and no 5xx
    Availability {
        #[command(flatten)]
        common: ScenarioFlags,
    },
    /// A.1 failure: sets the payment provider's failure rate, restocks, runs 1000/s for 10s,
    /// heals the provider and polls every 500 ms until the breaker is closed and no payment jobs
    /// are pending. Target: acceptance >= 99.9 %, no 5xx, recovery within --recovery-timeout and
    /// the server's last_mttr_seconds <= 30
    AvailabilityFailure {
        #[command(flatten)]
        common: ScenarioFlags,
        /// Provider failure rate during the run, 0 to 1
        #[arg(long, value_name = "F", default_value = "1.0", value_parser = parse_share)]
        failure_rate: f64,
        /// How long to wait for recovery after healing
        #[arg(long, value_name = "D", default_value = "120s", value_parser = positive_duration)]
        recovery_timeout: Duration,
    },
}

#[derive(Debug, Args)]
struct ScenarioFlags {
    /// Iterations/s offered (open loop)
    #[arg(long, value_name = "R", default_value = "1000", value_parser = parse_rate)]
    rate: f64,
    #[command(flatten)]
    load: LoadFlags,
    /// Admin account [default: $ADMIN_USERNAME, else demo_admin]
    #[arg(long, value_name = "U", value_parser = non_empty)]
    admin_username: Option<String>,
    /// Its password [default: $ADMIN_PASSWORD, else admin-demo-2026]
    #[arg(long, value_name = "P", value_parser = non_empty)]
    admin_password: Option<String>,
    /// Stock set on the product before the load
    #[arg(long, value_name = "N", default_value = "1000000", value_parser = |v: &str| int_in(v, 1, 1_000_000_000))]
    restock: u64,
}

/// Why the arguments were refused: clap's own error (it also carries `--help` and `--version`,
/// which are printed to stdout with exit code 0), or a rule that spans flags.
#[derive(Debug)]
pub enum ArgError {
    Clap(clap::Error),
    Invalid { message: String, help_hint: &'static str },
}

impl ArgError {
    /// 0 for help and version, 2 for bad arguments.
    pub fn exit_code(&self) -> i32 {
        match self {
            ArgError::Clap(e) => e.exit_code(),
            ArgError::Invalid { .. } => 2,
        }
    }

    /// Prints the message where it belongs: help and version to stdout, errors to stderr.
    pub fn print(&self) {
        match self {
            ArgError::Clap(e) => {
                let _ = e.print();
            }
            ArgError::Invalid { .. } => eprintln!("error: {self}"),
        }
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::Clap(e) => write!(f, "{e}"),
            ArgError::Invalid { message, help_hint } => write!(f, "{message}\n\nRun '{help_hint}' for usage."),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Run(RunArgs),
    Scenario(ScenarioArgs),
}

/// A base URL that passed the local-only guard: `http://<host>:<port>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub host: String,
    pub port: u16,
}

impl Target {
    pub fn base_url(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// Iterations per second on a fixed schedule.
    Open { rate: f64 },
    /// Workers looping back to back.
    Closed { concurrency: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Payment {
    Cash,
    Card,
}

impl Payment {
    pub fn as_str(self) -> &'static str {
        match self {
            Payment::Cash => "cash",
            Payment::Card => "card",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunArgs {
    pub target: Target,
    pub users: usize,
    pub product_id: i64,
    pub quantity: u32,
    pub mode: Mode,
    pub duration: Option<Duration>,
    pub count: Option<u64>,
    pub warmup: Duration,
    pub payment: Payment,
    pub timeout: Duration,
    pub user_prefix: String,
    pub setup_parallelism: usize,
    pub setup_timeout: Duration,
    pub json: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioKind {
    Performance,
    Availability,
    AvailabilityFailure,
}

impl ScenarioKind {
    pub fn name(self) -> &'static str {
        match self {
            ScenarioKind::Performance => "performance",
            ScenarioKind::Availability => "availability",
            ScenarioKind::AvailabilityFailure => "availability-failure",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioArgs {
    pub kind: ScenarioKind,
    pub run: RunArgs,
    pub admin_username: String,
    pub admin_password: String,
    pub restock: i64,
    pub throttle_rps: u32,
    pub throttle_burst: u32,
    pub failure_rate: f64,
    pub recovery_timeout: Duration,
}

/// Parses the arguments after the program name. `env` looks up environment variables
/// (ADMIN_USERNAME, ADMIN_PASSWORD), so tests can pass their own.
pub fn parse(args: &[String], env: &dyn Fn(&str) -> Option<String>) -> Result<Command, ArgError> {
    let argv = std::iter::once("loadgen").chain(args.iter().map(String::as_str));
    let cli = Cli::try_parse_from(argv).map_err(ArgError::Clap)?;
    match cli.command {
        TopCommand::Run(flags) => run_args(flags)
            .map(Command::Run)
            .map_err(|message| ArgError::Invalid { message, help_hint: "loadgen run --help" }),
        TopCommand::Scenario { scenario } => {
            let help_hint = match scenario {
                ScenarioCommand::Performance { .. } => "loadgen scenario performance --help",
                ScenarioCommand::Availability { .. } => "loadgen scenario availability --help",
                ScenarioCommand::AvailabilityFailure { .. } => "loadgen scenario availability-failure --help",
            };
            scenario_args(scenario, env)
                .map(Command::Scenario)
                .map_err(|message| ArgError::Invalid { message, help_hint })
        }
    }
}

fn run_args(flags: RunFlags) -> Result<RunArgs, String> {
    let mode = match (flags.rate, flags.concurrency) {
        (Some(_), Some(_)) => {
            return Err("--rate (open loop) and --concurrency (closed loop) exclude each other".into())
        }
        (Some(rate), None) => Mode::Open { rate },
        (None, Some(c)) => Mode::Closed { concurrency: to_usize(c) },
        (None, None) => return Err("choose a load shape: --rate R (open loop) or --concurrency C (closed loop)".into()),
    };
    load_args(flags.load, mode, &LoadDefaults::default())
}

/// What `run` and the scenarios default to when a flag is absent.
struct LoadDefaults {
    duration: Option<Duration>,
    warmup: Duration,
    payment: Payment,
}

impl Default for LoadDefaults {
    fn default() -> Self {
        LoadDefaults { duration: None, warmup: Duration::ZERO, payment: Payment::Cash }
    }
}

impl LoadDefaults {
    fn for_scenario(kind: ScenarioKind) -> Self {
        LoadDefaults {
            duration: Some(match kind {
                ScenarioKind::AvailabilityFailure => Duration::from_secs(10),
                _ => Duration::from_secs(20),
            }),
            warmup: match kind {
                ScenarioKind::Performance => Duration::from_secs(2),
                _ => Duration::ZERO,
            },
            // Cash orders never reach the payment provider, so only card checkouts exercise it.
            payment: match kind {
                ScenarioKind::AvailabilityFailure => Payment::Card,
                _ => Payment::Cash,
            },
        }
    }
}

/// The bounded-run rule and the rest of the cross-flag checks.
fn load_args(flags: LoadFlags, mode: Mode, defaults: &LoadDefaults) -> Result<RunArgs, String> {
    let count = flags.count;
    let duration = flags.duration.or(if count.is_none() { defaults.duration } else { None });
    if duration.is_none() && count.is_none() {
        return Err("unbounded run refused: give --duration (e.g. 20s) and/or --count (iterations)".into());
    }
    let warmup = flags.warmup.unwrap_or(defaults.warmup);
    if let Some(d) = duration {
        if warmup >= d {
            return Err(format!(
                "--warmup ({}) must be shorter than --duration ({})",
                show_duration(warmup),
                show_duration(d)
            ));
        }
    }
    Ok(RunArgs {
        target: flags.base_url,
        users: to_usize(flags.users),
        product_id: i64::try_from(flags.product_id).unwrap_or(i64::MAX),
        quantity: u32::try_from(flags.quantity).unwrap_or(u32::MAX),
        mode,
        duration,
        count,
        warmup,
        payment: flags.payment.unwrap_or(defaults.payment),
        timeout: flags.timeout,
        user_prefix: flags.user_prefix,
        setup_parallelism: to_usize(flags.setup_parallelism),
        setup_timeout: flags.setup_timeout,
        json: flags.json,
    })
}

fn scenario_args(command: ScenarioCommand, env: &dyn Fn(&str) -> Option<String>) -> Result<ScenarioArgs, String> {
    let (kind, common, throttle, failure) = match command {
        ScenarioCommand::Performance { common, throttle_rps, throttle_burst } => {
            (ScenarioKind::Performance, common, (throttle_rps, throttle_burst), None)
        }
        ScenarioCommand::Availability { common } => (ScenarioKind::Availability, common, (400, 50), None),
        ScenarioCommand::AvailabilityFailure { common, failure_rate, recovery_timeout } => {
            (ScenarioKind::AvailabilityFailure, common, (400, 50), Some((failure_rate, recovery_timeout)))
        }
    };
    let (throttle_rps, throttle_burst) = throttle;
    if throttle_rps > 0 && throttle_burst == 0 {
        return Err("--throttle-burst must be at least 1 when --throttle-rps is above 0".into());
    }
    let run = load_args(common.load, Mode::Open { rate: common.rate }, &LoadDefaults::for_scenario(kind))?;
    let (failure_rate, recovery_timeout) = failure.unwrap_or((1.0, Duration::from_secs(120)));
    let from_env = |name: &str| env(name).filter(|v| !v.is_empty());
    Ok(ScenarioArgs {
        kind,
        run,
        admin_username: common
            .admin_username
            .or_else(|| from_env("ADMIN_USERNAME"))
            .unwrap_or_else(|| DEFAULT_ADMIN_USERNAME.to_owned()),
        admin_password: common
            .admin_password
            .or_else(|| from_env("ADMIN_PASSWORD"))
            .unwrap_or_else(|| DEFAULT_ADMIN_PASSWORD.to_owned()),
        restock: i64::try_from(common.restock).unwrap_or(i64::MAX),
        throttle_rps: u32::try_from(throttle_rps).unwrap_or(u32::MAX),
        throttle_burst: u32::try_from(throttle_burst).unwrap_or(u32::MAX),
        failure_rate,
        recovery_timeout,
    })
}

/// Values are range-checked when parsed, far below `usize::MAX`.
fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn bounded_duration(v: &str) -> Result<Duration, String> {
    let d = positive_duration(v)?;
    if d > MAX_DURATION {
        Err("must be at most 1h".into())
    } else {
        Ok(d)
    }
}

fn parse_user_prefix(v: &str) -> Result<String, String> {
    let ok = (1..=12).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(v.to_owned())
    } else {
        Err("expected 1-12 characters of a-z, 0-9, '.', '_' or '-'".into())
    }
}

fn parse_share(v: &str) -> Result<f64, String> {
    let f: f64 = v.parse().map_err(|_| "expected a number".to_owned())?;
    if (0.0..=1.0).contains(&f) {
        Ok(f)
    } else {
        Err("expected a number from 0 to 1".into())
    }
}

fn non_empty(v: &str) -> Result<String, String> {
    if v.is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(v.to_owned())
    }
}

/// Accepts only `http://127.0.0.1[:port][/]` and `http://localhost[:port][/]`.
pub fn parse_base_url(input: &str) -> Result<Target, String> {
    let lower = input.to_ascii_lowercase();
    let rest = if let Some(rest) = lower.strip_prefix("http://") {
        rest
    } else if lower.starts_with("https://") {
        return Err(format!("'{input}': https is not supported; the target is a local server over plain http"));
    } else {
        return Err(format!("'{input}' is not an http:// URL (e.g. {DEFAULT_BASE_URL})"));
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#']) {
        return Err(format!("'{input}' has a path; give only the origin, e.g. {DEFAULT_BASE_URL}"));
    }
    if authority.contains('@') {
        return Err(format!("'{input}': credentials in the URL are not supported"));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            let port: u16 =
                port.parse().ok().filter(|p| *p != 0).ok_or_else(|| format!("'{input}': bad port '{port}'"))?;
            (host, port)
        }
        _ => (authority, 80),
    };
    if host != "127.0.0.1" && host != "localhost" {
        let shown = if host.is_empty() { "(none)" } else { host };
        return Err(format!("refusing to send load to host {shown}: only 127.0.0.1 and localhost are allowed"));
    }
    Ok(Target { host: host.to_owned(), port })
}

/// `20s`, `500ms`, `2m`, `1h`, `1.5s`; a plain number is seconds.
pub fn parse_duration(v: &str) -> Result<Duration, String> {
    let v = v.trim();
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let number: f64 = number.parse().map_err(|_| "expected a duration like 20s, 500ms or 2m".to_owned())?;
    let seconds = match unit {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(format!("unknown unit '{unit}' (use ms, s, m or h)")),
    };
    if !seconds.is_finite() || seconds > 86_400.0 {
        return Err("duration too long".into());
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn positive_duration(v: &str) -> Result<Duration, String> {
    let d = parse_duration(v)?;
    if d.is_zero() {
        Err("must be more than zero".into())
    } else {
        Ok(d)
    }
}

fn parse_rate(v: &str) -> Result<f64, String> {
    let rate: f64 = v.parse().map_err(|_| "expected iterations per second, e.g. 1000".to_owned())?;
    if rate.is_finite() && rate > 0.0 && rate <= MAX_RATE {
        Ok(rate)
    } else {
        Err(format!("expected more than 0 and at most {MAX_RATE}"))
    }
}

fn int_in(v: &str, min: u64, max: u64) -> Result<u64, String> {
    let n: u64 = v.replace('_', "").parse().map_err(|_| "expected a whole number".to_owned())?;
    if n < min || n > max {
        Err(format!("expected {min}..={max}"))
    } else {
        Ok(n)
    }
}

pub fn show_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse_words(line: &str) -> Result<Command, ArgError> {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        parse(&args, &no_env)
    }

    fn run(line: &str) -> RunArgs {
        match parse_words(line) {
            Ok(Command::Run(r)) => r,
            other => panic!("expected a run for '{line}', got {other:?}"),
        }
    }

    fn error(line: &str) -> String {
        match parse_words(line) {
            Err(e) => {
                assert_eq!(e.exit_code(), 2, "'{line}' is a usage error: {e}");
                e.to_string()
            }
            Ok(other) => panic!("expected an error for '{line}', got {other:?}"),
        }
    }

    /// `--help` / `--version`: clap's text, printed to stdout with exit code 0.
    fn shown(line: &str) -> String {
        match parse_words(line) {
            Err(e @ ArgError::Clap(_)) if e.exit_code() == 0 => e.to_string(),
            other => panic!("expected help or version for '{line}', got {other:?}"),
        }
    }

    #[test]
    fn full_run_line_parses() {
        let r = run("run --base-url http://127.0.0.1:3000 --users 200 --product-id 2 --quantity 1 \
             --rate 1000 --duration 20s --count 5000 --payment card --warmup 2s \
             --json out.json --user-prefix lg --timeout 3s");
        assert_eq!(r.target.base_url(), "http://127.0.0.1:3000");
        assert_eq!(r.users, 200);
        assert_eq!(r.product_id, 2);
        assert_eq!(r.quantity, 1);
        assert_eq!(r.mode, Mode::Open { rate: 1000.0 });
        assert_eq!(r.duration, Some(Duration::from_secs(20)));
        assert_eq!(r.count, Some(5000));
        assert_eq!(r.payment, Payment::Card);
        assert_eq!(r.warmup, Duration::from_secs(2));
        assert_eq!(r.json, Some(PathBuf::from("out.json")));
        assert_eq!(r.user_prefix, "lg");
        assert_eq!(r.timeout, Duration::from_secs(3));
    }

    #[test]
    fn defaults_and_equals_syntax() {
        let r = run("run --concurrency=16 --count=100");
        assert_eq!(r.mode, Mode::Closed { concurrency: 16 });
        assert_eq!(r.target.base_url(), DEFAULT_BASE_URL);
        assert_eq!(r.users, 200);
        assert_eq!(r.product_id, 2);
        assert_eq!(r.payment, Payment::Cash);
        assert_eq!(r.timeout, Duration::from_secs(10));
        assert_eq!(r.duration, None);
        assert_eq!(r.warmup, Duration::ZERO);
        assert_eq!(r.setup_parallelism, 8);
    }

    #[test]
    fn help_and_version() {
        let top = shown("--help");
        assert!(top.contains("only talks to 127.0.0.1 or localhost") && top.contains("scenario"), "{top}");
        assert_eq!(shown("help"), top);
        let run_help = shown("run --help");
        for flag in ["--rate <R>", "--concurrency <C>", "--duration <D>", "--count <N>", "--base-url <URL>", "--json"] {
            assert!(run_help.contains(flag), "run --help lists {flag}: {run_help}");
        }
        assert_eq!(shown("run --rate 5 -h"), shown("run -h"));
        let performance = shown("scenario performance --help");
        assert!(performance.contains("--throttle-rps") && !performance.contains("--concurrency"), "{performance}");
        assert!(!shown("scenario availability --help").contains("--throttle-rps"));
        assert!(shown("scenario --help").contains("availability-failure"));
        assert_eq!(shown("--version").trim(), format!("loadgen {}", env!("CARGO_PKG_VERSION")));
        // Nothing at all: the help, as a usage error.
        let bare = parse_words("").expect_err("no subcommand");
        assert!(bare.to_string().contains("Usage:"), "{bare}");
    }

    #[test]
    fn bad_input_is_explained() {
        assert!(error("fly").contains("unrecognized subcommand 'fly'"));
        assert!(error("--rate 5").contains("unexpected argument '--rate'"));
        assert!(error("run --rate 10 --duration 5s --bogus 1").contains("unexpected argument '--bogus'"));
        assert!(error("run --rate 10 --duration").contains("a value is required for '--duration <D>'"));
        assert!(error("run --rate --duration 5s").contains("a value is required for '--rate <R>'"));
        let bad_rate = error("run --rate abc --duration 5s");
        assert!(bad_rate.contains("'--rate <R>'") && bad_rate.contains("expected iterations"), "{bad_rate}");
        assert!(error("run --rate 0 --duration 5s").contains("--rate"));
        assert!(error("run --rate 10 --rate 20 --duration 5s").contains("cannot be used multiple times"));
        assert!(error("run --rate 10 --duration 5 extra").contains("unexpected argument 'extra'"));
        assert!(error("run --rate 10 --duration 5x").contains("unknown unit 'x'"));
        assert!(error("run --rate 10 --duration 0s").contains("more than zero"));
        assert!(error("run --rate 10 --duration 2h").contains("at most 1h"));
        assert!(error("run --rate 10 --duration 5s --users 0").contains("--users"));
        assert!(error("run --rate 10 --duration 5s --payment bitcoin").contains("[possible values: cash, card]"));
        assert!(error("run --rate 10 --duration 5s --user-prefix Bad!").contains("--user-prefix"));
        assert!(error("run --rate 10 --duration 5s --warmup 5s").contains("shorter than"));
        assert!(error("run --duration 5s").contains("choose a load shape"));
        assert!(error("run --rate 5 --concurrency 2 --duration 5s").contains("exclude each other"));
    }

    #[test]
    fn unbounded_runs_are_refused() {
        assert!(error("run --rate 100").contains("unbounded run refused"));
        assert!(error("run --concurrency 4").contains("unbounded run refused"));
        // Either bound alone is enough.
        assert_eq!(run("run --rate 100 --count 10").count, Some(10));
        assert_eq!(run("run --rate 100 --duration 1m").duration, Some(Duration::from_secs(60)));
    }

    #[test]
    fn only_local_targets_are_accepted() {
        for ok in [
            "http://127.0.0.1:3000",
            "http://127.0.0.1:3000/",
            "http://localhost:8080",
            "HTTP://LOCALHOST:1",
            "http://127.0.0.1",
        ] {
            assert!(parse_base_url(ok).is_ok(), "{ok} should be accepted");
        }
        assert_eq!(parse_base_url("http://127.0.0.1").unwrap().port, 80);
        for bad in [
            "http://10.0.0.5:3000",
            "http://192.168.1.2",
            "http://example.com",
            "http://127.0.0.2:3000",
            "http://127.0.0.1.example.com:3000",
            "http://localhost.evil:3000",
            "http://evil@127.0.0.1:3000",
            "http://127.0.0.1@evil.com",
            "http://[::1]:3000",
            "https://127.0.0.1:3000",
            "ftp://127.0.0.1",
            "127.0.0.1:3000",
            "http://127.0.0.1:3000/api",
            "http://127.0.0.1:0",
            "http://127.0.0.1:99999",
            "http://:3000",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad} should be refused");
        }
        assert!(error("run --rate 1 --count 1 --base-url http://8.8.8.8:80").contains("only 127.0.0.1 and localhost"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20s").unwrap(), Duration::from_secs(20));
        assert_eq!(parse_duration("20").unwrap(), Duration::from_secs(20));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("5 days").is_err());
    }

    #[test]
    fn scenario_defaults() {
        let Command::Scenario(s) = parse_words("scenario performance").unwrap() else { panic!("expected a scenario") };
        assert_eq!(s.kind, ScenarioKind::Performance);
        assert_eq!(s.run.mode, Mode::Open { rate: 1000.0 });
        assert_eq!(s.run.duration, Some(Duration::from_secs(20)));
        assert_eq!(s.run.warmup, Duration::from_secs(2));
        assert_eq!((s.throttle_rps, s.throttle_burst), (400, 50));
        assert_eq!(s.restock, 1_000_000);
        assert_eq!(s.admin_username, DEFAULT_ADMIN_USERNAME);
        assert_eq!(s.run.payment, Payment::Cash);
        assert_eq!(s.admin_password, DEFAULT_ADMIN_PASSWORD);

        let Command::Scenario(s) = parse_words("scenario availability-failure --rate 200").unwrap() else {
            panic!("expected a scenario")
        };
        assert_eq!(s.run.duration, Some(Duration::from_secs(10)));
        assert_eq!(s.run.warmup, Duration::ZERO);
        assert_eq!(s.run.mode, Mode::Open { rate: 200.0 });
        assert_eq!(s.failure_rate, 1.0);
        assert_eq!(s.run.payment, Payment::Card);
        assert_eq!(s.recovery_timeout, Duration::from_secs(120));

        // A count alone bounds a scenario instead of the default duration.
        let Command::Scenario(s) = parse_words("scenario availability --count 50").unwrap() else {
            panic!("expected a scenario")
        };
        assert_eq!((s.run.duration, s.run.count), (None, Some(50)));
    }

    #[test]
    fn scenario_errors() {
        assert!(error("scenario").contains("Usage: loadgen scenario"), "a scenario name is required");
        assert!(error("scenario chaos").contains("unrecognized subcommand 'chaos'"));
        // Scenarios are open loop; each takes only its own flags.
        assert!(error("scenario availability --concurrency 4").contains("unexpected argument '--concurrency'"));
        assert!(error("scenario availability --throttle-rps 5").contains("unexpected argument '--throttle-rps'"));
        assert!(error("scenario performance --failure-rate 0.5").contains("unexpected argument '--failure-rate'"));
        assert!(error("scenario availability-failure --failure-rate 1.5").contains("0 to 1"));
        assert!(error("scenario performance --throttle-burst 0").contains("at least 1"));
        assert!(error("run --rate 1 --count 1 --restock 5").contains("unexpected argument '--restock'"));
        assert!(error("scenario performance --duration 2h").contains("at most 1h"), "bounded there too");
        assert!(error("scenario performance --base-url http://1.2.3.4").contains("refusing"));
    }

    #[test]
    fn admin_credentials_come_from_flags_then_env_then_defaults() {
        let env = |name: &str| match name {
            "ADMIN_USERNAME" => Some("ops".to_owned()),
            "ADMIN_PASSWORD" => Some("from-env-123".to_owned()),
            _ => None,
        };
        let args = |line: &str| -> Vec<String> { line.split_whitespace().map(str::to_owned).collect() };
        let Ok(Command::Scenario(s)) = parse(&args("scenario availability"), &env) else {
            panic!("expected a scenario")
        };
        assert_eq!((s.admin_username.as_str(), s.admin_password.as_str()), ("ops", "from-env-123"));
        let Ok(Command::Scenario(s)) =
            parse(&args("scenario availability --admin-username boss --admin-password flag-pass-1"), &env)
        else {
            panic!("expected a scenario")
        };
        assert_eq!((s.admin_username.as_str(), s.admin_password.as_str()), ("boss", "flag-pass-1"));
    }
}
