//! [`Ipv4Cidr`]: an IPv4 network in CIDR notation, as written in specs (`10.0.0.0/16`).

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// An IPv4 address block. The address may have host bits set as written (`10.0.0.1/16`); that is
/// a semantic error reported by `validate`, so the value keeps what the user wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    address: u32,
    prefix: u8,
}

impl Ipv4Cidr {
    /// A block from an address and a prefix length; `None` when the prefix is above 32.
    pub fn new(address: u32, prefix: u8) -> Option<Ipv4Cidr> {
        (prefix <= 32).then_some(Ipv4Cidr { address, prefix })
    }

    pub fn prefix(self) -> u8 {
        self.prefix
    }

    /// The mask of the network bits.
    fn mask(self) -> u32 {
        match self.prefix {
            0 => 0,
            p => u32::MAX << (32 - u32::from(p)),
        }
    }

    /// The first address of the block.
    pub fn network(self) -> u32 {
        self.address & self.mask()
    }

    /// Whether the address has bits set below the prefix (`10.0.0.1/16`).
    pub fn has_host_bits(self) -> bool {
        self.address != self.network()
    }

    /// The last address of the block.
    fn last(self) -> u32 {
        self.network() | !self.mask()
    }

    /// Whether the two blocks share an address.
    pub fn overlaps(self, other: Ipv4Cidr) -> bool {
        self.network() <= other.last() && other.network() <= self.last()
    }

    /// The `index`-th block of prefix length `prefix` inside this one, if there is one.
    pub fn subnet(self, prefix: u8, index: u32) -> Option<Ipv4Cidr> {
        if prefix < self.prefix || prefix > 32 {
            return None;
        }
        let extra = u32::from(prefix - self.prefix);
        let count = 1u64 << extra;
        if u64::from(index) >= count {
            return None;
        }
        let size = 1u64 << (32 - u32::from(prefix));
        let offset = u64::from(index) * size;
        let address = u64::from(self.network()) + offset;
        u32::try_from(address)
            .ok()
            .map(|address| Ipv4Cidr { address, prefix })
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.address.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}/{}", self.prefix)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("`{text}` is not an IPv4 CIDR block such as `10.0.0.0/16`");
        let (address, prefix) = text.split_once('/').ok_or_else(invalid)?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        let octets: Vec<u8> = address
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| invalid())?;
        let [a, b, c, d] = octets[..] else {
            return Err(invalid());
        };
        Ipv4Cidr::new(u32::from_be_bytes([a, b, c, d]), prefix).ok_or_else(invalid)
    }
}

impl<'de> Deserialize<'de> for Ipv4Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::Ipv4Cidr;

    fn cidr(text: &str) -> Option<Ipv4Cidr> {
        text.parse().ok()
    }

    #[test]
    fn parses_and_prints_the_same_text() {
        for text in ["10.0.0.0/16", "0.0.0.0/0", "192.168.1.7/32"] {
            assert_eq!(cidr(text).map(|c| c.to_string()).as_deref(), Some(text));
        }
        for bad in [
            "10.0.0.0",
            "10.0.0/16",
            "10.0.0.256/16",
            "10.0.0.0/33",
            "a/b",
        ] {
            assert_eq!(cidr(bad), None, "{bad}");
        }
    }

    #[test]
    fn host_bits_are_detected() {
        assert_eq!(cidr("10.0.0.1/16").map(Ipv4Cidr::has_host_bits), Some(true));
        assert_eq!(
            cidr("10.0.0.0/16").map(Ipv4Cidr::has_host_bits),
            Some(false)
        );
        assert_eq!(cidr("0.0.0.0/0").map(Ipv4Cidr::has_host_bits), Some(false));
    }

    #[test]
    fn overlap_is_symmetric_and_exact() {
        let overlaps = |a: &str, b: &str| cidr(a).zip(cidr(b)).map(|(a, b)| a.overlaps(b));
        assert_eq!(overlaps("10.0.0.0/14", "10.3.0.0/16"), Some(true));
        assert_eq!(overlaps("10.3.0.0/16", "10.0.0.0/14"), Some(true));
        assert_eq!(overlaps("10.0.0.0/14", "10.4.0.0/16"), Some(false));
    }

    #[test]
    fn subnets_are_counted_from_the_network_address() {
        let subnet = |block: &str, prefix, index| cidr(block).and_then(|c| c.subnet(prefix, index));
        assert_eq!(subnet("10.1.0.0/16", 18, 0), cidr("10.1.0.0/18"));
        assert_eq!(subnet("10.1.0.0/16", 18, 3), cidr("10.1.192.0/18"));
        assert_eq!(subnet("10.1.0.0/16", 20, 13), cidr("10.1.208.0/20"));
        assert_eq!(subnet("10.1.0.0/16", 18, 4), None);
        assert_eq!(subnet("10.1.0.0/16", 15, 0), None);
        assert_eq!(
            subnet("255.255.255.0/24", 32, 255),
            cidr("255.255.255.255/32")
        );
    }
}
