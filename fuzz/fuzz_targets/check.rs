//! libFuzzer target: the bytes are a platform (see `common.rs`), checked as the stable fuzzer
//! checks it; a finding aborts, and libFuzzer keeps the input.
#![no_main]

#[path = "../common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let files = common::decode(data);
    if let Err(problem) = common::check(&files) {
        panic!("{problem}");
    }
});
