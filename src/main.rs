//! The `intake` binary: parses the command line, sets up logging and hands over to
//! [`intake::cli::run`]. Everything else lives in the library.

use std::time::Duration;

use clap::Parser;

fn main() -> std::process::ExitCode {
    quiet_when_the_reader_goes_away();
    let cli = intake::cli::Cli::parse();
    if let intake::cli::Command::DocumentWorker { parent } = cli.command {
        // The document worker parses one document synchronously: no runtime, no logging.
        return intake::documents::worker::serve(parent);
    }
    let daemon = cli.command.is_daemon();
    intake::cli::logging::init(
        cli.log_format,
        intake::cli::logging::level(daemon, cli.verbose, cli.quiet),
        daemon,
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: failed to start the runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let result = runtime.block_on(intake::cli::run(cli));
    // A blocking task that never returns (a parser stuck past its deadline) must not keep
    // the process alive: dropping the runtime would wait for it forever.
    runtime.shutdown_timeout(Duration::from_secs(2));
    match result {
        Ok(code) => code,
        Err(e) if stdout_went_away(&e) => std::process::ExitCode::from(141),
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::from(1)
        }
    }
}

/// `intake outbox | head`: a reader that stops reading is the reader's choice, not a failure
/// worth a panic report. The process ends as tools killed by SIGPIPE do (status 141); every
/// other panic keeps the default report.
fn quiet_when_the_reader_goes_away() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        // The message is "failed printing to stdout: Broken pipe (os error 32)" (EPIPE).
        if message.starts_with("failed printing to stdout") && message.contains("(os error 32)") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// A command that writes with `writeln!` and `.context("failed to write to stdout")` (extract,
/// export to `-`) and whose reader went away: the same quiet end as a panic of `println!`.
/// A broken pipe anywhere else (a mail server's socket) stays an error.
fn stdout_went_away(e: &anyhow::Error) -> bool {
    e.to_string() == "failed to write to stdout"
        && e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        })
}
