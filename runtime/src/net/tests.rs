use super::*;
use crate::perm::IOPermissions;

#[test]
fn listen_connect_send_recv() {
    let ctx = Context::new(IOPermissions {
        net_connect: true,
        net_listen: true,
        net_hosts: vec!["127.0.0.1".into()],
        ..IOPermissions::default()
    });
    let l = ctx.net_listen(b"127.0.0.1", 0).unwrap();
    let port = ctx.net_port(l).unwrap();
    let c = ctx.net_connect(b"127.0.0.1", u64::from(port)).unwrap();
    let s = ctx.net_accept(l).unwrap();
    assert_eq!(ctx.net_send(c, b"ping"), Ok(4));
    let mut buf = [0u8; 4];
    assert_eq!(ctx.net_recv(s, &mut buf), Ok(4));
    assert_eq!(&buf, b"ping");
    assert_eq!(
        ctx.net_connect(b"localhost", u64::from(port)),
        Err(Errno::EACCES)
    );
    for fd in [c, s, l] {
        ctx.net_close(fd).unwrap();
    }
    assert_eq!(ctx.net_close(c), Err(Errno::EBADF));
}
