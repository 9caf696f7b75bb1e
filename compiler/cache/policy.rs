//! The policy cache: the compiled form of the policies (`.pave/cache/policy.bin` under the
//! platform root; the CLI reads and writes it, this module only frames it; what it holds is
//! `policy::load`'s to encode and decode).
//!
//! One entry, under a key (`policy::cache_key`: BLAKE3 of pave's build, every policy file's
//! name, origin and text, and the Platform's `spec.policies`): what `load` derives from the Rego
//! text and nothing else (each file's package, the RVM program of the rule sets, the reads
//! analysis). A run whose key differs compiles the policies from source and records its own.
//! The framing is a header line with the format and the build, the key, then the body, then a
//! BLAKE3 hash of all that: a cache that is truncated, corrupt, of another format or another
//! build is ignored whole (the policies are compiled from source), as the parse cache is.

/// The cache file, relative to the platform root.
pub const POLICY_CACHE_FILE: &str = ".pave/cache/policy.bin";
/// The largest policy cache read (the stdlib's 18 rules take about 60 KB).
pub const MAX_POLICY_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// The layout of `policy.bin`; a different one is ignored.
const FORMAT: u32 = 1;

/// The key of the compiled policies (see the module doc).
pub type Key = [u8; 32];

/// The compiled policies of one key. `Default` is the empty cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyCache {
    entry: Option<(Key, Vec<u8>)>,
}

impl PolicyCache {
    /// A cache of the compiled form `body` of the policies with this key.
    pub fn new(key: Key, body: Vec<u8>) -> PolicyCache {
        PolicyCache {
            entry: Some((key, body)),
        }
    }

    /// The compiled form recorded for `key`, if it is this one's.
    pub fn get(&self, key: &Key) -> Option<&[u8]> {
        self.entry
            .as_ref()
            .filter(|(own, _)| own == key)
            .map(|(_, body)| body.as_slice())
    }

    pub fn is_empty(&self) -> bool {
        self.entry.is_none()
    }

    /// Reads a cache file's bytes: the empty cache when they are not this pave's cache, whole.
    pub fn read(bytes: &[u8]) -> PolicyCache {
        Self::try_read(bytes).unwrap_or_default()
    }

    fn try_read(bytes: &[u8]) -> Option<PolicyCache> {
        let (key, body) = super::unseal(bytes, &header())?.split_first_chunk::<32>()?;
        Some(PolicyCache::new(*key, body.to_vec()))
    }

    /// The cache file's bytes (empty for the empty cache).
    pub fn render(&self) -> Vec<u8> {
        let Some((key, body)) = &self.entry else {
            return Vec::new();
        };
        super::seal(&header(), &[key.as_slice(), body].concat())
    }
}

fn header() -> String {
    format!("pave policy cache {FORMAT} {}\n", env!("PAVE_BUILD_ID"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_round_trips_and_answers_its_key_only() {
        let cache = PolicyCache::new([1; 32], vec![1, 2, 3]);
        let read = PolicyCache::read(&cache.render());
        assert_eq!(read, cache);
        assert_eq!(read.get(&[1; 32]), Some(&[1, 2, 3][..]));
        assert_eq!(read.get(&[2; 32]), None);
        assert!(PolicyCache::default().render().is_empty());
    }

    #[test]
    fn a_corrupt_or_foreign_cache_is_empty() {
        let bytes = PolicyCache::new([1; 32], vec![1, 2, 3]).render();
        for bytes in super::super::damaged(&bytes) {
            assert_eq!(PolicyCache::read(&bytes), PolicyCache::default());
        }
    }
}
