//! HTTP/1.1 request heads (parsed with `httparse`), body framing, and the server's responses.
//!
//! The framing rules are RFC 9112's, strictly, so that no request can be read two ways (request
//! smuggling): a `Transfer-Encoding` together with a `Content-Length`, a repeated
//! `Content-Length`, a `Transfer-Encoding` whose last coding is not `chunked` or that comes in an
//! HTTP/1.0 request, a malformed length or chunk size — each is a 400 and the connection closes.
//! So is a `Host` that is missing in HTTP/1.1, repeated, or not `uri-host [ ":" port ]`
//! (RFC 9112 §3.2).

use std::mem::MaybeUninit;
use std::time::SystemTime;

/// At most this many header fields in a request (more: 431).
pub const MAX_HEADERS: usize = 64;

/// Size limits of a request, each answered with its own status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest request line (method, target, version): longer is 414.
    pub max_request_line: usize,
    /// The largest request head (request line and header fields): larger is 431.
    pub max_head: usize,
    /// The largest request body, declared or chunked: larger is 413.
    pub max_body: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_request_line: 8 * 1024,
            max_head: 16 * 1024,
            max_body: 1024 * 1024,
        }
    }
}

/// The statuses this server answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// 200: the fixed response.
    Ok,
    /// 400: malformed request or ambiguous framing.
    BadRequest,
    /// 405: CONNECT and TRACE are not served.
    MethodNotAllowed,
    /// 408: the request head or body did not arrive in time.
    RequestTimeout,
    /// 413: the body is larger than [`Limits::max_body`].
    ContentTooLarge,
    /// 414: the request line is longer than [`Limits::max_request_line`].
    UriTooLong,
    /// 417: an `Expect` other than `100-continue`.
    ExpectationFailed,
    /// 431: the head is larger than [`Limits::max_head`] or has too many fields.
    HeaderFieldsTooLarge,
    /// 501: a transfer coding this server does not know.
    NotImplemented,
    /// 503: the connection limit is reached.
    ServiceUnavailable,
    /// 505: an HTTP version other than 1.0 and 1.1.
    VersionNotSupported,
}

impl Status {
    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::BadRequest => 400,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::ContentTooLarge => 413,
            Status::UriTooLong => 414,
            Status::ExpectationFailed => 417,
            Status::HeaderFieldsTooLarge => 431,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
            Status::VersionNotSupported => 505,
        }
    }

    /// The reason phrase.
    pub fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::BadRequest => "Bad Request",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::RequestTimeout => "Request Timeout",
            Status::ContentTooLarge => "Content Too Large",
            Status::UriTooLong => "URI Too Long",
            Status::ExpectationFailed => "Expectation Failed",
            Status::HeaderFieldsTooLarge => "Request Header Fields Too Large",
            Status::NotImplemented => "Not Implemented",
            Status::ServiceUnavailable => "Service Unavailable",
            Status::VersionNotSupported => "HTTP Version Not Supported",
        }
    }

    /// Every status, for tests and statistics.
    pub const ALL: [Status; 11] = [
        Status::Ok,
        Status::BadRequest,
        Status::MethodNotAllowed,
        Status::RequestTimeout,
        Status::ContentTooLarge,
        Status::UriTooLong,
        Status::ExpectationFailed,
        Status::HeaderFieldsTooLarge,
        Status::NotImplemented,
        Status::ServiceUnavailable,
        Status::VersionNotSupported,
    ];
}

/// How the body of a request is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// `Content-Length` bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
}

/// A complete, valid request head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Bytes of the head, final empty line included.
    pub len: usize,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
    /// How the body is delimited.
    pub framing: Framing,
    /// A HEAD request: the response has no body.
    pub head_only: bool,
    /// `Expect: 100-continue` with a body to come.
    pub expect_continue: bool,
}

/// The outcome of looking at the start of a connection's unread bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// More bytes are needed.
    Partial,
    /// A request head.
    Complete(Head),
    /// An invalid request: answer with this status and close.
    Reject(Status),
}

/// Finds where a request head ends (`\n\n` or `\n\r\n`) in `buf`, starting the search at
/// `from` (an earlier search that failed saves rescanning: pass the `buf.len()` it saw).
pub fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(2);
    let mut i = start;
    while let Some(p) = buf.get(i..)?.iter().position(|&b| b == b'\n') {
        let nl = i + p;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// Parses the request head at the start of `buf`. `scanned` is how much of `buf` an earlier
/// call already searched for the end of the head (0 at first); it is updated, so a head that
/// arrives one byte at a time costs linear, not quadratic, time.
pub fn parse_head(buf: &[u8], scanned: &mut usize, limits: &Limits) -> Parsed {
    // Blank lines before a request line are ignored (RFC 9112 §2.2); they still count
    // towards the head's size.
    let skip = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let rest = &buf[skip..];
    let end = head_end(rest, scanned.saturating_sub(skip)).filter(|_| !rest.is_empty());
    *scanned = if end.is_some() { 0 } else { buf.len() };
    // Each limit is judged at the byte where it is first exceeded, so the answer does not
    // depend on how the bytes arrived: the earlier violation wins (the line on a tie).
    let line_too_long =
        rest.len() > limits.max_request_line && !rest[..=limits.max_request_line].contains(&b'\n');
    let head_too_large = match end {
        Some(end) => skip + end > limits.max_head,
        None => buf.len() >= limits.max_head,
    };
    match (line_too_long, head_too_large) {
        (true, true) if skip + limits.max_request_line < limits.max_head => {
            return Parsed::Reject(Status::UriTooLong);
        }
        (true, false) => return Parsed::Reject(Status::UriTooLong),
        (_, true) => return Parsed::Reject(Status::HeaderFieldsTooLarge),
        (false, false) => {}
    }
    let Some(end) = end else {
        return Parsed::Partial;
    };
    let mut storage = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(&rest[..end], &mut storage) {
        Ok(httparse::Status::Complete(len)) => check_head(&req, skip + len, limits),
        Ok(httparse::Status::Partial) => Parsed::Reject(Status::BadRequest),
        Err(httparse::Error::TooManyHeaders) => Parsed::Reject(Status::HeaderFieldsTooLarge),
        Err(httparse::Error::Version) => Parsed::Reject(Status::VersionNotSupported),
        Err(_) => Parsed::Reject(Status::BadRequest),
    }
}

fn check_head(req: &httparse::Request<'_, '_>, len: usize, limits: &Limits) -> Parsed {
    let reject = Parsed::Reject;
    let http11 = req.version == Some(1);
    let method = req.method.unwrap_or("");
    if method == "CONNECT" || method == "TRACE" {
        return reject(Status::MethodNotAllowed);
    }
    let mut length: Option<u64> = None;
    let mut codings = 0usize;
    let mut chunked_last = false;
    let mut hosts = 0usize;
    let (mut close, mut keep) = (false, false);
    let mut expect_continue = false;
    for h in req.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            if length.is_some() {
                return reject(Status::BadRequest); // duplicate Content-Length
            }
            match parse_length(h.value) {
                Some(n) => length = Some(n),
                None => return reject(Status::BadRequest),
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            for coding in list(h.value) {
                if chunked_last {
                    return reject(Status::BadRequest); // a coding after chunked
                }
                codings += 1;
                if coding.eq_ignore_ascii_case(b"chunked") {
                    chunked_last = true;
                } else if !KNOWN_CODINGS.iter().any(|k| coding.eq_ignore_ascii_case(k)) {
                    return reject(Status::NotImplemented);
                }
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for token in list(h.value) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case("host") {
            hosts += 1;
            if !valid_host(h.value) {
                return reject(Status::BadRequest);
            }
        } else if name.eq_ignore_ascii_case("expect") {
            if !h.value.eq_ignore_ascii_case(b"100-continue") {
                return reject(Status::ExpectationFailed);
            }
            expect_continue = true;
        }
    }
    if hosts > 1 || (http11 && hosts == 0) {
        return reject(Status::BadRequest);
    }
    let framing = if codings > 0 {
        if length.is_some() || !http11 || !chunked_last {
            return reject(Status::BadRequest);
        }
        Framing::Chunked
    } else {
        match length {
            Some(n) if n > limits.max_body => return reject(Status::ContentTooLarge),
            Some(0) | None => Framing::None,
            Some(n) => Framing::Length(n),
        }
    };
    Parsed::Complete(Head {
        len,
        keep_alive: !close && (http11 || keep),
        framing,
        head_only: method == "HEAD",
        expect_continue: expect_continue && http11 && framing != Framing::None,
    })
}

/// Whether a `Host` value is `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986 §3.2.2): a
/// bracketed IPv6 address or `IPvFuture`, or a non-empty reg-name (which an IPv4 address also
/// is), then an optional colon and digits. An empty host is refused as nginx does: an `http`
/// URI with an empty host is invalid (RFC 9110 §4.2.1).
fn valid_host(value: &[u8]) -> bool {
    let value = value.trim_ascii();
    if let Some(rest) = value.strip_prefix(b"[") {
        return match rest.iter().position(|&b| b == b']') {
            Some(close) if ip_literal(&rest[..close]) => port(&rest[close + 1..]),
            _ => false,
        };
    }
    // One pass over the reg-name (the common case: `Host: 127.0.0.1:8080`), then the port.
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if REG_NAME[usize::from(b)] {
            i += 1;
        } else if b == b'%'
            && value
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        {
            i += 3;
        } else {
            return i > 0 && port(&value[i..]);
        }
    }
    i > 0
}

/// Nothing, or `":" *DIGIT`.
fn port(rest: &[u8]) -> bool {
    match rest.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

/// `IPv6address / IPvFuture`, between the brackets of an RFC 3986 IP-literal.
fn ip_literal(inside: &[u8]) -> bool {
    match inside.split_first() {
        Some((b'v' | b'V', future)) => {
            let Some(dot) = future.iter().position(|&b| b == b'.') else {
                return false;
            };
            let (version, rest) = (&future[..dot], &future[dot + 1..]);
            !version.is_empty()
                && version.iter().all(u8::is_ascii_hexdigit)
                && !rest.is_empty()
                && rest.iter().all(|&b| b == b':' || REG_NAME[usize::from(b)])
        }
        _ => std::str::from_utf8(inside).is_ok_and(|s| s.parse::<std::net::Ipv6Addr>().is_ok()),
    }
}

/// The bytes a `reg-name` holds as themselves (unreserved and sub-delims): one load per byte.
static REG_NAME: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = unreserved(b as u8) || sub_delim(b as u8);
        b += 1;
    }
    t
};

const fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

const fn sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// Transfer codings that may precede `chunked` (the body is discarded, never decoded).
const KNOWN_CODINGS: [&[u8]; 4] = [b"gzip", b"x-gzip", b"deflate", b"compress"];

/// `1*DIGIT`, at most 18 digits (no sign, no spaces, no list).
fn parse_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 18 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// The non-empty elements of a comma-separated header list, without surrounding whitespace.
fn list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty())
}

/// Discards a chunked body incrementally (RFC 9112 §7.1), strictly: CRLF line ends only, hex
/// sizes of at most 15 digits, bounded extension and trailer lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Chunked {
    state: ChunkState,
    size: u64,
    digits: u8,
    line: usize,
    total: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum ChunkState {
    #[default]
    Size,
    Ext,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    TrailerStart,
    Trailer,
    TrailerLf,
    EndLf,
    Done,
}

/// Longest chunk-size line (with extensions) or trailer line accepted.
const MAX_CHUNK_LINE: usize = 4096;

impl Chunked {
    /// Consumes body bytes from `buf`; returns how many it used and whether the body is
    /// complete, or the status to reject it with.
    pub fn feed(&mut self, buf: &[u8], max_body: u64) -> Result<(usize, bool), Status> {
        use ChunkState::*;
        let bad = Err(Status::BadRequest);
        let mut i = 0;
        while i < buf.len() && self.state != Done {
            let b = buf[i];
            if self.state == Data {
                let take = (self.size.min((buf.len() - i) as u64)) as usize;
                self.size -= take as u64;
                i += take;
                if self.size == 0 {
                    self.state = DataCr;
                }
                continue;
            }
            i += 1;
            self.line += 1;
            if self.line > MAX_CHUNK_LINE {
                return bad;
            }
            self.state = match (self.state, b) {
                (Size, b'\r') if self.digits > 0 => SizeLf,
                (Size, b';' | b' ' | b'\t') if self.digits > 0 => Ext,
                (Size, _) => {
                    let Some(d) = (b as char).to_digit(16) else {
                        return bad;
                    };
                    if self.digits == 15 {
                        return bad;
                    }
                    self.digits += 1;
                    self.size = self.size * 16 + u64::from(d);
                    Size
                }
                (Ext, b'\r') => SizeLf,
                (Ext, b'\n') => return bad,
                (Ext, _) => Ext,
                (SizeLf, b'\n') => {
                    self.line = 0;
                    self.digits = 0;
                    self.total = self.total.saturating_add(self.size);
                    if self.total > max_body {
                        return Err(Status::ContentTooLarge);
                    }
                    if self.size == 0 { TrailerStart } else { Data }
                }
                (DataCr, b'\r') => DataLf,
                (DataLf, b'\n') => {
                    self.line = 0;
                    Size
                }
                (TrailerStart, b'\r') => EndLf,
                (Trailer, b'\r') => TrailerLf,
                (TrailerStart | Trailer, b'\n') => return bad,
                (TrailerStart | Trailer, _) => Trailer,
                (TrailerLf, b'\n') => {
                    self.line = 0;
                    TrailerStart
                }
                (EndLf, b'\n') => Done,
                _ => return bad,
            };
        }
        Ok((i, self.state == Done))
    }
}

/// `HTTP/1.1 100 Continue`, sent before reading a body the client is holding back.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The response body, as nginx's `return 200 "Hello, World!";` sends it.
pub const BODY: &[u8] = b"Hello, World!";

/// The `Server` header's value.
pub const SERVER: &str = concat!("neurlang/", env!("CARGO_PKG_VERSION"));

/// The server's responses, with the same header fields in the same order as nginx's
/// (`Server`, `Date`, `Content-Type`, `Content-Length`, `Connection`), rebuilt when the second
/// of the `Date` changes.
#[derive(Debug)]
pub struct Responses {
    second: u64,
    date: String,
    /// Indexed by `[head_only][keep_alive]`.
    ok: [[Vec<u8>; 2]; 2],
}

impl Responses {
    /// Responses dated `now`.
    pub fn new(now: SystemTime) -> Responses {
        let mut r = Responses {
            second: u64::MAX,
            date: String::new(),
            ok: Default::default(),
        };
        r.refresh(now);
        r
    }

    /// Re-dates the responses if `now` is in another second than the current date.
    pub fn refresh(&mut self, now: SystemTime) {
        let second = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if second == self.second {
            return;
        }
        self.second = second;
        self.date = httpdate::fmt_http_date(now);
        for head_only in [false, true] {
            for keep_alive in [false, true] {
                let mut out = Vec::new();
                self.write_head(&mut out, Status::Ok, BODY.len(), keep_alive);
                if !head_only {
                    out.extend_from_slice(BODY);
                }
                self.ok[usize::from(head_only)][usize::from(keep_alive)] = out;
            }
        }
    }

    /// The `Date` value in use.
    pub fn date(&self) -> &str {
        &self.date
    }

    /// The complete 200 response.
    pub fn ok(&self, head_only: bool, keep_alive: bool) -> &[u8] {
        &self.ok[usize::from(head_only)][usize::from(keep_alive)]
    }

    /// Appends an error response (`Connection: close`, a one-line text body) to `out`.
    pub fn error(&self, out: &mut Vec<u8>, status: Status) {
        let body = format!("{} {}\n", status.code(), status.reason());
        self.write_head(out, status, body.len(), false);
        out.extend_from_slice(body.as_bytes());
    }

    fn write_head(&self, out: &mut Vec<u8>, status: Status, len: usize, keep_alive: bool) {
        let connection = if keep_alive { "keep-alive" } else { "close" };
        let head = format!(
            "HTTP/1.1 {} {}\r\nServer: {SERVER}\r\nDate: {}\r\nContent-Type: text/plain\r\n\
             Content-Length: {len}\r\nConnection: {connection}\r\n\r\n",
            status.code(),
            status.reason(),
            self.date
        );
        out.extend_from_slice(head.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(buf: &[u8]) -> Parsed {
        parse_head(buf, &mut 0, &Limits::default())
    }

    fn head(buf: &[u8]) -> Head {
        match parse(buf) {
            Parsed::Complete(h) => h,
            other => panic!("{other:?} for {:?}", String::from_utf8_lossy(buf)),
        }
    }

    #[test]
    fn keep_alive_follows_version_and_connection() {
        let h = head(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert!(h.keep_alive && h.framing == Framing::None && !h.head_only);
        assert_eq!(h.len, 27);
        assert!(!head(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n").keep_alive);
        assert!(!head(b"GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(head(b"GET / HTTP/1.0\r\nConnection: x, Keep-Alive\r\n\r\n").keep_alive);
        assert!(head(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n").head_only);
        // Bare LF line ends and leading blank lines are accepted (RFC 9112 §2.2).
        assert!(head(b"\r\nGET / HTTP/1.1\nHost: a\n\n").keep_alive);
    }

    #[test]
    fn framing_is_unambiguous() {
        let h = head(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(5));
        let h = head(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        assert_eq!(h.framing, Framing::Chunked);
        for bad in [
            &b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
        ] {
            assert_eq!(
                parse(bad),
                Parsed::Reject(Status::BadRequest),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br, chunked\r\n\r\n"),
            Parsed::Reject(Status::NotImplemented)
        );
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n"),
            Parsed::Reject(Status::ContentTooLarge)
        );
        assert_eq!(
            parse(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
            Parsed::Reject(Status::VersionNotSupported)
        );
        assert_eq!(
            parse(b"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n"),
            Parsed::Reject(Status::MethodNotAllowed)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"),
            Parsed::Reject(Status::ExpectationFailed)
        );
    }

    #[test]
    fn host_must_be_uri_host_and_port() {
        for good in [
            "a",
            "example.com:8080",
            "127.0.0.1",
            "[::1]:80",
            "[::ffff:1.2.3.4]",
            "[v1.x:y]",
            "a:",
            "x-y_z~.%41!$&'()*+,;=",
            " a ",
        ] {
            let req = format!("GET / HTTP/1.1\r\nHost: {good}\r\n\r\n");
            assert!(
                matches!(parse(req.as_bytes()), Parsed::Complete(_)),
                "{good:?}"
            );
        }
        for bad in [
            "",
            "a/b",
            "a b",
            "a:8x",
            "a::80",
            "a:-1",
            ":80",
            "[::1",
            "[::1]x",
            "[::1]:8x",
            "[1.2.3.4]",
            "[::1%eth0]",
            "[v1.]",
            "[v.x]",
            "[vg.x]",
            "a%4",
            "a%zz",
            "a@b",
            "a\\b",
            "\u{e9}",
        ] {
            let req = format!("GET / HTTP/1.0\r\nHost: {bad}\r\n\r\n");
            assert_eq!(
                parse(req.as_bytes()),
                Parsed::Reject(Status::BadRequest),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn limits_give_414_and_431() {
        let limits = Limits::default();
        let long_line = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(9000));
        assert_eq!(
            parse(long_line.as_bytes()),
            Parsed::Reject(Status::UriTooLong)
        );
        // Still partial: the line is already too long.
        assert_eq!(
            parse(&long_line.as_bytes()[..8300]),
            Parsed::Reject(Status::UriTooLong)
        );
        assert_eq!(parse(&long_line.as_bytes()[..8000]), Parsed::Partial);
        let big = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
            "b".repeat(17000)
        );
        assert_eq!(
            parse(big.as_bytes()),
            Parsed::Reject(Status::HeaderFieldsTooLarge)
        );
        assert_eq!(
            parse(&big.as_bytes()[..limits.max_head]),
            Parsed::Reject(Status::HeaderFieldsTooLarge)
        );
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n");
        assert_eq!(
            parse(many.as_bytes()),
            Parsed::Reject(Status::HeaderFieldsTooLarge)
        );
    }

    #[test]
    fn byte_at_a_time_scanning_finds_the_end() {
        let req = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET";
        let mut scanned = 0;
        let limits = Limits::default();
        for n in 1..27 {
            assert_eq!(
                parse_head(&req[..n], &mut scanned, &limits),
                Parsed::Partial,
                "{n}"
            );
            assert_eq!(scanned, n);
        }
        assert!(matches!(
            parse_head(&req[..30], &mut scanned, &limits),
            Parsed::Complete(Head { len: 27, .. })
        ));
        assert_eq!(scanned, 0);
    }

    #[test]
    fn chunked_bodies() {
        let body =
            b"5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        let mut c = Chunked::default();
        assert_eq!(c.feed(body, 1 << 20), Ok((body.len() - 4, true)));
        // The same, one byte at a time.
        let mut c = Chunked::default();
        let mut used = 0;
        for i in 0..body.len() - 4 {
            let (n, done) = c.feed(&body[i..=i], 1 << 20).unwrap();
            used += n;
            assert_eq!(done, i == body.len() - 5);
        }
        assert_eq!(used, body.len() - 4);
        for bad in [
            &b"5\nhello\r\n0\r\n\r\n"[..],
            b"5\r\nhello\n0\r\n\r\n",
            b"5\r\nhelloX\r\n0\r\n\r\n",
            b"g\r\n",
            b"\r\n",
            b"1000000000000000\r\n",
            b"0\r\n\n",
        ] {
            assert_eq!(
                Chunked::default().feed(bad, 1 << 20),
                Err(Status::BadRequest),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            Chunked::default().feed(b"ff\r\n", 100),
            Err(Status::ContentTooLarge)
        );
    }

    #[test]
    fn responses_match_nginx_layout() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let r = Responses::new(at);
        let text = String::from_utf8(r.ok(false, true).to_vec()).unwrap();
        assert_eq!(
            text,
            format!(
                "HTTP/1.1 200 OK\r\nServer: {SERVER}\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n\
                 Content-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\n\
                 Hello, World!"
            )
        );
        assert!(r.ok(true, false).ends_with(b"Connection: close\r\n\r\n"));
        assert_eq!(r.date(), "Tue, 14 Nov 2023 22:13:20 GMT");
        let mut e = Vec::new();
        r.error(&mut e, Status::HeaderFieldsTooLarge);
        assert!(e.starts_with(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(e.ends_with(
            b"Content-Length: 36\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large\n"
        ));
    }

    #[test]
    fn a_body_of_exactly_the_limit_is_accepted() {
        let limits = Limits {
            max_body: 10,
            ..Limits::default()
        };
        let with_length = |n: u64| {
            let req = format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {n}\r\n\r\n");
            match parse_head(req.as_bytes(), &mut 0, &limits) {
                Parsed::Complete(h) => Ok(h.framing),
                Parsed::Reject(status) => Err(status),
                Parsed::Partial => panic!("partial"),
            }
        };
        assert_eq!(with_length(10), Ok(Framing::Length(10)));
        assert_eq!(with_length(11), Err(Status::ContentTooLarge));
    }

    #[test]
    fn the_limit_exceeded_first_names_the_refusal() {
        // A line limit beyond the head limit: a long line passes the head limit first.
        let limits = Limits {
            max_request_line: 200,
            max_head: 100,
            ..Limits::default()
        };
        let long_line = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(300));
        assert_eq!(
            parse_head(long_line.as_bytes(), &mut 0, &limits),
            Parsed::Reject(Status::HeaderFieldsTooLarge)
        );
        // The usual order: the line limit first.
        let limits = Limits {
            max_request_line: 100,
            max_head: 200,
            ..Limits::default()
        };
        assert_eq!(
            parse_head(long_line.as_bytes(), &mut 0, &limits),
            Parsed::Reject(Status::UriTooLong)
        );
    }
}
