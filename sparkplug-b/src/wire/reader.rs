//! A bounds-checked protobuf reader over a byte slice. Every method is total: malformed input
//! yields a [`DecodeError`], never a panic.

use crate::error::DecodeError;

/// The protobuf wire types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireType {
    Varint,
    Fixed64,
    Len,
    StartGroup,
    EndGroup,
    Fixed32,
}

/// Groups are deprecated proto2 syntax no Sparkplug field uses; they are skipped, with their
/// own nesting bound so a run of start-group tags cannot recurse without limit.
const MAX_GROUP_DEPTH: u32 = 16;

/// Reads protobuf fields from a borrowed slice.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Reads a field key; `None` at the end of the input.
    #[inline]
    pub(crate) fn key(&mut self) -> Result<Option<(u32, WireType)>, DecodeError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let wire_type = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            3 => WireType::StartGroup,
            4 => WireType::EndGroup,
            5 => WireType::Fixed32,
            other => return Err(DecodeError::InvalidWireType(other as u8)),
        };
        let field = key >> 3;
        if field == 0 || field > u64::from(u32::MAX >> 3) {
            return Err(DecodeError::InvalidFieldNumber(field));
        }
        Ok(Some((field as u32, wire_type)))
    }

    /// Reads a base-128 varint of at most 10 bytes.
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64, DecodeError> {
        // Fast path: a one-byte varint (most keys, flags, small integers).
        if let Some(&b) = self.buf.first() {
            if b < 0x80 {
                self.buf = &self.buf[1..];
                return Ok(u64::from(b));
            }
        }
        let mut value: u64 = 0;
        for (i, &b) in self.buf.iter().enumerate().take(10) {
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                // The tenth byte may only contribute the top bit of a u64.
                if i == 9 && b > 1 {
                    return Err(DecodeError::VarintOverflow);
                }
                self.buf = &self.buf[i + 1..];
                return Ok(value);
            }
        }
        if self.buf.len() >= 10 {
            Err(DecodeError::VarintOverflow)
        } else {
            Err(DecodeError::Truncated)
        }
    }

    /// Reads a varint into a `uint32` field. Like protobuf's own parsers, a wider value keeps
    /// its low 32 bits (a sign-extended negative written as 10 bytes decodes as the peer meant).
    #[inline]
    pub(crate) fn uint32(&mut self) -> Result<u32, DecodeError> {
        Ok(self.varint()? as u32)
    }

    #[inline]
    pub(crate) fn bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.varint()? != 0)
    }

    #[inline]
    pub(crate) fn fixed32(&mut self) -> Result<u32, DecodeError> {
        let (head, rest) = self
            .buf
            .split_first_chunk::<4>()
            .ok_or(DecodeError::Truncated)?;
        self.buf = rest;
        Ok(u32::from_le_bytes(*head))
    }

    #[inline]
    pub(crate) fn fixed64(&mut self) -> Result<u64, DecodeError> {
        let (head, rest) = self
            .buf
            .split_first_chunk::<8>()
            .ok_or(DecodeError::Truncated)?;
        self.buf = rest;
        Ok(u64::from_le_bytes(*head))
    }

    /// Reads a length-delimited field's bytes. The length is checked against what is left, so a
    /// hostile length never causes an allocation.
    #[inline]
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.varint()?;
        if len > self.buf.len() as u64 {
            return Err(DecodeError::Truncated);
        }
        let (head, rest) = self.buf.split_at(len as usize);
        self.buf = rest;
        Ok(head)
    }

    /// Reads a length-delimited UTF-8 string.
    #[inline]
    pub(crate) fn str(&mut self) -> Result<&'a str, DecodeError> {
        core::str::from_utf8(self.bytes()?).map_err(|_| DecodeError::InvalidUtf8)
    }

    /// Reads a field of the expected wire type, or fails with a type mismatch.
    #[inline]
    pub(crate) fn expect(
        &self,
        field: u32,
        got: WireType,
        want: WireType,
    ) -> Result<(), DecodeError> {
        if got == want {
            Ok(())
        } else {
            Err(DecodeError::WrongWireType {
                field,
                wire_type: got as u8,
            })
        }
    }

    /// Skips a field of the given wire type: unknown fields and extensions are not errors.
    pub(crate) fn skip(&mut self, field: u32, wire_type: WireType) -> Result<(), DecodeError> {
        self.skip_at_depth(field, wire_type, 0)
    }

    fn skip_at_depth(
        &mut self,
        field: u32,
        wire_type: WireType,
        depth: u32,
    ) -> Result<(), DecodeError> {
        match wire_type {
            WireType::Varint => self.varint().map(drop),
            WireType::Fixed64 => self.fixed64().map(drop),
            WireType::Fixed32 => self.fixed32().map(drop),
            WireType::Len => self.bytes().map(drop),
            WireType::StartGroup => {
                if depth >= MAX_GROUP_DEPTH {
                    return Err(DecodeError::TooDeep);
                }
                loop {
                    match self.key()? {
                        None => return Err(DecodeError::Truncated),
                        Some((end, WireType::EndGroup)) if end == field => return Ok(()),
                        Some((_, WireType::EndGroup)) => return Err(DecodeError::UnbalancedGroup),
                        Some((inner, wt)) => self.skip_at_depth(inner, wt, depth + 1)?,
                    }
                }
            }
            WireType::EndGroup => Err(DecodeError::UnbalancedGroup),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(Reader::new(&[0x00]).varint(), Ok(0));
        assert_eq!(Reader::new(&[0xac, 0x02]).varint(), Ok(300));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader::new(&max).varint(), Ok(u64::MAX));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(
            Reader::new(&over).varint(),
            Err(DecodeError::VarintOverflow)
        );
        assert_eq!(
            Reader::new(&[0xff; 11]).varint(),
            Err(DecodeError::VarintOverflow)
        );
        assert_eq!(Reader::new(&[0x80]).varint(), Err(DecodeError::Truncated));
        assert_eq!(Reader::new(&[]).varint(), Err(DecodeError::Truncated));
    }

    #[test]
    fn sign_extended_uint32_keeps_low_bits() {
        // Int8 -1 written by a peer that sign-extended to 64 bits.
        let bytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader::new(&bytes).uint32(), Ok(u32::MAX));
    }

    #[test]
    fn lengths_beyond_the_input_are_truncation() {
        assert_eq!(
            Reader::new(&[0x05, 1, 2]).bytes(),
            Err(DecodeError::Truncated)
        );
        let huge = [0xff, 0xff, 0xff, 0xff, 0x0f];
        assert_eq!(Reader::new(&huge).bytes(), Err(DecodeError::Truncated));
    }

    #[test]
    fn keys_reject_bad_wire_types_and_field_zero() {
        assert_eq!(
            Reader::new(&[0x0e]).key(),
            Err(DecodeError::InvalidWireType(6))
        );
        assert_eq!(
            Reader::new(&[0x00]).key(),
            Err(DecodeError::InvalidFieldNumber(0))
        );
        assert_eq!(Reader::new(&[]).key(), Ok(None));
    }

    #[test]
    fn groups_are_skipped_with_a_depth_bound() {
        // field 6 start group, field 1 varint 1, field 6 end group
        let mut r = Reader::new(&[0x33, 0x08, 0x01, 0x34]);
        let (field, wt) = r.key().unwrap().unwrap();
        assert_eq!(r.skip(field, wt), Ok(()));
        assert!(r.is_empty());
        let nested = [0x33u8; 64];
        let mut r = Reader::new(&nested);
        let (field, wt) = r.key().unwrap().unwrap();
        assert_eq!(r.skip(field, wt), Err(DecodeError::TooDeep));
        let mut r = Reader::new(&[0x33, 0x3c]);
        let (field, wt) = r.key().unwrap().unwrap();
        assert_eq!(r.skip(field, wt), Err(DecodeError::UnbalancedGroup));
    }
}
