//! A protobuf writer that appends to a `Vec<u8>`.

/// The number of bytes the varint encoding of `v` takes.
#[inline]
pub(crate) const fn varint_len(v: u64) -> usize {
    // ceil(bits / 7), with 0 taking one byte.
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Appends protobuf fields to a buffer.
#[derive(Debug)]
pub(crate) struct Writer<'b> {
    buf: &'b mut Vec<u8>,
}

impl<'b> Writer<'b> {
    pub(crate) fn new(buf: &'b mut Vec<u8>) -> Self {
        Writer { buf }
    }

    #[inline]
    pub(crate) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    #[inline]
    fn key(&mut self, field: u32, wire_type: u8) {
        self.varint(u64::from(field << 3 | u32::from(wire_type)));
    }

    #[inline]
    pub(crate) fn uint64(&mut self, field: u32, v: u64) {
        self.key(field, 0);
        self.varint(v);
    }

    #[inline]
    pub(crate) fn bool(&mut self, field: u32, v: bool) {
        self.key(field, 0);
        self.buf.push(u8::from(v));
    }

    #[inline]
    pub(crate) fn float(&mut self, field: u32, v: f32) {
        self.key(field, 5);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    #[inline]
    pub(crate) fn double(&mut self, field: u32, v: f64) {
        self.key(field, 1);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    #[inline]
    pub(crate) fn bytes(&mut self, field: u32, v: &[u8]) {
        self.key(field, 2);
        self.varint(v.len() as u64);
        self.buf.extend_from_slice(v);
    }

    /// Writes a length-delimited field whose body is produced by `body`. The body is written in
    /// place after a one-byte length placeholder, then shifted if its length needs more bytes:
    /// nested messages are encoded in one pass, without computing their sizes first.
    #[inline]
    pub(crate) fn message<E>(
        &mut self,
        field: u32,
        body: impl FnOnce(&mut Writer<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.key(field, 2);
        let len_at = self.buf.len();
        self.buf.push(0);
        let start = self.buf.len();
        body(&mut Writer::new(self.buf))?;
        let len = self.buf.len() - start;
        let len_bytes = varint_len(len as u64);
        if len_bytes == 1 {
            self.buf[len_at] = len as u8;
        } else {
            let mut prefix = [0u8; 10];
            let mut v = len as u64;
            for slot in prefix.iter_mut().take(len_bytes) {
                *slot = (v as u8 & 0x7f) | if v >= 0x80 { 0x80 } else { 0 };
                v >>= 7;
            }
            self.buf
                .splice(len_at..start, prefix[..len_bytes].iter().copied());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Reader;

    #[test]
    fn varint_lengths() {
        for (v, n) in [
            (0u64, 1),
            (127, 1),
            (128, 2),
            (16_383, 2),
            (16_384, 3),
            (u64::MAX, 10),
        ] {
            assert_eq!(varint_len(v), n, "{v}");
            let mut buf = Vec::new();
            Writer::new(&mut buf).varint(v);
            assert_eq!(buf.len(), n);
            assert_eq!(Reader::new(&buf).varint(), Ok(v));
        }
    }

    #[test]
    fn long_nested_messages_get_a_wide_length_prefix() {
        let mut buf = Vec::new();
        let body = vec![7u8; 300];
        Writer::new(&mut buf)
            .message::<()>(2, |w| {
                w.bytes(1, &body);
                Ok(())
            })
            .unwrap();
        let mut r = Reader::new(&buf);
        assert_eq!(r.key().unwrap().map(|k| k.0), Some(2));
        let inner = r.bytes().unwrap();
        assert!(r.is_empty());
        let mut r = Reader::new(inner);
        r.key().unwrap();
        assert_eq!(r.bytes().unwrap(), &body[..]);
    }
}
