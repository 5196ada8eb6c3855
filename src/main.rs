//! The `neoforge` binary: parse the command line, load settings, hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use neoforge::cli::{Cli, Command};

/// Faster than the system allocator for the many small, short-lived allocations of request
/// handling, and it returns memory to the OS more readily.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report(&err);
            ExitCode::FAILURE
        }
    }
}

/// A failure as one line on stderr, the error and its causes joined by ": ", e.g.
/// `error: could not connect to PostgreSQL at db:5432 within 30 s: connection refused`.
/// The multi-line report with a backtrace only when `RUST_BACKTRACE` asks for it.
fn report(err: &anyhow::Error) {
    let wanted = |name| std::env::var_os(name).is_some_and(|value| value != "0");
    if wanted("RUST_BACKTRACE") || wanted("RUST_LIB_BACKTRACE") {
        eprintln!("error: {err:?}");
    } else {
        eprintln!("error: {err:#}");
    }
}

async fn run() -> anyhow::Result<()> {
    // A missing `.env` is normal; a real environment variable or flag always wins over it.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        println!("{}", neoforge::http::openapi::document_json());
        return Ok(());
    }
    let settings = cli.config.into_settings()?;
    let _telemetry = neoforge::telemetry::init(&settings);

    match command {
        Command::Serve => {
            let app = neoforge::Application::build(settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db = neoforge::db::Db::connect(&settings).await?;
            db.migrate().await?;
            tracing::info!("migrations applied");
        }
        Command::Backup { output, verify } => {
            let backup = neoforge::backup::create(&settings, output).await?;
            let rows: u64 = backup.tables.values().sum();
            tracing::info!(path = %backup.path.display(), tables = backup.tables.len(), rows, "backup written");
            if verify {
                neoforge::backup::verify(&settings, &backup).await?;
                tracing::info!(path = %backup.path.display(), "backup verified");
            }
        }
        Command::Restore { file } => {
            neoforge::backup::restore(&settings, &file).await?;
            tracing::info!(file = %file.display(), "backup restored");
        }
        Command::CreateAdmin(args) => {
            // Asked for only when a new account is created: a promotion keeps the password.
            let password = || match args.password {
                Some(password) => Ok(password),
                None => read_password(),
            };
            let outcome =
                neoforge::admin::bootstrap::create_admin(&settings, &args.email, password).await?;
            println!("{outcome}");
        }
        Command::Worker => neoforge::startup::run_worker(settings).await?,
        Command::Openapi => unreachable!("handled before loading settings"),
    }
    Ok(())
}

/// The new admin's password from standard input (one line), so it stays out of the shell
/// history and the process list.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        eprint!("Password for the new admin: ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
