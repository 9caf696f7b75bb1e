fn main() {
    std::process::exit(pave::cli::main());
}
