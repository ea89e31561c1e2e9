//! A hierarchical timer wheel: six levels of 64 slots, 1 ms resolution.
//!
//! Level `L` covers `64^(L+1)` ms in slots of `64^L` ms; a timer sits in the level given by the
//! highest bit in which its deadline differs from the wheel's current time, so a slot of level
//! `L > 0` is *cascaded* (its timers re-inserted lower down) when the wheel reaches it. One `u64`
//! occupancy bitmap per level finds the next non-empty slot with a rotate and a
//! `trailing_zeros`. Timers live in an arena with an intrusive doubly-linked list per slot and
//! generational [`TimerId`]s, so insert and cancel are O(1) whatever the number of live timers,
//! and advancing costs the slots and timers it actually reaches.
//!
//! Guarantees: a timer never fires before its deadline (deadlines are rounded *up* to the next
//! millisecond, and [`TimerWheel::timeout_until_next`] is rounded up too); a deadline already in
//! the past fires at the next [`TimerWheel::advance`]; a deadline beyond the wheel's horizon
//! (`64^6` ms, about 795 days) is clamped into the top level and re-inserted when reached.
//! Each is a test in `timer/tests.rs` (`level_boundaries_fire_exactly_on_their_millisecond`,
//! `sub_millisecond_deadlines_round_up`, `past_deadlines_fire_at_next_advance_not_before`,
//! `far_future_timer_is_clamped_and_cascades`), and a property test against a model checks that
//! no timer fires early under random inserts, cancels and advances.

use std::time::{Duration, Instant};

use super::Token;

const LEVELS: usize = 6;
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
/// The first tick the wheel cannot place exactly (`64^LEVELS` ms from now).
const HORIZON: u64 = 1 << (SLOT_BITS as u64 * LEVELS as u64);
/// The list of timers whose deadline had passed when inserted.
const OVERDUE: u16 = (LEVELS * SLOTS) as u16;
const FREE: u16 = u16::MAX;
const NIL: u32 = u32::MAX;

/// Identifies one inserted timer; stale ids (fired or cancelled) are recognised, never confused
/// with a later timer that reuses the same arena slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerId {
    index: u32,
    generation: u32,
}

#[derive(Debug)]
struct Entry {
    token: Token,
    when: u64,
    prev: u32,
    next: u32,
    generation: u32,
    list: u16,
}

/// A hierarchical timer wheel mapping deadlines to [`Token`]s. See the module documentation.
#[derive(Debug)]
pub struct TimerWheel {
    start: Instant,
    /// Milliseconds since `start` processed so far.
    elapsed: u64,
    entries: Vec<Entry>,
    free: Vec<u32>,
    /// Heads of the per-slot lists, `LEVELS * SLOTS` of them, then the overdue list.
    heads: Vec<u32>,
    occupied: [u64; LEVELS],
    fired: Vec<Token>,
    live: usize,
}

impl Default for TimerWheel {
    fn default() -> Self {
        Self::new()
    }
}

impl TimerWheel {
    /// An empty wheel whose clock starts now.
    pub fn new() -> Self {
        Self::with_start(Instant::now())
    }

    /// An empty wheel whose clock starts at `start` (a virtual clock for tests and simulations).
    pub fn with_start(start: Instant) -> Self {
        Self {
            start,
            elapsed: 0,
            entries: Vec::new(),
            free: Vec::new(),
            heads: vec![NIL; LEVELS * SLOTS + 1],
            occupied: [0; LEVELS],
            fired: Vec::new(),
            live: 0,
        }
    }

    /// Number of timers inserted and neither fired nor cancelled.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Schedules `token` to expire `after` from now (from the real clock).
    pub fn insert_after(&mut self, token: Token, after: Duration) -> TimerId {
        self.insert_at(token, Instant::now() + after)
    }

    /// Schedules `token` to expire at `deadline`; a deadline in the past expires at the next
    /// [`advance`](Self::advance).
    pub fn insert_at(&mut self, token: Token, deadline: Instant) -> TimerId {
        let when = self.tick_ceil(deadline);
        let entry = Entry {
            token,
            when,
            prev: NIL,
            next: NIL,
            generation: 0,
            list: FREE,
        };
        let index = match self.free.pop() {
            Some(index) => {
                let generation = self.entries[index as usize].generation;
                self.entries[index as usize] = Entry {
                    generation,
                    ..entry
                };
                index
            }
            None => {
                self.entries.push(entry);
                (self.entries.len() - 1) as u32
            }
        };
        self.live += 1;
        if when <= self.elapsed {
            self.link(index, OVERDUE);
        } else {
            self.place(index);
        }
        TimerId {
            index,
            generation: self.entries[index as usize].generation,
        }
    }

    /// Cancels a pending timer; returns `false` if it already fired or was cancelled.
    pub fn cancel(&mut self, id: TimerId) -> bool {
        match self.entries.get(id.index as usize) {
            Some(e) if e.generation == id.generation && e.list != FREE => {}
            _ => return false,
        }
        self.unlink(id.index);
        self.release(id.index);
        true
    }

    /// Moves the wheel's clock to `now` and collects every timer whose deadline is `<= now`
    /// (drain them with [`expired_timers`](Self::expired_timers)). Time never goes backwards: an
    /// earlier `now` only collects overdue timers.
    pub fn advance(&mut self, now: Instant) {
        let now = self.tick_floor(now).max(self.elapsed);
        self.fire_list(OVERDUE);
        while let Some((level, slot, deadline)) = self.next_expiration() {
            if deadline > now {
                break;
            }
            self.elapsed = deadline;
            let list = (level * SLOTS + slot) as u16;
            let mut index = self.take_list(list);
            while index != NIL {
                let next = self.entries[index as usize].next;
                self.place(index);
                index = next;
            }
            self.fire_list(OVERDUE);
        }
        self.elapsed = now;
    }

    /// Drains the tokens of the timers collected by [`advance`](Self::advance).
    pub fn expired_timers(&mut self) -> std::vec::Drain<'_, Token> {
        self.fired.drain(..)
    }

    /// The instant the wheel next needs [`advance`](Self::advance): never later than the earliest
    /// pending deadline (it may be earlier when a higher level must cascade). `None` if no timer
    /// is pending.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.heads[OVERDUE as usize] != NIL {
            return Some(self.instant_of(self.elapsed));
        }
        let (_, _, deadline) = self.next_expiration()?;
        Some(self.instant_of(deadline))
    }

    /// How long a poll may wait before the next timer is due, rounded up to a whole millisecond so
    /// a wait of this length never wakes before the deadline. `None` if no timer is pending.
    pub fn timeout_until_next(&self) -> Option<Duration> {
        if self.live == 0 {
            return None; // without reading the clock
        }
        self.timeout_until_next_from(Instant::now())
    }

    /// [`timeout_until_next`](Self::timeout_until_next) measured from `now`.
    pub fn timeout_until_next_from(&self, now: Instant) -> Option<Duration> {
        let left = self.next_deadline()?.saturating_duration_since(now);
        let ms = left.as_nanos().div_ceil(1_000_000);
        Some(Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX)))
    }

    fn instant_of(&self, tick: u64) -> Instant {
        self.start
            .checked_add(Duration::from_millis(tick))
            .unwrap_or(self.start)
    }

    fn tick_floor(&self, at: Instant) -> u64 {
        let ms = at.saturating_duration_since(self.start).as_millis();
        u64::try_from(ms).unwrap_or(u64::MAX)
    }

    fn tick_ceil(&self, at: Instant) -> u64 {
        let ms = at
            .saturating_duration_since(self.start)
            .as_nanos()
            .div_ceil(1_000_000);
        u64::try_from(ms).unwrap_or(u64::MAX)
    }

    /// Puts entry `index` in the list its deadline calls for, or fires it if due.
    fn place(&mut self, index: u32) {
        let when = self.entries[index as usize].when;
        if when <= self.elapsed {
            let e = &self.entries[index as usize];
            self.fired.push(e.token);
            self.release(index);
            return;
        }
        let mut masked = (when ^ self.elapsed) | (SLOTS as u64 - 1);
        if masked >= HORIZON {
            masked = HORIZON - 1;
        }
        let level = ((63 - masked.leading_zeros()) / SLOT_BITS) as usize;
        let slot = ((when >> (level as u32 * SLOT_BITS)) as usize) & (SLOTS - 1);
        self.link(index, (level * SLOTS + slot) as u16);
    }

    /// The earliest non-empty slot: `(level, slot, tick at which it must be processed)`.
    fn next_expiration(&self) -> Option<(usize, usize, u64)> {
        for level in 0..LEVELS {
            let occupied = self.occupied[level];
            if occupied == 0 {
                continue;
            }
            let slot_range = 1u64 << (level as u32 * SLOT_BITS);
            let level_range = slot_range << SLOT_BITS;
            let now_slot = (self.elapsed / slot_range) as u32 & (SLOTS as u32 - 1);
            let slot =
                (occupied.rotate_right(now_slot).trailing_zeros() + now_slot) as usize % SLOTS;
            let level_start = self.elapsed & !(level_range - 1);
            let mut deadline = level_start + slot as u64 * slot_range;
            if deadline <= self.elapsed {
                // Only a clamped far-future timer can sit "behind" the clock, in the top level.
                deadline += level_range;
            }
            return Some((level, slot, deadline));
        }
        None
    }

    fn link(&mut self, index: u32, list: u16) {
        let head = self.heads[list as usize];
        {
            let e = &mut self.entries[index as usize];
            e.prev = NIL;
            e.next = head;
            e.list = list;
        }
        if head != NIL {
            self.entries[head as usize].prev = index;
        }
        self.heads[list as usize] = index;
        if list != OVERDUE {
            self.occupied[list as usize / SLOTS] |= 1 << (list as usize % SLOTS);
        }
    }

    fn unlink(&mut self, index: u32) {
        let (prev, next, list) = {
            let e = &self.entries[index as usize];
            (e.prev, e.next, e.list)
        };
        if prev == NIL {
            self.heads[list as usize] = next;
            if next == NIL && list != OVERDUE {
                self.occupied[list as usize / SLOTS] &= !(1 << (list as usize % SLOTS));
            }
        } else {
            self.entries[prev as usize].next = next;
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
    }

    /// Detaches a whole list and returns its first entry (the rest follow through `next`).
    fn take_list(&mut self, list: u16) -> u32 {
        let head = std::mem::replace(&mut self.heads[list as usize], NIL);
        if list != OVERDUE {
            self.occupied[list as usize / SLOTS] &= !(1 << (list as usize % SLOTS));
        }
        head
    }

    fn fire_list(&mut self, list: u16) {
        let mut index = self.take_list(list);
        while index != NIL {
            let next = self.entries[index as usize].next;
            self.fired.push(self.entries[index as usize].token);
            self.release(index);
            index = next;
        }
    }

    fn release(&mut self, index: u32) {
        let e = &mut self.entries[index as usize];
        e.list = FREE;
        e.generation = e.generation.wrapping_add(1);
        self.free.push(index);
        self.live -= 1;
    }
}

#[cfg(test)]
mod tests;
