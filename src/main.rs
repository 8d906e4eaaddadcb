//! The `intake` binary: parses the command line, sets up logging and hands over to
//! [`intake::cli::run`]. Everything else lives in the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = intake::cli::Cli::parse();
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
    match runtime.block_on(intake::cli::run(cli)) {
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
