// Compiling allocates many small strings and maps on two threads: mimalloc measured faster than
// the system allocator on the benchmark workload (see bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // mimalloc asks for transparent huge pages; for a process that lives a second, the kernel
    // zeroing 2 MiB at every first touch costs more than the TLB saves, and the pages half used
    // add to the peak RSS (N = 10,000: 486-510 -> 441-477 MB, same wall time; bench/README.md).
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    std::process::exit(pave::cli::main());
}
