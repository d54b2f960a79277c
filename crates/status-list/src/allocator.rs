//! Random index allocation (Token Status List sections 12.2-12.3, Bitstring Status List 2.1).
//!
//! Sequential indexes leak the issuance order and the number of credentials issued so far,
//! and let two verifiers link credentials issued together. Each index is drawn uniformly from
//! the unused ones, and never handed out twice ("The Status Issuer MUST prevent any
//! unintended double allocation").

use rand_core::RngCore;

use crate::StatusListError;

/// Random draws before falling back to an exact scan. At 90% occupancy a draw misses with
/// probability 0.9, and 0.9^32 is about 3%, so the O(n/64) scan stays rare until the list is
/// nearly full.
const MAX_DRAWS: u32 = 32;

/// Which indexes of a list of `len` entries are taken, with uniform random allocation.
///
/// The state is a bitmap the storage layer persists with [`IndexAllocator::to_bytes`] and
/// restores with [`IndexAllocator::from_bytes`].
#[derive(Clone, PartialEq, Eq)]
pub struct IndexAllocator {
    len: u64,
    allocated: u64,
    /// Bit `i % 64` of word `i / 64` is set when index `i` is taken. Bits past `len` in the
    /// last word are set too, so the scan never picks them.
    words: Vec<u64>,
}

impl std::fmt::Debug for IndexAllocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexAllocator")
            .field("len", &self.len)
            .field("allocated", &self.allocated)
            .finish()
    }
}

impl IndexAllocator {
    /// An allocator for a list of `len` entries, none taken.
    pub fn new(len: u64) -> Result<Self, StatusListError> {
        let word_count =
            usize::try_from(len.div_ceil(64)).map_err(|_| StatusListError::TooLarge {
                entries: len,
                bits: 1,
            })?;
        let mut words = vec![0u64; word_count];
        let tail = len % 64;
        if tail != 0
            && let Some(last) = words.last_mut()
        {
            *last = !0u64 << tail;
        }
        Ok(Self {
            len,
            allocated: 0,
            words,
        })
    }

    /// Entries in the list.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for a list of no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Indexes handed out so far.
    pub fn allocated(&self) -> u64 {
        self.allocated
    }

    /// Indexes still free.
    pub fn remaining(&self) -> u64 {
        self.len - self.allocated
    }

    /// True when no index is left.
    pub fn is_full(&self) -> bool {
        self.allocated == self.len
    }

    /// Whether `index` is taken.
    pub fn is_allocated(&self, index: u64) -> Result<bool, StatusListError> {
        let (word, mask) = self.locate(index)?;
        Ok(self.words[word] & mask != 0)
    }

    /// Draws an index uniformly from the free ones and marks it taken. Expected O(1) while the
    /// list is not nearly full; `Full` once every index is taken.
    pub fn allocate<R: RngCore + ?Sized>(&mut self, rng: &mut R) -> Result<u64, StatusListError> {
        if self.is_full() {
            return Err(StatusListError::Full { len: self.len });
        }
        // Rejection sampling is uniform over the free indexes; so is the scan below. Either
        // way each free index has the same chance.
        for _ in 0..MAX_DRAWS {
            let index = uniform_below(rng, self.len);
            let (word, mask) = self.locate(index)?;
            if self.words[word] & mask == 0 {
                self.words[word] |= mask;
                self.allocated += 1;
                return Ok(index);
            }
        }
        let rank = uniform_below(rng, self.remaining());
        let index = self.nth_free(rank)?;
        self.mark_allocated(index)?;
        Ok(index)
    }

    /// Marks `index` taken, e.g. when importing indexes assigned elsewhere.
    pub fn mark_allocated(&mut self, index: u64) -> Result<(), StatusListError> {
        let (word, mask) = self.locate(index)?;
        if self.words[word] & mask != 0 {
            return Err(StatusListError::AlreadyAllocated(index));
        }
        self.words[word] |= mask;
        self.allocated += 1;
        Ok(())
    }

    /// The allocation bitmap: `ceil(len / 8)` bytes, index `i` at bit `i % 8` (LSB first) of
    /// byte `i / 8`, padding bits zero.
    pub fn to_bytes(&self) -> Vec<u8> {
        let byte_len = usize::try_from(self.len.div_ceil(8)).unwrap_or(0);
        let mut out: Vec<u8> = self
            .words
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .take(byte_len)
            .collect();
        let tail = self.len % 8;
        if tail != 0
            && let Some(last) = out.last_mut()
        {
            *last &= !(0xffu8 << tail);
        }
        out
    }

    /// Restores the state saved by [`IndexAllocator::to_bytes`]; refuses a bitmap of the wrong
    /// length or with padding bits set (a corrupted store must not silently free indexes).
    pub fn from_bytes(len: u64, bytes: &[u8]) -> Result<Self, StatusListError> {
        let mut allocator = Self::new(len)?;
        let expected = usize::try_from(len.div_ceil(8)).ok();
        if expected != Some(bytes.len()) {
            return Err(StatusListError::Malformed {
                field: "allocation bitmap",
                reason: "length does not match the list size",
            });
        }
        let tail = len % 8;
        if tail != 0 && bytes.last().is_some_and(|b| b & (0xffu8 << tail) != 0) {
            return Err(StatusListError::Malformed {
                field: "allocation bitmap",
                reason: "bits set past the end of the list",
            });
        }
        let mut allocated = 0u64;
        for (word, chunk) in allocator.words.iter_mut().zip(bytes.chunks(8)) {
            let mut le = [0u8; 8];
            le[..chunk.len()].copy_from_slice(chunk);
            let value = u64::from_le_bytes(le);
            allocated += u64::from(value.count_ones());
            *word |= value;
        }
        allocator.allocated = allocated;
        Ok(allocator)
    }

    fn locate(&self, index: u64) -> Result<(usize, u64), StatusListError> {
        if index >= self.len {
            return Err(StatusListError::IndexOutOfRange {
                index,
                len: self.len,
            });
        }
        let word = usize::try_from(index / 64).map_err(|_| StatusListError::IndexOutOfRange {
            index,
            len: self.len,
        })?;
        Ok((word, 1u64 << (index % 64)))
    }

    /// The `rank`-th free index (0-based) in index order.
    fn nth_free(&self, mut rank: u64) -> Result<u64, StatusListError> {
        for (word_index, word) in (0u64..).zip(&self.words) {
            let free = u64::from((!word).count_ones());
            if rank >= free {
                rank -= free;
                continue;
            }
            let mut bits = !word;
            for _ in 0..rank {
                bits &= bits - 1; // clear the lowest free bit
            }
            return Ok(word_index * 64 + u64::from(bits.trailing_zeros()));
        }
        Err(StatusListError::Full { len: self.len })
    }
}

/// A uniform integer in `0..bound` (`bound > 0`), without modulo bias (Lemire's
/// multiply-and-reject).
fn uniform_below<R: RngCore + ?Sized>(rng: &mut R, bound: u64) -> u64 {
    if bound <= 1 {
        return 0;
    }
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let product = u128::from(rng.next_u64()) * u128::from(bound);
        let low = u64::try_from(product & u128::from(u64::MAX)).unwrap_or(u64::MAX);
        if low >= threshold {
            return u64::try_from(product >> 64).unwrap_or(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    use super::*;

    #[test]
    fn allocates_every_index_once_then_reports_full() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for len in [1u64, 7, 64, 65, 1000] {
            let mut allocator = IndexAllocator::new(len).unwrap();
            let mut seen = vec![false; usize::try_from(len).unwrap()];
            for _ in 0..len {
                let i = allocator.allocate(&mut rng).unwrap();
                assert!(
                    !seen[usize::try_from(i).unwrap()],
                    "index {i} handed out twice"
                );
                seen[usize::try_from(i).unwrap()] = true;
            }
            assert!(allocator.is_full());
            assert_eq!(
                allocator.allocate(&mut rng),
                Err(StatusListError::Full { len })
            );
        }
        let mut empty = IndexAllocator::new(0).unwrap();
        assert!(empty.is_empty());
        assert_eq!(
            empty.allocate(&mut rng),
            Err(StatusListError::Full { len: 0 })
        );
    }

    #[test]
    fn indexes_are_not_sequential_and_roughly_uniform() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut allocator = IndexAllocator::new(1 << 20).unwrap();
        let first: Vec<u64> = (0..1000)
            .map(|_| allocator.allocate(&mut rng).unwrap())
            .collect();
        let mut sorted = first.clone();
        sorted.sort_unstable();
        assert_ne!(
            first, sorted,
            "allocation order must not follow index order"
        );
        // Quarter buckets each get about 250 of 1000 draws.
        for q in 0..4u64 {
            let n = first.iter().filter(|i| **i >> 18 == q).count();
            assert!((180..320).contains(&n), "quarter {q}: {n}");
        }
    }

    #[test]
    fn scan_fallback_is_uniform_over_free_indexes() {
        // 1000 of 1024 taken: draws mostly miss, the scan picks among the 24 free ones.
        let mut counts = [0u32; 24];
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..2400 {
            let mut allocator = IndexAllocator::new(1024).unwrap();
            for i in 0..1000 {
                allocator.mark_allocated(i).unwrap();
            }
            let i = allocator.allocate(&mut rng).unwrap();
            assert!(i >= 1000);
            counts[usize::try_from(i - 1000).unwrap()] += 1;
        }
        assert!(counts.iter().all(|c| (50..160).contains(c)), "{counts:?}");
    }

    #[test]
    fn state_round_trip() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut allocator = IndexAllocator::new(77).unwrap();
        for _ in 0..30 {
            allocator.allocate(&mut rng).unwrap();
        }
        let bytes = allocator.to_bytes();
        assert_eq!(bytes.len(), 10);
        let restored = IndexAllocator::from_bytes(77, &bytes).unwrap();
        assert_eq!(restored, allocator);
        assert_eq!(restored.allocated(), 30);
        assert_eq!(restored.remaining(), 47);
        assert!(IndexAllocator::from_bytes(78, &bytes[..9]).is_err());
        let mut padded = bytes.clone();
        padded[9] |= 0x80;
        assert!(IndexAllocator::from_bytes(77, &padded).is_err());
    }

    #[test]
    fn double_allocation_and_range() {
        let mut allocator = IndexAllocator::new(10).unwrap();
        allocator.mark_allocated(3).unwrap();
        assert_eq!(
            allocator.mark_allocated(3),
            Err(StatusListError::AlreadyAllocated(3))
        );
        assert!(allocator.is_allocated(3).unwrap());
        assert!(!allocator.is_allocated(4).unwrap());
        assert!(matches!(
            allocator.mark_allocated(10),
            Err(StatusListError::IndexOutOfRange { index: 10, len: 10 })
        ));
    }

    #[test]
    fn uniform_below_bounds() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for bound in [1u64, 2, 3, 1000, u64::MAX] {
            for _ in 0..100 {
                assert!(uniform_below(&mut rng, bound) < bound);
            }
        }
    }
}
