//! Bytes to text: UTF-8 (with or without BOM), UTF-16 with a BOM, and Windows-1252,
//! which is what Excel writes when it saves "CSV" on Windows.

use crate::{KeelError, Result};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 with BOM",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }
}

/// The code points of bytes 0x80–0x9F in Windows-1252; `None` where it defines none.
/// Every other byte is the Latin-1 code point of the same value.
const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// The Windows-1252 byte of a character, if it has one (what PDF's WinAnsiEncoding
/// draws with the standard fonts).
pub fn windows_1252_byte(c: char) -> Option<u8> {
    match u32::from(c) {
        code @ (0..=0x7F | 0xA0..=0xFF) => u8::try_from(code).ok(),
        _ => CP1252_HIGH.iter().position(|high| *high == Some(c)).and_then(|i| u8::try_from(0x80 + i).ok()),
    }
}

/// At most one NUL in this many bytes is a stray in a text file (rich-text cells of a
/// Salesforce export carry a few); more than that, and the file is binary.
const NUL_PER_BYTES: usize = 1_000;

/// A file's text and what decoding it had to mend, for the import report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: TextEncoding,
    /// Stray NUL characters dropped.
    pub nuls: usize,
    /// UTF-8 sequences found inside a Windows-1252 file (read as UTF-8).
    pub utf8_in_1252: usize,
}

/// Decodes a file's text. Stray NUL characters are dropped and counted, so the import
/// can say so; a file with many is binary and refused.
pub fn decode(bytes: &[u8]) -> Result<Decoded> {
    let mut utf8_in_1252 = 0;
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        let text = std::str::from_utf8(rest).map_err(|e| not_utf8(e.valid_up_to() + 3))?;
        (text.to_string(), TextEncoding::Utf8Bom)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (utf16(rest, u16::from_le_bytes)?, TextEncoding::Utf16Le)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (utf16(rest, u16::from_be_bytes)?, TextEncoding::Utf16Be)
    } else {
        // Binary first: its bytes are rarely valid Windows-1252, and "binary" is the real cause.
        let nuls = bytes.iter().filter(|&&b| b == 0).count();
        if nuls > 0 && nuls * NUL_PER_BYTES > bytes.len() {
            let offset = bytes.iter().position(|&b| b == 0).unwrap_or(0);
            return Err(binary(bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1));
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_string(), TextEncoding::Utf8),
            Err(_) => {
                let (text, sequences) = windows_1252(bytes)?;
                utf8_in_1252 = sequences;
                (text, TextEncoding::Windows1252)
            }
        }
    };
    let nuls = text.matches('\0').count();
    if nuls > 0 && nuls * NUL_PER_BYTES > text.len() {
        let offset = text.find('\0').unwrap_or(0);
        return Err(binary(text[..offset].matches('\n').count() + 1));
    }
    let text = if nuls > 0 { text.replace('\0', "") } else { text };
    Ok(Decoded { text, encoding, nuls, utf8_in_1252 })
}

fn binary(line: usize) -> KeelError {
    KeelError::invalid(
        "file",
        format!("is not a text file: it holds binary data (a NUL character on line {line})"),
    )
}

fn not_utf8(offset: usize) -> KeelError {
    KeelError::invalid("file", format!("starts with a UTF-8 BOM but byte {offset} is not valid UTF-8"))
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String> {
    if !bytes.len().is_multiple_of(2) {
        return Err(KeelError::invalid("file", "is UTF-16 (it has a BOM) but has an odd number of bytes"));
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .enumerate()
        .map(|(i, c)| {
            c.map_err(|_| {
                KeelError::invalid(
                    "file",
                    format!("is UTF-16 but holds an unpaired surrogate at byte {}", 2 + i * 2),
                )
            })
        })
        .collect()
}

/// Windows-1252 text, where a run of bytes that is a valid UTF-8 multi-byte sequence
/// is read as UTF-8: Salesforce's Data Export writes Windows-1252 files with fields
/// pasted in as UTF-8 ("BOGOTÃ\x81" is "BOGOTÁ"). Returns the text and how many such
/// sequences there were. A byte Windows-1252 leaves undefined, outside any UTF-8
/// sequence, means the file is neither.
fn windows_1252(bytes: &[u8]) -> Result<(String, usize)> {
    let mut text = String::with_capacity(bytes.len());
    let mut utf8_sequences = 0;
    let mut offset = 0;
    while offset < bytes.len() {
        let b = bytes[offset];
        let width = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 1,
        };
        if width > 1 {
            if let Some(c) = bytes.get(offset..offset + width).and_then(|s| std::str::from_utf8(s).ok()) {
                text.push_str(c);
                utf8_sequences += 1;
                offset += width;
                continue;
            }
        }
        text.push(match b {
            0x80..=0x9F => CP1252_HIGH[(b - 0x80) as usize].ok_or_else(|| {
                KeelError::invalid(
                    "file",
                    format!(
                        "is neither UTF-8 nor Windows-1252 text (byte 0x{b:02X} at offset {offset}); \
                         save it as CSV UTF-8 and import again"
                    ),
                )
            })?,
            _ => b as char,
        });
        offset += 1;
    }
    Ok((text, utf8_sequences))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_encoding_decodes_to_the_same_text() {
        let expected = "Name,Amount\nCafé Müller,€5\n";
        let mut utf16le = vec![0xFF, 0xFE];
        utf16le.extend(expected.encode_utf16().flat_map(u16::to_le_bytes));
        let mut utf16be = vec![0xFE, 0xFF];
        utf16be.extend(expected.encode_utf16().flat_map(u16::to_be_bytes));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend(expected.as_bytes());
        let cp1252 = b"Name,Amount\nCaf\xE9 M\xFCller,\x805\n".to_vec();
        for (bytes, encoding) in [
            (expected.as_bytes().to_vec(), TextEncoding::Utf8),
            (bom, TextEncoding::Utf8Bom),
            (utf16le, TextEncoding::Utf16Le),
            (utf16be, TextEncoding::Utf16Be),
            (cp1252, TextEncoding::Windows1252),
        ] {
            let decoded = decode(&bytes).ok().map(|d| (d.text, d.encoding, d.nuls));
            assert_eq!(decoded, Some((expected.to_string(), encoding, 0)), "{encoding:?} decodes exactly");
        }
    }

    #[test]
    fn binary_and_undefined_bytes_are_refused() {
        let nul = decode(b"a,b\n\x00\x01\x02").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(nul.contains("not a text file") && nul.contains("line 2"), "{nul}");
        let undefined = decode(b"a,b\n\x81x").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(undefined.contains("0x81"), "{undefined}");
        assert!(decode(b"\xFF\xFEa").is_err(), "odd-length UTF-16 is refused");
        let mut rich = b"Name,Notes\n".to_vec();
        rich.extend(b"A,\"\x00<p>x</p>\"\n".iter().chain([b'x'; 2_000].iter()));
        let decoded = decode(&rich).expect("a stray NUL in a long text file");
        assert_eq!(decoded.nuls, 1);
        assert!(!decoded.text.contains('\0'));
        let mixed = decode(b"City,Name\nBOGOT\xc3\x81,Caf\xe9\n").expect("Windows-1252 with a UTF-8 field");
        assert_eq!((mixed.text.as_str(), mixed.utf8_in_1252), ("City,Name\nBOGOTÁ,Café\n", 1));
    }
}
