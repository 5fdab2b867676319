//! Command-line arguments (clap). Parsing only: `app.rs` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

/// Exit codes, documented in docs/cli.md. Only the command line decides them.
pub mod exit {
    use crate::run::RunOutcome;

    pub const OK: i32 = 0;
    pub const INTERNAL: i32 = 1;
    pub const USAGE: i32 = 2;
    /// Syntax, check, inventory or plan errors: nothing ran.
    pub const INVALID: i32 = 3;
    /// A task failed on at least one host.
    pub const FAILED: i32 = 4;
    /// At least one host was unreachable.
    pub const UNREACHABLE: i32 = 5;
    /// Interrupted (Ctrl-C, SIGTERM).
    pub const INTERRUPTED: i32 = 130;
    /// `eov fmt --check`: some file is not in the canonical layout.
    pub const FMT_CHECK: i32 = 1;

    pub fn of(outcome: RunOutcome) -> i32 {
        match outcome {
            RunOutcome::Ok => OK,
            RunOutcome::Failed => FAILED,
            RunOutcome::Unreachable => UNREACHABLE,
            RunOutcome::Interrupted => INTERRUPTED,
        }
    }

    /// The outcome as its exit code, in `--output json`.
    pub fn serialize<S: serde::Serializer>(outcome: &RunOutcome, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(of(*outcome))
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "eov",
    version,
    about = "A playbook engine with its own language: grow an OpenStack over an OpenVPN flat network"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a play file.
    Run(Box<RunArgs>),
    /// Check plays and roles without touching any host.
    Check(CheckArgs),
    /// Show the inventory: hosts, groups and variables.
    Inventory(InventoryArgs),
    /// Throwaway test hosts: podman containers with a real OpenSSH server.
    #[command(subcommand)]
    Lab(LabCommand),
    /// The join service: an HTTPS API that enrols, removes and rejoins compute nodes.
    Serve(Box<ServeArgs>),
    /// Join and admin tokens of the join service.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Enrol this machine with a join service (run as root on the new node).
    Join(JoinArgs),
    /// Show a role's parameters (types, defaults, comments), handlers and files.
    Doc(DocArgs),
    /// Rewrite `.eov` files in the one canonical layout (comments kept).
    Fmt(FmtArgs),
    /// A language server for editors, over stdin/stdout (diagnostics, completion, definitions).
    Lsp,
    /// Create a role skeleton: `eov new role NAME`.
    New(NewArgs),
    /// Test a role on throwaway lab hosts: converge, idempotence, verify, per scenario.
    Test(TestArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Args)]
pub struct DocArgs {
    /// The role's name.
    pub role: String,
    /// More directories to look for roles in.
    #[arg(long, value_delimiter = ':')]
    pub roles_path: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The role's name; its scenarios are the plays in `roles/ROLE/tests/*.eov`.
    pub role: String,
    /// Only this scenario (a file name without `.eov`).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Lab hosts to start (default: the most a scenario's `lab = { hosts = N }` asks, else 1).
    #[arg(long)]
    pub hosts: Option<usize>,
    /// The lab image (default: `openstack` if a scenario's `lab` asks for it, else `base`).
    #[arg(long, value_enum)]
    pub image: Option<crate::lab::Variant>,
    /// Keep the lab afterwards, with its state under this directory.
    #[arg(long = "keep", value_name = "STATE_DIR")]
    pub keep_in: Option<PathBuf>,
    /// More directories to look for roles in.
    #[arg(long, value_delimiter = ':')]
    pub roles_path: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// What to create (only `role` for now).
    #[arg(value_parser = ["role"])]
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Where roles live.
    #[arg(long, default_value = "roles")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "0.0.0.0:5443", env = "EOV_SERVE_LISTEN")]
    pub listen: std::net::SocketAddr,
    /// PEM certificate (chain) to serve; default: a self-signed one generated once under
    /// `STATE_DIR/serve/`.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Names (DNS or IP) in a generated certificate; default: localhost, 127.0.0.1 and this
    /// machine's host name.
    #[arg(long = "cert-name")]
    pub cert_names: Vec<String>,
    /// Where the server keeps its state (`serve/` below it).
    #[arg(long, env = "EOV_STATE_DIR", default_value = "current")]
    pub state_dir: PathBuf,
    /// Directory of the plays the jobs run (add_compute.eov, remove_compute.eov,
    /// rejoin_compute.eov).
    #[arg(long, default_value = "plays")]
    pub plays_dir: PathBuf,
    /// The controller's SSH public key handed to joining nodes (default: `--private-key`
    /// with `.pub`, else ~/.ssh/id_ed25519.pub, else ~/.ssh/id_rsa.pub).
    #[arg(long)]
    pub ssh_public_key: Option<PathBuf>,
    /// Failed authentications per minute from one address before it gets 429.
    #[arg(long, default_value_t = 20)]
    pub max_auth_failures: u32,
    /// How long an SSH connection to a node stays open after a job used it, for the next
    /// job to reuse (`30s`, `10m`, `1h`; `0s`: close it when the job ends).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub ssh_idle: std::time::Duration,
    /// SSH connections kept open between jobs at most (the least recently used closes first).
    #[arg(long, default_value_t = 256)]
    pub ssh_pool_max: usize,
    #[command(flatten)]
    pub source: InventorySource,
    /// More directories to look for roles in.
    #[arg(long, env = "EOV_EXTRA_ROLES_PATH", value_delimiter = ':')]
    pub roles_path: Vec<PathBuf>,
    /// How many hosts a job runs on at once.
    #[arg(short, long, default_value_t = 100, env = "EOV_FORKS")]
    pub forks: usize,
    #[command(flatten)]
    pub ssh: SshArgs,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it with the `eov join` command that uses it.
    Create {
        /// Lifetime: 30m, 1h, 2d..., or 0 for none.
        #[arg(long, default_value = "24h")]
        ttl: String,
        /// How many joins it allows (default: unlimited).
        #[arg(long)]
        uses: Option<u32>,
        /// An admin token: remove, rejoin and listing too.
        #[arg(long)]
        admin: bool,
        /// A note shown by `eov token list`.
        #[arg(long, default_value = "")]
        description: String,
        /// The certificate the server uses, when given with `eov serve --tls-cert`.
        #[arg(long)]
        tls_cert: Option<PathBuf>,
        #[arg(long, env = "EOV_STATE_DIR", default_value = "current")]
        state_dir: PathBuf,
    },
    /// List the tokens (never their secrets).
    List {
        #[arg(long, env = "EOV_STATE_DIR", default_value = "current")]
        state_dir: PathBuf,
    },
    /// Delete a token by its id (the part before the dot).
    Delete {
        id: String,
        #[arg(long, env = "EOV_STATE_DIR", default_value = "current")]
        state_dir: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The join service: https://CONTROLLER:PORT
    pub url: String,
    /// A join token (ID.SECRET) from `eov token create`.
    #[arg(long, env = "EOV_JOIN_TOKEN")]
    pub token: String,
    /// The server certificate's hash, `sha256:HEX`, printed by `eov token create`; any other
    /// certificate is refused.
    #[arg(long)]
    pub ca_cert_hash: String,
    /// This node's name in the cloud (default: the host name).
    #[arg(long)]
    pub name: Option<String>,
    /// The address the controller reaches this node at (default: its name).
    #[arg(long)]
    pub address: Option<String>,
    /// The authorized_keys file the controller's key goes to (default: ~/.ssh/authorized_keys).
    #[arg(long)]
    pub authorized_keys: Option<PathBuf>,
    /// This node's SSH host public key, sent to the controller.
    #[arg(long, default_value = "/etc/ssh/ssh_host_ed25519_key.pub")]
    pub host_key: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Start N hosts and write their inventory, key and known_hosts under `current/lab/NAME/`.
    Up {
        /// How many hosts.
        count: usize,
        /// The hosts' image: `openstack` adds Debian's OpenStack packages (built once, cached).
        #[arg(long, value_enum, default_value = "base")]
        image: crate::lab::Variant,
        /// `always`: a host whose sshd ends (a reboot command such as `kill 1`) is started
        /// again by podman, as a machine comes back after a reboot.
        #[arg(long, value_enum, default_value = "no")]
        restart: crate::lab::Restart,
        #[command(flatten)]
        lab: LabName,
    },
    /// Show the hosts of a lab (or of every lab).
    Status {
        #[command(flatten)]
        lab: LabName,
    },
    /// Remove a lab's containers, network and files.
    Down {
        #[command(flatten)]
        lab: LabName,
    },
}

#[derive(Debug, Args)]
pub struct LabName {
    /// The lab's name: every container and network it creates carries it.
    #[arg(long, default_value = "default")]
    pub name: String,
    /// Where the lab's files go (`lab/NAME/` below it).
    #[arg(long, env = "EOV_STATE_DIR", default_value = "current")]
    pub state_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct InventorySource {
    /// Inventory: a file (positional `current/hosts`, INI, YAML), an executable (dynamic
    /// inventory), a directory of them, or `host1,host2,`. Repeatable; merged in order.
    /// Default: `current/hosts` if it exists, else `localhost` alone.
    #[arg(short, long, env = "EOV_INVENTORY")]
    pub inventory: Vec<PathBuf>,
    /// Seconds a dynamic inventory may run before it is stopped.
    #[arg(long, env = "EOV_INVENTORY_TIMEOUT", default_value_t = 30)]
    pub inventory_timeout: u64,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The play file.
    pub play: PathBuf,
    #[command(flatten)]
    pub source: InventorySource,
    /// Only these hosts (a host pattern: `web`, `a:b`, `all:!db`).
    #[arg(short, long)]
    pub limit: Option<String>,
    /// Only steps with these tags (comma-separated; repeatable).
    #[arg(short, long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Skip steps with these tags.
    #[arg(long, value_delimiter = ',')]
    pub skip_tags: Vec<String>,
    /// Extra variables, highest precedence: `name=value`, `@vars.yml` or a JSON object.
    #[arg(short = 'e', long = "extra-vars")]
    pub extra_vars: Vec<String>,
    /// How many hosts run at once.
    #[arg(short, long, default_value_t = 100, env = "EOV_FORKS")]
    pub forks: usize,
    /// Probe and decide, change nothing.
    #[arg(long)]
    pub check: bool,
    /// Show what changes (or would change) in each file.
    #[arg(long)]
    pub diff: bool,
    /// Resume the last run of this play that did not succeed: per host, skip the tasks it
    /// finished whose inputs are unchanged, and run the handlers it left pending.
    #[arg(long, conflicts_with = "check")]
    pub resume: bool,
    /// Where the run journal goes (`runs/` below it), for `--resume`.
    #[arg(long, env = "EOV_STATE_DIR", default_value = "current")]
    pub state_dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub output: Format,
    /// Show command output for every task, not only failed ones.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// More directories to look for roles in.
    #[arg(long, env = "EOV_EXTRA_ROLES_PATH", value_delimiter = ':')]
    pub roles_path: Vec<PathBuf>,
    #[command(flatten)]
    pub ssh: SshArgs,
}

/// How to reach hosts over SSH; inventory variables (`eov_user`, `eov_port`,
/// `eov_private_key_file`, `eov_known_hosts`) override these per host.
#[derive(Debug, Args)]
pub struct SshArgs {
    /// Remote user (default: `~/.ssh/config`, then the local user name).
    #[arg(short, long, env = "EOV_USER")]
    pub user: Option<String>,
    /// Private key file to try first (after ssh-agent's keys).
    #[arg(long, env = "EOV_PRIVATE_KEY")]
    pub private_key: Option<PathBuf>,
    /// known_hosts file (default: ~/.ssh/known_hosts).
    #[arg(long, env = "EOV_KNOWN_HOSTS")]
    pub known_hosts: Option<PathBuf>,
    /// Accept and record the key of a host not yet in known_hosts. A changed key is always refused.
    #[arg(long)]
    pub accept_new_host_keys: bool,
    /// Seconds to wait for a host to answer before it counts as unreachable.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// SSH handshakes in flight at once.
    #[arg(long, default_value_t = 32)]
    pub max_handshakes: usize,
    /// Ask for the sudo password used by `become` (else `EOV_BECOME_PASSWORD`, else none).
    #[arg(short = 'K', long)]
    pub ask_become_pass: bool,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Files or directories (every `.eov` below them).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Change nothing: print the diff of each file not in the layout and exit 1 if any.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories (every `.eov` below them).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// More directories to look for roles in.
    #[arg(long, value_delimiter = ':')]
    pub roles_path: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub source: InventorySource,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Show the tree of groups (below GROUP, default `all`) and their hosts.
    #[arg(long, value_name = "GROUP", num_args = 0..=1, default_missing_value = "all", conflicts_with = "host")]
    pub graph: Option<String>,
    /// Show one host's variables, merged, with where each comes from.
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Also read `group_vars/` and `host_vars/` in this directory, as beside a play.
    #[arg(long, value_name = "DIR")]
    pub playbook_dir: Option<PathBuf>,
}

/// A duration as plays write them (`250ms`, `30s`, `10m`, `2h`, `1d`).
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    crate::duration::parse(text)
        .ok_or_else(|| format!("`{text}` is not a duration (digits and a unit: ms, s, m, h, d)"))
}
