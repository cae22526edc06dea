//! Standard output of the tools. Their output is made to be piped (`reference-app decode f.bin |
//! head`), and a reader that closes the pipe early has all it wanted: that ends the output
//! quietly, where `println!` would panic on the broken pipe (Rust ignores SIGPIPE, so the write
//! fails with `EPIPE` instead of killing the process).

use std::io::{ErrorKind, Write};

use anyhow::{Context, Result};

/// Whether the reader of the output is still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// It took everything written so far.
    Open,
    /// It closed the pipe: write nothing more.
    Gone,
}

/// Writes `text` to `out` and flushes it. A closed pipe is [`Reader::Gone`], not an error.
pub(crate) fn write_to(out: &mut impl Write, text: &str) -> std::io::Result<Reader> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(Reader::Open),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(Reader::Gone),
        Err(e) => Err(e),
    }
}

/// Writes `text` to standard output (see [`write_to`]).
pub(crate) fn print(text: &str) -> Result<Reader> {
    write_to(&mut std::io::stdout().lock(), text).context("cannot write to standard output")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipe whose reader left after `room` bytes.
    struct ClosedPipe {
        room: usize,
        written: Vec<u8>,
    }

    impl Write for ClosedPipe {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_ends_the_output_quietly() {
        let mut pipe = ClosedPipe {
            room: 4,
            written: Vec::new(),
        };
        assert_eq!(
            write_to(&mut pipe, "{\n  \"a\": 1\n}\n").ok(),
            Some(Reader::Gone)
        );
        assert_eq!(pipe.written, b"{\n  ");
        let mut all = Vec::new();
        assert_eq!(write_to(&mut all, "x\n").ok(), Some(Reader::Open));
        assert_eq!(all, b"x\n");
    }

    #[test]
    fn other_write_errors_are_errors() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        assert!(write_to(&mut Full, "x").is_err());
    }
}
