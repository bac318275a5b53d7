//! Where the log lines go: standard error, written by a thread of its own that paces itself.
//!
//! Every request logs a line. Handing it to `tracing_appender`'s writer thread keeps the write
//! out of the request, but that thread parks when its queue is empty, so under a steady trickle
//! each line wakes it and costs a `write(2)` of its own: at one client, a cached ranking page
//! answered at half the rate it does with the log off (`pilotgov bench --http`). [`Paced`] makes
//! the thread rest for a moment after each flush, so the lines that arrive meanwhile go out
//! together in one write, and senders find nobody parked to wake.
//!
//! What it costs: a line reaches the log at most [`PAUSE`] after it was logged. The first line
//! after a quiet spell is written at once (the thread was waiting for it), and a clean stop
//! drains the queue. Not lossy: a full queue makes the request wait, as before.

use std::io::{self, Write};
use std::time::Duration;

/// How long the writer thread rests after flushing.
pub const PAUSE: Duration = Duration::from_millis(20);

/// A buffered writer whose flush rests afterwards; only for a writer thread of its own.
pub struct Paced<W: Write> {
    inner: io::BufWriter<W>,
    pause: Duration,
}

impl<W: Write> Paced<W> {
    pub fn new(inner: W, pause: Duration) -> Self {
        Self { inner: io::BufWriter::with_capacity(64 * 1024, inner), pause }
    }
}

impl<W: Write> Write for Paced<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    /// `tracing_appender`'s worker flushes when its queue runs empty: the end of a batch.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()?;
        std::thread::sleep(self.pause);
        Ok(())
    }
}

/// Standard error through a paced, non-blocking writer thread; keep the guard until exit (its
/// drop writes what is still queued).
pub fn stderr() -> (tracing_appender::non_blocking::NonBlocking, tracing_appender::non_blocking::WorkerGuard) {
    tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(false).finish(Paced::new(io::stderr(), PAUSE))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Lines wait in the buffer until the batch ends, then go out whole and in order.
    #[test]
    fn a_batch_is_written_at_its_flush() {
        let sink = Sink::default();
        let mut w = Paced::new(sink.clone(), Duration::ZERO);
        w.write_all(b"one\n").unwrap();
        w.write_all(b"two\n").unwrap();
        assert!(sink.0.lock().unwrap().is_empty());
        w.flush().unwrap();
        assert_eq!(sink.0.lock().unwrap().as_slice(), b"one\ntwo\n");
    }

    /// Through the real writer thread: what was logged is written, and dropping the guard (a
    /// clean stop) drains what is still queued behind a rest.
    #[test]
    fn the_writer_thread_drains_the_queue_at_a_stop() {
        let sink = Sink::default();
        let (mut writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .lossy(false)
            .finish(Paced::new(sink.clone(), Duration::from_millis(50)));
        for i in 0..1000 {
            writeln!(writer, "line {i}").unwrap();
        }
        drop(guard);
        let written = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(written.lines().count(), 1000);
        assert!(written.ends_with("line 999\n"));
    }
}
