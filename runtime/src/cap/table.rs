//! The process-wide capability table (see the module docs of `cap` for the token format).
//!
//! Every other table of the runtime is a [`HandleTable`](crate::handle::HandleTable); this one
//! keeps its own shape because three of its properties do not fit a table of independent
//! values with a lock each:
//! - a token's low 40 bits are a keyed MAC of its slot and generation, where a handle carries
//!   them in clear: from one handle, counting slots finds every other live value of its table,
//!   from one token nothing (`cap::tests::one_token_names_no_other_where_one_handle_names_them_all`);
//! - revoking a token frees its whole derivation tree (entries in other slots, linked by
//!   `(index, generation)`) atomically, under one write lock, so no derived token outlives its
//!   root even for an instant; per-slot locks would need a lock per tree member;
//! - a [`Batch`] validates every buffer of an extension call under one read lock, and the
//!   bridge relies on no token of the batch being revoked until it is dropped.

use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::siphash::siphash24;
use super::{CapPermissions, Region, Token};
use crate::errno::Errno;

/// Bits of a token holding the tag.
const TAG_BITS: u32 = 40;
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;
/// Slots available: token bits 63..40 hold `index + 1`.
const MAX_SLOTS: usize = (1 << (64 - TAG_BITS)) - 1;

struct Table {
    key: (u64, u64),
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
}

#[derive(Default)]
struct Slot {
    generation: u64,
    /// The tag of the live token of this slot (`Table::tag(index, generation)`, computed once
    /// when the entry is inserted, so that validating a token is a comparison, not a SipHash).
    tag: u64,
    entry: Option<Entry>,
}

struct Entry {
    region: Arc<Region>,
    offset: usize,
    length: usize,
    permissions: CapPermissions,
    /// `(index, generation)` of tokens derived from this one.
    children: Vec<(u32, u64)>,
    /// `(index, generation)` of the token this one derives from.
    parent: Option<(u32, u64)>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut seed = [0u8; 16];
        // Without a secret, tokens would be forgeable: refusing to run is the only safe choice.
        getrandom::fill(&mut seed).expect("the OS random generator is unavailable");
        let (a, b) = seed.split_at(8);
        let k0 = u64::from_le_bytes(a.try_into().expect("8 bytes"));
        let k1 = u64::from_le_bytes(b.try_into().expect("8 bytes"));
        Table {
            key: (k0, k1),
            inner: RwLock::new(Inner::default()),
        }
    })
}

impl Table {
    fn tag(&self, index: u32, generation: u64) -> u64 {
        siphash24(self.key.0, self.key.1, u64::from(index), generation) & TAG_MASK
    }

    fn token(index: u32, tag: u64) -> Token {
        Token(((u64::from(index) + 1) << TAG_BITS) | tag)
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-updated in a way that breaks
        // memory safety (entries are inserted/removed whole), so poisoning is ignored.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    /// The slot index a token names, if its tag is right for the slot's current generation and
    /// the slot is occupied.
    fn resolve(&self, token: Token) -> Option<u32> {
        let index = (token.0 >> TAG_BITS).checked_sub(1)?;
        let index = u32::try_from(index).ok()?;
        let slot = self.slots.get(index as usize)?;
        slot.entry.as_ref()?;
        // Not constant-time: the comparison leaks at most whether a guess was right, which the
        // result already says.
        (slot.tag == token.0 & TAG_MASK).then_some(index)
    }

    fn insert(&mut self, t: &Table, entry: Entry) -> Result<(Token, u32, u64), Errno> {
        let index = match self.free.pop() {
            Some(i) => i,
            None if self.slots.len() < MAX_SLOTS => {
                self.slots.push(Slot::default());
                u32::try_from(self.slots.len() - 1).expect("MAX_SLOTS fits in u32")
            }
            None => return Err(Errno::ENOMEM),
        };
        let slot = &mut self.slots[index as usize];
        slot.entry = Some(entry);
        slot.tag = t.tag(index, slot.generation);
        self.live += 1;
        Ok((Table::token(index, slot.tag), index, slot.generation))
    }

    /// Frees `index` and everything derived from it; returns the region if `index` is a root
    /// (only it can be: every other member of its tree derives from it). Allocates nothing for
    /// a token without derived ones.
    fn remove_tree(&mut self, index: u32) -> Option<Arc<Region>> {
        let mut root = None;
        let mut stack = Vec::new();
        let mut next = Some(index);
        while let Some(i) = next.take().or_else(|| stack.pop()) {
            let slot = &mut self.slots[i as usize];
            let Some(entry) = slot.entry.take() else {
                continue;
            };
            slot.generation += 1;
            self.free.push(i);
            self.live -= 1;
            if entry.parent.is_none() {
                root = Some(entry.region);
            }
            for (child, generation) in entry.children {
                if self.slots[child as usize].generation == generation {
                    stack.push(child);
                }
            }
        }
        root
    }
}

pub(super) fn insert_root(
    region: Arc<Region>,
    permissions: CapPermissions,
) -> Result<Token, Errno> {
    let t = table();
    let length = region.len();
    let entry = Entry {
        region,
        offset: 0,
        length,
        permissions,
        children: Vec::new(),
        parent: None,
    };
    Ok(t.write().insert(t, entry)?.0)
}

/// `length: None` keeps the parent's remaining length.
pub(super) fn derive(
    parent: Token,
    offset: usize,
    length: Option<usize>,
    permissions: CapPermissions,
) -> Result<Token, Errno> {
    let t = table();
    let mut inner = t.write();
    let pi = inner.resolve(parent).ok_or(Errno::EFAULT)?;
    let pslot = &inner.slots[pi as usize];
    let pgen = pslot.generation;
    let p = pslot.entry.as_ref().ok_or(Errno::EFAULT)?;
    let rest = p.length.checked_sub(offset).ok_or(Errno::EFAULT)?;
    let length = length.unwrap_or(rest);
    if length > rest {
        return Err(Errno::EFAULT);
    }
    let entry = Entry {
        region: Arc::clone(&p.region),
        offset: p.offset + offset,
        length,
        permissions: p.permissions.intersection(permissions),
        children: Vec::new(),
        parent: Some((pi, pgen)),
    };
    let (token, ci, cgen) = inner.insert(t, entry)?;
    if let Some(p) = inner.slots[pi as usize].entry.as_mut() {
        p.children.push((ci, cgen));
    }
    Ok(token)
}

pub(super) fn revoke(token: Token) -> Result<(), Errno> {
    let t = table();
    let root = {
        let mut inner = t.write();
        let index = inner.resolve(token).ok_or(Errno::EFAULT)?;
        let parent = inner.slots[index as usize]
            .entry
            .as_ref()
            .and_then(|e| e.parent);
        if let Some((pi, pgen)) = parent {
            let pslot = &mut inner.slots[pi as usize];
            if let Some(p) = pslot.entry.as_mut().filter(|_| pslot.generation == pgen) {
                p.children.retain(|&(c, _)| c != index);
            }
        }
        inner.remove_tree(index)
    };
    // Outside the lock: waiting for in-flight accesses must not block other tokens.
    if let Some(region) = root {
        region.revoke_and_wait();
    }
    Ok(())
}

pub(super) fn lookup(token: Token) -> Result<(Arc<Region>, usize, usize, CapPermissions), Errno> {
    with_entry(token, |e| {
        (Arc::clone(&e.region), e.offset, e.length, e.permissions)
    })
}

/// The length and permissions of a live token, without holding its region: a check, not an
/// access (an entry is in the table exactly while its token is live; revoking removes it before
/// the region is marked).
pub(super) fn peek(token: Token) -> Result<(usize, CapPermissions), Errno> {
    with_entry(token, |e| (e.length, e.permissions))
}

/// `f` of the live token's entry, under the table's read lock.
fn with_entry<R>(token: Token, f: impl FnOnce(&Entry) -> R) -> Result<R, Errno> {
    let inner = table().read();
    let index = inner.resolve(token).ok_or(Errno::EFAULT)?;
    let e = inner.slots[index as usize]
        .entry
        .as_ref()
        .ok_or(Errno::EFAULT)?;
    Ok(f(e))
}

pub(super) fn live() -> usize {
    table().read().live
}

/// A token a [`Batch`] validated: its slot and that slot's generation. A later batch finds the
/// entry again by comparing the generation (bumped whenever the slot is freed) instead of
/// recomputing the token's tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Checked {
    index: u32,
    generation: u64,
}

/// Several accesses under one read lock of the table (the extension bridge validates and copies
/// all of a call's buffers with one lock round trip instead of one per buffer).
///
/// While a `Batch` is alive, creating, deriving or revoking tokens on the same thread deadlocks:
/// keep it short and call nothing but its methods.
pub(crate) struct Batch {
    inner: RwLockReadGuard<'static, Inner>,
}

impl Batch {
    pub(crate) fn new() -> Batch {
        Batch {
            inner: table().read(),
        }
    }

    /// Checks a token: `EFAULT` if invalid, `EACCES` without `need`, `ERANGE` if shorter than
    /// `len` (the bridge maps these to distinct `ExtError`s; the ABI reports all as `EFAULT`).
    pub(crate) fn check(
        &self,
        token: Token,
        need: CapPermissions,
        len: usize,
    ) -> Result<Checked, Errno> {
        let index = self.inner.resolve(token).ok_or(Errno::EFAULT)?;
        let checked = Checked {
            index,
            generation: self.inner.slots[index as usize].generation,
        };
        self.entry(checked, need, len)?;
        Ok(checked)
    }

    /// The entry of a checked token if it is still in the table (`EFAULT` once revoked), has
    /// `need` and at least `len` bytes.
    fn entry(&self, checked: Checked, need: CapPermissions, len: usize) -> Result<&Entry, Errno> {
        let slot = self
            .inner
            .slots
            .get(checked.index as usize)
            .filter(|s| s.generation == checked.generation)
            .ok_or(Errno::EFAULT)?;
        let e = slot.entry.as_ref().ok_or(Errno::EFAULT)?;
        if !e.permissions.contains(need) {
            return Err(Errno::EACCES);
        }
        if len > e.length {
            return Err(Errno::ERANGE);
        }
        Ok(e)
    }

    /// Checks again, in this batch, a token an earlier batch checked.
    pub(crate) fn recheck(
        &self,
        checked: Checked,
        need: CapPermissions,
        len: usize,
    ) -> Result<(), Errno> {
        self.entry(checked, need, len).map(|_| ())
    }

    /// Fills `dst` with the `dst.len()` bytes at `offset` of a readable token.
    pub(crate) fn read(
        &self,
        checked: Checked,
        offset: usize,
        dst: &mut [u8],
    ) -> Result<(), Errno> {
        let end = offset.checked_add(dst.len()).ok_or(Errno::ERANGE)?;
        let e = self.entry(checked, CapPermissions::READ, end)?;
        // The entry is in the table, so its region is not revoked: a root's revocation removes
        // the entry under the write lock before it marks the region and waits.
        e.region.copy_out(e.offset + offset, dst);
        Ok(())
    }

    /// Writes `data` at `offset` into a writable token.
    pub(crate) fn write(&self, checked: Checked, offset: usize, data: &[u8]) -> Result<(), Errno> {
        let end = offset.checked_add(data.len()).ok_or(Errno::ERANGE)?;
        let e = self.entry(checked, CapPermissions::WRITE, end)?;
        e.region.copy_in(e.offset + offset, data);
        Ok(())
    }
}
