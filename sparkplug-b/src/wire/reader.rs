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

/// Splits a tag checked by [`Reader::tag`] into field number and wire type.
#[inline]
pub(crate) fn split_tag(tag: u32) -> (u32, WireType) {
    let wire_type = match tag & 7 {
        0 => WireType::Varint,
        1 => WireType::Fixed64,
        2 => WireType::Len,
        3 => WireType::StartGroup,
        4 => WireType::EndGroup,
        // `tag` rejected 6 and 7.
        _ => WireType::Fixed32,
    };
    (tag >> 3, wire_type)
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
        Ok(self.tag()?.map(split_tag))
    }

    /// Reads a field key as its raw tag (`field << 3 | wire type`), checked to be a valid key;
    /// `None` at the end of the input. Hot decoders match on the tag itself, so one comparison
    /// checks both the field number and its wire type; [`Reader::skip_tag`] handles the rest.
    #[inline]
    pub(crate) fn tag(&mut self) -> Result<Option<u32>, DecodeError> {
        let key = match self.buf.first() {
            None => return Ok(None),
            Some(&b) if b < 0x80 => {
                self.buf = &self.buf[1..];
                u64::from(b)
            }
            Some(_) => self.varint_multi()?,
        };
        if key & 7 > 5 {
            return Err(DecodeError::InvalidWireType((key & 7) as u8));
        }
        if key >> 3 == 0 || key > u64::from(u32::MAX) {
            return Err(DecodeError::InvalidFieldNumber(key >> 3));
        }
        Ok(Some(key as u32))
    }

    /// The fallback arm of a decoder that matches on tags: a field of the message's schema
    /// (numbers `1..=last_field`) arrived with a wire type its type cannot have, which is an
    /// error; any other field is unknown or an extension, and is skipped.
    #[cold]
    pub(crate) fn skip_tag(&mut self, tag: u32, last_field: u32) -> Result<(), DecodeError> {
        let (field, wire_type) = split_tag(tag);
        if (1..=last_field).contains(&field) {
            return Err(DecodeError::WrongWireType {
                field,
                wire_type: wire_type as u8,
            });
        }
        self.skip(field, wire_type)
    }

    /// Reads a base-128 varint of at most 10 bytes.
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64, DecodeError> {
        // Fast path: a one-byte varint (most keys, flags, small integers).
        match self.buf.first() {
            Some(&b) if b < 0x80 => {
                self.buf = &self.buf[1..];
                Ok(u64::from(b))
            }
            _ => self.varint_multi(),
        }
    }

    #[inline(never)]
    fn varint_multi(&mut self) -> Result<u64, DecodeError> {
        // With ten bytes in hand the varint cannot run off the end, so the loop has a constant
        // bound and no bounds checks, and the compiler unrolls it (timestamps are six bytes).
        if let Some(bytes) = self.buf.first_chunk::<10>() {
            let mut value: u64 = 0;
            for (i, &b) in bytes.iter().enumerate() {
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
            return Err(DecodeError::VarintOverflow);
        }
        let mut value: u64 = 0;
        for (i, &b) in self.buf.iter().enumerate() {
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.buf = &self.buf[i + 1..];
                return Ok(value);
            }
        }
        // Fewer than ten bytes and no terminator.
        Err(DecodeError::Truncated)
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
