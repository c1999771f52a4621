//! The `outsort` command: arguments in, a command run, an exit code out.

mod cli;

fn main() -> std::process::ExitCode {
    // Run on a thread with room for deep (but bounded) rule expressions.
    match std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(cli::main)
    {
        Ok(handle) => handle.join().unwrap_or(std::process::ExitCode::from(2)),
        Err(_) => cli::main(),
    }
}
