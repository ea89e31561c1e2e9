use super::*;

#[test]
fn listen_connect_send_recv() {
    let perms = IOPermissions {
        net_connect: true,
        net_listen: true,
        net_hosts: vec!["127.0.0.1".into()],
        ..IOPermissions::default()
    };
    let ctx = Sockets::for_context();
    let l = ctx.listen(&perms, b"127.0.0.1", 0).unwrap();
    let port = ctx.port(l).unwrap();
    let c = ctx.connect(&perms, b"127.0.0.1", u64::from(port)).unwrap();
    let s = ctx.accept(l).unwrap();
    assert_eq!(ctx.send(c, b"ping"), Ok(4));
    let mut buf = [0u8; 4];
    assert_eq!(ctx.recv(s, &mut buf), Ok(4));
    assert_eq!(&buf, b"ping");
    assert_eq!(
        ctx.connect(&perms, b"localhost", u64::from(port)),
        Err(Errno::EACCES)
    );
    for fd in [c, s, l] {
        ctx.close(fd).unwrap();
    }
    assert_eq!(ctx.close(c), Err(Errno::EBADF));
}
