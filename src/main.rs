//! The `brug` binary: every command lives in `brug::cli`.

fn main() -> std::process::ExitCode {
    brug::cli::main()
}
