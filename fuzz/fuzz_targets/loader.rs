//! libFuzzer target: the bytes are one spec file, checked as the stable fuzzer's `loader` target
//! checks it (read, parsed, schema-checked, rendered); a finding aborts, and libFuzzer keeps it.
#![no_main]

#[path = "../common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(problem) = common::check_file("tenants/shop/spec.yaml", data) {
        panic!("{problem}");
    }
});
