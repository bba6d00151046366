//! Command-line parsing, by hand: `--flag value` or `--flag=value`, every value checked, and
//! two guards that cannot be switched off: the target must be this machine, and every run
//! must be bounded by a duration and/or a count.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:3000";
pub const DEFAULT_ADMIN_USERNAME: &str = "demo_admin";
pub const DEFAULT_ADMIN_PASSWORD: &str = "admin-demo-2026";

const MAX_DURATION: Duration = Duration::from_secs(3600);
const MAX_RATE: f64 = 100_000.0;
const MAX_CONCURRENCY: u64 = 10_000;
const MAX_USERS: u64 = 100_000;
const MAX_COUNT: u64 = 100_000_000;

pub const TOP_HELP: &str = "\
loadgen: load generator for the shop's JSON API. It only talks to 127.0.0.1 or localhost.

Usage:
  loadgen run [FLAGS]                   register users, then drive add-to-cart + checkout
  loadgen scenario performance [FLAGS]  P.1: throttled checkout latency (p95 <= 50 ms)
  loadgen scenario availability [FLAGS] A.1 load: acceptance >= 99.9 %
  loadgen scenario availability-failure [FLAGS]
                                        A.1 failure: provider down, then heal and time recovery
  loadgen help | --help | --version

Run 'loadgen run --help' or 'loadgen scenario --help' for the flags.
";

pub const RUN_HELP: &str = "\
loadgen run: register and log in users, then run iterations (POST /api/cart/add, then
POST /api/checkout with a fresh Idempotency-Key) and print a latency/status report.

Usage:
  loadgen run (--rate R | --concurrency C) (--duration D | --count N) [FLAGS]

Load shape (pick one):
  --rate R               open loop: R iterations/s on a fixed schedule; latency is measured
                         from each iteration's scheduled time (no coordinated omission)
  --concurrency C        closed loop: C workers run iterations back to back

Bounds (at least one; the run stops at whichever comes first):
  --duration D           e.g. 20s, 500ms, 2m, 1.5s (plain numbers are seconds; max 1h)
  --count N              total iterations, warm-up included

Flags:
  --base-url URL         default http://127.0.0.1:3000 (host must be 127.0.0.1 or localhost)
  --users N              simulated users, each with its own cookie jar (default 200)
  --product-id ID        product to buy (default 2, the demo catalogue's Mouse)
  --quantity Q           units added to the cart per iteration (default 1)
  --payment cash|card    default cash; card uses the test card 4242 4242 4242 4242
  --warmup D             the first D of the run is left out of the statistics (default 0s)
  --timeout D            per-request timeout (default 10s)
  --user-prefix P        usernames are P_<run-id>_<n> (default lg; 1-12 of a-z 0-9 . _ -)
  --setup-parallelism N  registrations/logins at a time (default 8)
  --setup-timeout D      give up on setup after D (default 5m)
  --json FILE            also write the report as JSON
  -h, --help             this text

Exit code: 0 when the load ran (whatever the server answered), 1 when setup failed,
2 on bad arguments. Ctrl+C stops early and still prints the report (twice: abandon
in-flight iterations).
";

pub const SCENARIO_HELP: &str = "\
loadgen scenario: the spec's checks, each a bounded open-loop run with a verdict line.

Usage:
  loadgen scenario performance [FLAGS]
      Logs in as admin, reads the checkout throttle, sets it to --throttle-rps/--throttle-burst,
      restocks the product, runs 1000/s for 20s (2s warm-up), restores the throttle.
      Target (P.1): accepted-checkout p95 <= 50 ms and no 5xx.
  loadgen scenario availability [FLAGS]
      Restocks the product and runs 1000/s for 20s.
      Target (A.1): acceptance = 200s / (checkouts that were not 429) >= 99.9 % and no 5xx.
  loadgen scenario availability-failure [FLAGS]
      Sets the payment provider's failure rate to --failure-rate, restocks, runs 1000/s for
      10s, heals the provider and polls it every 500 ms until the breaker is closed and no
      payment jobs are pending. Target (A.1): acceptance >= 99.9 %, no 5xx, recovery seen
      within --recovery-timeout and the server's last_mttr_seconds <= 30.

Every 'loadgen run' flag applies except --concurrency (scenarios are open loop); defaults
are --rate 1000, --duration 20s (10s for availability-failure), --users 200, --warmup 2s
for performance and 0s for the availability scenarios (every request counts there),
--payment cash, except card for availability-failure (cash orders never reach the
payment provider, so they cannot exercise its breaker).

Scenario flags:
  --admin-username U     default $ADMIN_USERNAME, else demo_admin
  --admin-password P     default $ADMIN_PASSWORD, else admin-demo-2026
  --restock N            stock set on the product before the load (default 1000000)
  --throttle-rps N       performance: checkout throttle during the run (default 400)
  --throttle-burst N     performance: throttle burst (default 50)
  --failure-rate F       availability-failure: provider failure rate 0..1 (default 1.0)
  --recovery-timeout D   availability-failure: how long to wait for recovery (default 120s)

Exit code: 0 PASS, 3 FAIL, 1 setup or admin call failed, 2 bad arguments.
The server must run with LOGIN_RATE_LIMIT_PER_MINUTE=0 (or a high value): setup logs in
every simulated user from 127.0.0.1.
";

/// A usage error, shown with a pointer to the relevant help text.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgError {
    pub message: String,
    pub help_hint: &'static str,
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n\nRun '{}' for usage.", self.message, self.help_hint)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Help(&'static str),
    Version,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Flags shared by `run` and every scenario (each takes a value).
const RUN_FLAGS: &[&str] = &[
    "base-url",
    "users",
    "product-id",
    "quantity",
    "rate",
    "concurrency",
    "duration",
    "count",
    "warmup",
    "payment",
    "timeout",
    "user-prefix",
    "setup-parallelism",
    "setup-timeout",
    "json",
];

const SCENARIO_FLAGS: &[&str] = &[
    "admin-username",
    "admin-password",
    "restock",
    "throttle-rps",
    "throttle-burst",
    "failure-rate",
    "recovery-timeout",
];

/// Parses the arguments after the program name. `env` looks up environment variables
/// (ADMIN_USERNAME, ADMIN_PASSWORD), so tests can pass their own.
pub fn parse(args: &[String], env: &dyn Fn(&str) -> Option<String>) -> Result<Command, ArgError> {
    let top = |message: String| ArgError { message, help_hint: "loadgen --help" };
    let Some(first) = args.first() else {
        return Ok(Command::Help(TOP_HELP));
    };
    match first.as_str() {
        "-h" | "--help" | "help" => Ok(Command::Help(TOP_HELP)),
        "-V" | "--version" => Ok(Command::Version),
        "run" => {
            let rest = &args[1..];
            if wants_help(rest) {
                return Ok(Command::Help(RUN_HELP));
            }
            parse_run(rest).map(Command::Run).map_err(|message| ArgError { message, help_hint: "loadgen run --help" })
        }
        "scenario" => {
            let rest = &args[1..];
            let hint = "loadgen scenario --help";
            let Some(name) = rest.first() else {
                return Err(ArgError {
                    message: "missing scenario name: performance, availability or availability-failure".into(),
                    help_hint: hint,
                });
            };
            if wants_help(rest) {
                return Ok(Command::Help(SCENARIO_HELP));
            }
            let kind = match name.as_str() {
                "performance" => ScenarioKind::Performance,
                "availability" => ScenarioKind::Availability,
                "availability-failure" => ScenarioKind::AvailabilityFailure,
                other => {
                    return Err(ArgError {
                        message: format!(
                            "unknown scenario '{other}': expected performance, availability or availability-failure"
                        ),
                        help_hint: hint,
                    })
                }
            };
            parse_scenario(kind, &rest[1..], env)
                .map(Command::Scenario)
                .map_err(|message| ArgError { message, help_hint: hint })
        }
        other if other.starts_with('-') => {
            Err(top(format!("expected a subcommand (run or scenario) before '{other}'")))
        }
        other => Err(top(format!("unknown subcommand '{other}': expected run or scenario"))),
    }
}

fn wants_help(args: &[String]) -> bool {
    args.iter().any(|a| a == "-h" || a == "--help")
}

/// Raw flag values by name, after checking names, duplicates and missing values.
struct Flags(BTreeMap<String, String>);

impl Flags {
    fn collect(args: &[String], allowed: &[&[&str]]) -> Result<Flags, String> {
        let is_allowed = |name: &str| allowed.iter().any(|set| set.contains(&name));
        let mut values = BTreeMap::new();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            let Some(body) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument '{arg}' (flags look like --name value)"));
            };
            let (name, inline) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (body, None),
            };
            if !is_allowed(name) {
                return Err(format!("unknown flag --{name}"));
            }
            let value = match inline {
                Some(value) => value,
                None => match iter.next() {
                    Some(value) if !value.starts_with("--") => value.clone(),
                    _ => return Err(format!("--{name} needs a value")),
                },
            };
            if values.insert(name.to_owned(), value).is_some() {
                return Err(format!("--{name} given more than once"));
            }
        }
        Ok(Flags(values))
    }

    fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn get<T>(&self, name: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, String> {
        self.raw(name).map(|v| parse(v).map_err(|e| format!("--{name}: {e} (got '{v}')"))).transpose()
    }
}

fn parse_run(args: &[String]) -> Result<RunArgs, String> {
    let flags = Flags::collect(args, &[RUN_FLAGS])?;
    let run = run_args(&flags, &RunDefaults::default())?;
    Ok(run)
}

/// What `run` and the scenarios default to when a flag is absent.
struct RunDefaults {
    rate: Option<f64>,
    duration: Option<Duration>,
    warmup: Duration,
    payment: Payment,
}

impl Default for RunDefaults {
    fn default() -> Self {
        RunDefaults { rate: None, duration: None, warmup: Duration::ZERO, payment: Payment::Cash }
    }
}

fn run_args(flags: &Flags, defaults: &RunDefaults) -> Result<RunArgs, String> {
    let target =
        parse_base_url(flags.raw("base-url").unwrap_or(DEFAULT_BASE_URL)).map_err(|e| format!("--base-url: {e}"))?;
    let users = flags.get("users", |v| int_in(v, 1, MAX_USERS))?.unwrap_or(200) as usize;
    let product_id = flags.get("product-id", |v| int_in(v, 1, i64::MAX as u64))?.unwrap_or(2) as i64;
    let quantity = flags.get("quantity", |v| int_in(v, 1, 1000))?.unwrap_or(1) as u32;

    let rate = flags.get("rate", parse_rate)?;
    let concurrency = flags.get("concurrency", |v| int_in(v, 1, MAX_CONCURRENCY))?;
    let mode = match (rate, concurrency) {
        (Some(_), Some(_)) => {
            return Err("--rate (open loop) and --concurrency (closed loop) exclude each other".into())
        }
        (Some(rate), None) => Mode::Open { rate },
        (None, Some(c)) => Mode::Closed { concurrency: c as usize },
        (None, None) => match defaults.rate {
            Some(rate) => Mode::Open { rate },
            None => return Err("choose a load shape: --rate R (open loop) or --concurrency C (closed loop)".into()),
        },
    };

    let duration = flags.get("duration", |v| {
        let d = parse_duration(v)?;
        if d.is_zero() {
            Err("must be more than zero".into())
        } else if d > MAX_DURATION {
            Err("must be at most 1h".into())
        } else {
            Ok(d)
        }
    })?;
    let count = flags.get("count", |v| int_in(v, 1, MAX_COUNT))?;
    let duration = duration.or(if count.is_none() { defaults.duration } else { None });
    if duration.is_none() && count.is_none() {
        return Err("unbounded run refused: give --duration (e.g. 20s) and/or --count (iterations)".into());
    }
    let warmup = flags.get("warmup", parse_duration)?.unwrap_or(defaults.warmup);
    if let Some(d) = duration {
        if warmup >= d {
            return Err(format!(
                "--warmup ({}) must be shorter than --duration ({})",
                show_duration(warmup),
                show_duration(d)
            ));
        }
    }

    let payment = flags
        .get("payment", |v| match v {
            "cash" => Ok(Payment::Cash),
            "card" => Ok(Payment::Card),
            _ => Err("expected cash or card".into()),
        })?
        .unwrap_or(defaults.payment);
    let timeout = flags.get("timeout", positive_duration)?.unwrap_or(Duration::from_secs(10));
    let user_prefix = flags
        .get("user-prefix", |v| {
            let ok = (1..=12).contains(&v.len())
                && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
            if ok {
                Ok(v.to_owned())
            } else {
                Err("expected 1-12 characters of a-z, 0-9, '.', '_' or '-'".into())
            }
        })?
        .unwrap_or_else(|| "lg".to_owned());
    let setup_parallelism = flags.get("setup-parallelism", |v| int_in(v, 1, 64))?.unwrap_or(8) as usize;
    let setup_timeout = flags.get("setup-timeout", positive_duration)?.unwrap_or(Duration::from_secs(300));
    let json = flags.raw("json").map(PathBuf::from);

    Ok(RunArgs {
        target,
        users,
        product_id,
        quantity,
        mode,
        duration,
        count,
        warmup,
        payment,
        timeout,
        user_prefix,
        setup_parallelism,
        setup_timeout,
        json,
    })
}

fn parse_scenario(
    kind: ScenarioKind,
    args: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ScenarioArgs, String> {
    let flags = Flags::collect(args, &[RUN_FLAGS, SCENARIO_FLAGS])?;
    if flags.raw("concurrency").is_some() {
        return Err("scenarios are open loop: use --rate, not --concurrency".into());
    }
    let defaults = RunDefaults {
        rate: Some(1000.0),
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
    };
    let run = run_args(&flags, &defaults)?;
    let only_for = |name: &str, wanted: ScenarioKind| {
        if flags.raw(name).is_some() && kind != wanted {
            Err(format!("--{name} only applies to 'scenario {}'", wanted.name()))
        } else {
            Ok(())
        }
    };
    only_for("throttle-rps", ScenarioKind::Performance)?;
    only_for("throttle-burst", ScenarioKind::Performance)?;
    only_for("failure-rate", ScenarioKind::AvailabilityFailure)?;
    only_for("recovery-timeout", ScenarioKind::AvailabilityFailure)?;

    let throttle_rps = flags.get("throttle-rps", |v| int_in(v, 0, 1_000_000))?.unwrap_or(400) as u32;
    let throttle_burst = flags.get("throttle-burst", |v| int_in(v, 0, 1_000_000))?.unwrap_or(50) as u32;
    if throttle_rps > 0 && throttle_burst == 0 {
        return Err("--throttle-burst must be at least 1 when --throttle-rps is above 0".into());
    }
    let non_empty = |v: &str| {
        if v.is_empty() {
            Err("must not be empty".to_owned())
        } else {
            Ok(v.to_owned())
        }
    };
    let admin_username = flags
        .get("admin-username", non_empty)?
        .or_else(|| env("ADMIN_USERNAME").filter(|v| !v.is_empty()))
        .unwrap_or_else(|| DEFAULT_ADMIN_USERNAME.to_owned());
    let admin_password = flags
        .get("admin-password", non_empty)?
        .or_else(|| env("ADMIN_PASSWORD").filter(|v| !v.is_empty()))
        .unwrap_or_else(|| DEFAULT_ADMIN_PASSWORD.to_owned());

    Ok(ScenarioArgs {
        kind,
        run,
        admin_username,
        admin_password,
        restock: flags.get("restock", |v| int_in(v, 1, 1_000_000_000))?.unwrap_or(1_000_000) as i64,
        throttle_rps,
        throttle_burst,
        failure_rate: flags
            .get("failure-rate", |v| {
                let f: f64 = v.parse().map_err(|_| "expected a number".to_owned())?;
                if (0.0..=1.0).contains(&f) {
                    Ok(f)
                } else {
                    Err("expected a number from 0 to 1".into())
                }
            })?
            .unwrap_or(1.0),
        recovery_timeout: flags.get("recovery-timeout", positive_duration)?.unwrap_or(Duration::from_secs(120)),
    })
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
            Err(e) => e.message,
            Ok(other) => panic!("expected an error for '{line}', got {other:?}"),
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
        assert_eq!(parse_words("").unwrap(), Command::Help(TOP_HELP));
        assert_eq!(parse_words("--help").unwrap(), Command::Help(TOP_HELP));
        assert_eq!(parse_words("run --help").unwrap(), Command::Help(RUN_HELP));
        assert_eq!(parse_words("run --rate 5 -h").unwrap(), Command::Help(RUN_HELP));
        assert_eq!(parse_words("scenario performance --help").unwrap(), Command::Help(SCENARIO_HELP));
        assert_eq!(parse_words("--version").unwrap(), Command::Version);
    }

    #[test]
    fn bad_input_is_explained() {
        assert!(error("fly").contains("unknown subcommand 'fly'"));
        assert!(error("--rate 5").contains("expected a subcommand"));
        assert!(error("run --rate 10 --duration 5s --bogus 1").contains("unknown flag --bogus"));
        assert!(error("run --rate 10 --duration").contains("--duration needs a value"));
        assert!(error("run --rate --duration 5s").contains("--rate needs a value"));
        assert!(error("run --rate abc --duration 5s").contains("--rate: expected iterations"));
        assert!(error("run --rate 0 --duration 5s").contains("--rate"));
        assert!(error("run --rate 10 --rate 20 --duration 5s").contains("more than once"));
        assert!(error("run --rate 10 --duration 5 extra").contains("unexpected argument 'extra'"));
        assert!(error("run --rate 10 --duration 5x").contains("unknown unit 'x'"));
        assert!(error("run --rate 10 --duration 0s").contains("more than zero"));
        assert!(error("run --rate 10 --duration 2h").contains("at most 1h"));
        assert!(error("run --rate 10 --duration 5s --users 0").contains("--users"));
        assert!(error("run --rate 10 --duration 5s --payment bitcoin").contains("cash or card"));
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
        assert!(error("scenario").contains("missing scenario name"));
        assert!(error("scenario chaos").contains("unknown scenario 'chaos'"));
        assert!(error("scenario availability --concurrency 4").contains("open loop"));
        assert!(error("scenario availability --throttle-rps 5").contains("only applies"));
        assert!(error("scenario performance --failure-rate 0.5").contains("only applies"));
        assert!(error("scenario availability-failure --failure-rate 1.5").contains("0 to 1"));
        assert!(error("scenario performance --throttle-burst 0").contains("at least 1"));
        assert!(error("run --rate 1 --count 1 --restock 5").contains("unknown flag --restock"));
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
