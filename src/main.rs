//! The `quarry` binary: a thin layer over the library. All argument parsing, terminal handling,
//! printing and exit codes live in [`cli`]; everything else is in the `quarry` library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
