//! The io_uring ceiling: multishot accept into the ring's fixed-file table, one multishot recv
//! per connection into a ring of provided buffers (armed once, not per request), sends queued
//! and submitted together with the wait (`SINGLE_ISSUER`, `DEFER_TASKRUN`, `COOP_TASKRUN`).
#![allow(unsafe_code)] // io_uring submissions point at memory the kernel uses asynchronously

use std::io;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::{IoUring, cqueue, opcode, squeue, types};

/// Provided buffers (a power of two) and their size.
const BUFS: u16 = 512;
const BUF_LEN: usize = 4096;
const GROUP: u16 = 1;
const FILES: u32 = 16384;
const ACCEPT: u64 = u64::MAX;
const IGNORE: u64 = u64::MAX - 1;

/// One entry of the provided-buffer ring (`struct io_uring_buf`).
#[repr(C)]
struct BufEntry {
    addr: u64,
    len: u32,
    bid: u16,
    resv: u16,
}

#[derive(Default)]
struct Conn {
    /// The bytes of the send in flight (untouched until it completes).
    out: Vec<u8>,
    /// Responses for the next send.
    next: Vec<u8>,
    sending: bool,
    /// Close once everything is out (HTTP/1.0).
    close: bool,
    /// A shutdown has been queued.
    shut: bool,
    /// The multishot recv is armed.
    recv_live: bool,
}

/// Serves on 127.0.0.1:`port` until killed.
pub fn serve(port: u16) -> io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let mut ring: IoUring = IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .setup_coop_taskrun()
        .setup_cqsize(8192)
        .build(1024)?;
    ring.submitter().register_files_sparse(FILES)?;

    // The buffers and the ring that lends them to the kernel live until the process exits
    // (leaked: the kernel may write into them at any time while the ring exists).
    let base = vec![0u8; usize::from(BUFS) * BUF_LEN].leak().as_mut_ptr();
    // The kernel wants the ring page-aligned.
    let layout = std::alloc::Layout::from_size_align(usize::from(BUFS) * 16, 4096)
        .map_err(io::Error::other)?;
    // SAFETY: the layout has a non-zero size; the memory is zeroed (every entry empty) and
    // never freed.
    let ring_addr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<BufEntry>();
    if ring_addr.is_null() {
        return Err(io::Error::from(io::ErrorKind::OutOfMemory));
    }
    // SAFETY: `ring_addr` points at BUFS entries that live forever; the kernel reads them.
    unsafe {
        ring.submitter()
            .register_buf_ring_with_flags(ring_addr as u64, BUFS, GROUP, 0)?
    };
    // The ring's tail overlays the `resv` field of entry 0 (offset 14), shared with the kernel.
    let tail_ptr = ring_addr.cast::<u8>().wrapping_add(14).cast::<AtomicU16>();
    // SAFETY: in bounds of entry 0 and 2-aligned; only ever accessed atomically from here on.
    let tail = unsafe { &*tail_ptr };
    let mut local_tail = 0u16;
    let lend = |bid: u16, local_tail: &mut u16| {
        let slot = usize::from(*local_tail & (BUFS - 1));
        let entry = ring_addr.wrapping_add(slot);
        let addr = base.wrapping_add(usize::from(bid) * BUF_LEN) as u64;
        // Three field writes through one pointer, not a whole-entry write, which would
        // overwrite the tail in entry 0.
        #[expect(
            clippy::multiple_unsafe_ops_per_block,
            reason = "one entry, three fields"
        )]
        // SAFETY: `slot` < BUFS, so `entry` is in the ring; the entry is not in the kernel's
        // hands (it lies beyond the published tail), and its `resv` field (the tail, for entry
        // 0) is left alone.
        unsafe {
            std::ptr::addr_of_mut!((*entry).addr).write(addr);
            std::ptr::addr_of_mut!((*entry).len).write(BUF_LEN as u32);
            std::ptr::addr_of_mut!((*entry).bid).write(bid);
        }
        *local_tail = local_tail.wrapping_add(1);
    };
    for bid in 0..BUFS {
        lend(bid, &mut local_tail);
    }
    tail.store(local_tail, Ordering::Release);

    let (keep, close) = (super::response(true), super::response(false));
    let accept = opcode::AcceptMulti::new(types::Fd(listener.as_raw_fd()))
        .allocate_file_index(true)
        .build()
        .user_data(ACCEPT);
    let recv = |slot: u32| {
        opcode::RecvMulti::new(types::Fixed(slot), GROUP)
            .build()
            .user_data(u64::from(slot) << 1)
    };
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut queue: Vec<squeue::Entry> = vec![accept.clone()];
    let mut done: Vec<(u64, i32, u32)> = Vec::new();
    loop {
        {
            let mut sq = ring.submission();
            for e in queue.drain(..) {
                // SAFETY: every entry points at memory that outlives its operation: buffers
                // of the leaked pool, or a connection's `out`, not touched while its send runs.
                unsafe {
                    sq.push(&e)
                        .map_err(|_| io::Error::other("submission queue full"))?
                };
            }
        }
        ring.submitter().submit_and_wait(1)?;
        done.clear();
        done.extend(
            ring.completion()
                .map(|c| (c.user_data(), c.result(), c.flags())),
        );
        for &(data, res, flags) in &done {
            if data == IGNORE {
                continue;
            }
            if data == ACCEPT {
                if let Ok(slot) = usize::try_from(res) {
                    if conns.len() <= slot {
                        conns.resize_with(slot + 1, || None);
                    }
                    conns[slot] = Some(Conn {
                        recv_live: true,
                        ..Conn::default()
                    });
                    queue.push(recv(slot as u32));
                }
                if !cqueue::more(flags) {
                    queue.push(accept.clone());
                }
                continue;
            }
            let slot = (data >> 1) as u32;
            let Some(c) = conns.get_mut(slot as usize).and_then(Option::as_mut) else {
                continue;
            };
            if data & 1 == 0 {
                let more = cqueue::more(flags);
                match usize::try_from(res) {
                    Ok(n @ 1..) => {
                        if let Some(bid) = cqueue::buffer_select(flags) {
                            let start = base.wrapping_add(usize::from(bid) * BUF_LEN);
                            // SAFETY: the kernel filled `n` <= BUF_LEN bytes of buffer `bid`
                            // and hands it back: it is ours until `lend` below.
                            let data = unsafe { std::slice::from_raw_parts(start, n) };
                            let (heads, http10) = super::requests(data);
                            lend(bid, &mut local_tail);
                            c.close |= http10;
                            for _ in 0..heads {
                                c.next
                                    .extend_from_slice(if c.close { &close } else { &keep });
                            }
                        }
                        if !more && !c.close && !c.shut {
                            queue.push(recv(slot));
                        } else if !more {
                            c.recv_live = false;
                        }
                    }
                    // Out of buffers: the recv ended, arm it again.
                    _ if res == -libc::ENOBUFS && !c.shut => queue.push(recv(slot)),
                    // End of stream or an error.
                    _ => c.recv_live = more,
                }
            } else {
                c.sending = false;
                let sent = usize::try_from(res).unwrap_or(c.out.len()).min(c.out.len());
                c.out.drain(..sent);
                let rest = std::mem::take(&mut c.out);
                c.next.splice(0..0, rest);
                if res < 0 {
                    c.next.clear();
                    c.close = true;
                }
            }
            if !c.sending && !c.next.is_empty() {
                std::mem::swap(&mut c.out, &mut c.next);
                c.sending = true;
                queue.push(
                    opcode::Send::new(types::Fixed(slot), c.out.as_ptr(), c.out.len() as u32)
                        .build()
                        .user_data((u64::from(slot) << 1) | 1),
                );
            } else if !c.sending && !c.recv_live {
                queue.push(
                    opcode::Close::new(types::Fixed(slot))
                        .build()
                        .user_data(IGNORE),
                );
                conns[slot as usize] = None;
            } else if !c.sending && c.close && !c.shut {
                // Everything is out: the shutdown ends the recv, whose last completion closes.
                let shut = opcode::Shutdown::new(types::Fixed(slot), libc::SHUT_RDWR);
                queue.push(shut.build().user_data(IGNORE));
                c.shut = true;
            }
        }
        tail.store(local_tail, Ordering::Release);
    }
}
