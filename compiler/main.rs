// Compiling allocates many small strings and maps on two threads: mimalloc measured faster than
// the system allocator on the benchmark workload (see bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(pave::cli::main());
}
