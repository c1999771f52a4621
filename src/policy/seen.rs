//! The hashes of the keys `check` has seen, to find repeated keys, in at
//! most 16 bytes a key however many there are.
//!
//! A general hash set keeps a control byte beside each 8-byte hash, doubles
//! its table when seven eighths full, and holds the old and the new table
//! while it moves: just after a doubling it takes 20 bytes a key, and 28
//! while it moves. Here the hashes are spread over 64 open-addressed tables
//! of bare `u64`s (0 marks a free slot), each grown by half when 85% full:
//! a table is never less than 56% full, so 14 bytes a key at most, and only
//! one small table moves at a time.
//!
//! The tables are made of blocks of one size, and the blocks a table frees
//! when it grows are kept for the next table to grow. The heap sees no
//! tables of ever larger sizes come and go, which on a run of several
//! threads (each adding to the set in turn, from its own heap arena) left
//! freed tables too small to reuse: 3 bytes a key more on two threads.

/// Tables, chosen by the low bits of the hash.
const SHARDS: usize = 64;
/// Slots in a block of a table: 4 KiB.
const BLOCK_SLOTS: usize = 512;

type Block = Box<[u64; BLOCK_SLOTS]>;

/// A set of 64-bit hashes.
pub struct SeenHashes {
    shards: Vec<Shard>,
    /// Blocks freed by a table that grew, emptied, for the next to grow.
    spare: Vec<Block>,
}

#[derive(Default)]
struct Shard {
    blocks: Vec<Block>,
    len: usize,
}

impl Default for SeenHashes {
    fn default() -> Self {
        SeenHashes::new()
    }
}

impl SeenHashes {
    pub fn new() -> SeenHashes {
        SeenHashes {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            spare: Vec::new(),
        }
    }

    /// Adds `hash`; `false` when it was there already.
    pub fn insert(&mut self, hash: u64) -> bool {
        // 0 marks a free slot: it shares its place with 1.
        let hash = hash.max(1);
        let Some(shard) = self.shards.get_mut(hash as usize % SHARDS) else {
            return true;
        };
        if (shard.len + 1) * 20 > shard.slots() * 17 {
            shard.grow(&mut self.spare);
        }
        shard.insert(hash)
    }

    /// Every hash in the set, in no particular order.
    pub fn hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.shards
            .iter()
            .flat_map(|s| s.blocks.iter())
            .flat_map(|b| b.iter().copied())
            .filter(|&h| h != 0)
    }

    /// The number of hashes.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.len).sum()
    }

    /// The bytes the tables and the spare blocks take.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        let blocks: usize = self.shards.iter().map(|s| s.blocks.len()).sum();
        (blocks + self.spare.len()) * BLOCK_SLOTS * 8
    }
}

/// Where `hash` starts its search in `slots` slots: from its high bits
/// (the low ones chose the shard).
fn home(hash: u64, slots: usize) -> usize {
    ((u128::from(hash) * slots as u128) >> 64) as usize
}

impl Shard {
    fn slots(&self) -> usize {
        self.blocks.len() * BLOCK_SLOTS
    }

    /// Adds `hash` to a table with room for it.
    fn insert(&mut self, hash: u64) -> bool {
        let n = self.slots();
        let mut i = home(hash, n);
        // A free slot is always left, so the search ends.
        for _ in 0..n {
            let slot = self
                .blocks
                .get_mut(i / BLOCK_SLOTS)
                .and_then(|b| b.get_mut(i % BLOCK_SLOTS));
            match slot {
                Some(slot @ 0) => {
                    *slot = hash;
                    self.len += 1;
                    return true;
                }
                Some(slot) if *slot == hash => return false,
                _ => {}
            }
            i = if i + 1 == n { 0 } else { i + 1 };
        }
        false
    }

    /// Moves the table into one half as large again, of blocks from `spare`
    /// first, and gives its old blocks, emptied, to `spare`.
    fn grow(&mut self, spare: &mut Vec<Block>) {
        let count = self.blocks.len();
        let wanted = (count + count.div_ceil(2)).max(1);
        let fresh = (0..wanted)
            .map(|_| spare.pop().unwrap_or_else(|| Box::new([0; BLOCK_SLOTS])))
            .collect();
        let old = std::mem::replace(&mut self.blocks, fresh);
        self.len = 0;
        for mut block in old {
            for &hash in block.iter().filter(|&&h| h != 0) {
                self.insert(hash);
            }
            block.fill(0);
            spare.push(block);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(i: u64) -> u64 {
        // SplitMix64: distinct inputs give distinct outputs.
        let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    #[test]
    fn finds_every_repeat_and_nothing_else() {
        let mut seen = SeenHashes::new();
        for i in 0..200_000 {
            assert!(seen.insert(spread(i)), "{i} is new");
        }
        for i in (0..200_000).step_by(7) {
            assert!(!seen.insert(spread(i)), "{i} is a repeat");
        }
        assert_eq!(seen.len(), 200_000);
        // 0 and 1 share a place.
        assert!(seen.insert(0));
        assert!(!seen.insert(1));
    }

    #[test]
    fn at_most_sixteen_bytes_a_hash() {
        let mut seen = SeenHashes::new();
        let mut worst: f64 = 0.0;
        for i in 0..1_000_000u64 {
            seen.insert(spread(i));
            let n = seen.len();
            if n >= 100_000 && n.is_multiple_of(997) {
                worst = worst.max(seen.bytes() as f64 / n as f64);
            }
        }
        assert!(worst <= 16.0, "{worst:.2} bytes a hash");
        assert!(
            worst > 9.0,
            "{worst:.2} bytes a hash: the tables are too full"
        );
    }
}
