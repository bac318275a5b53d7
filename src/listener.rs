//! The server's TCP listener: poem's, with Nagle's algorithm turned off on every connection it
//! accepts (`TCP_NODELAY`), as web servers do (nginx's `tcp_nodelay on` is its default).
//!
//! Why: poem leaves Nagle on, and then a response that leaves in more than one write may wait.
//! hyper queues at most 16 buffers before it flushes (`MAX_BUF_LIST_BUFFERS`), so a large body
//! can be several writes; with Nagle on, a later write's partial segment is held until the
//! client acknowledges the previous partial one, and a client may delay its acknowledgements.
//! That is the reasoning, not a measurement: `pilotgov bench --http` measures the one-city board
//! on a second listener with Nagle left on, beside this one, and on loopback the two differed
//! within this machine's drift (README, "Nagle off").

use std::io;

use poem::http::uri::Scheme;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::web::{LocalAddr, RemoteAddr};
use tokio::net::{TcpStream, ToSocketAddrs};

/// A TCP listener whose connections have Nagle's algorithm off.
pub struct NoDelayListener<T>(TcpListener<T>);

impl<T> NoDelayListener<T> {
    pub fn bind(addr: T) -> Self {
        Self(TcpListener::bind(addr))
    }
}

impl<T: ToSocketAddrs + Send> Listener for NoDelayListener<T> {
    type Acceptor = NoDelayAcceptor;

    async fn into_acceptor(self) -> io::Result<NoDelayAcceptor> {
        Ok(NoDelayAcceptor(self.0.into_acceptor().await?))
    }
}

/// Accepts TCP connections and turns Nagle's algorithm off on each.
pub struct NoDelayAcceptor(TcpAcceptor);

impl Acceptor for NoDelayAcceptor {
    type Io = TcpStream;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.0.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(TcpStream, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, scheme) = self.0.accept().await?;
        // A connection that refuses the option is still served, only with Nagle on.
        if let Err(e) = io.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
        Ok((io, local, remote, scheme))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every accepted connection has Nagle off; poem's own listener leaves it on (so the wrapper
    /// is what turns it off, and the comparison in the benchmark compares what it says).
    #[tokio::test]
    async fn accepted_connections_have_nagle_off() {
        let mut ours = NoDelayListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let mut plain = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        for _ in 0..2 {
            let addr = *ours.local_addr()[0].as_socket_addr().unwrap();
            let _client = TcpStream::connect(addr).await.unwrap();
            let (io, ..) = ours.accept().await.unwrap();
            assert!(io.nodelay().unwrap(), "Nagle is off on every accepted connection");
        }
        let addr = *plain.local_addr()[0].as_socket_addr().unwrap();
        let _client = TcpStream::connect(addr).await.unwrap();
        let (io, ..) = plain.accept().await.unwrap();
        assert!(!io.nodelay().unwrap(), "poem's listener leaves Nagle on");
    }
}
