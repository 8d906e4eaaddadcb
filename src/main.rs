//! The `intake` binary: parses the command line, sets up logging and hands over to
//! [`intake::cli::run`]. Everything else lives in the library.

use std::time::Duration;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = intake::cli::Cli::parse();
    if let intake::cli::Command::DocumentWorker { parent } = cli.command {
        // The document worker parses one document synchronously: no runtime, no logging.
        return intake::documents::worker::serve(parent);
    }
    intake::cli::init_tracing(cli.verbose);
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
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::from(1)
        }
    }
}
