//! Hostile inputs, generated on demand: zip and Flate bombs, billion laughs, deep nesting,
//! huge lines, fields, words and titles, a sparse file, many-page PDFs, a FIFO, a symlink loop,
//! broken encodings, ragged and unclosed CSV, deep JSON. Shared by the hostile-input tests
//! (`tests/it/hostile.rs`, at [`Scale::Test`]) and the benchmark that measures them at the sizes
//! of the hostile-input report (`examples/hostile.rs`, [`Scale::Full`]); only the standard
//! library and libc, so both can include it.
#![allow(dead_code)]

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How big the inputs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Big enough to show super-linear costs, small enough for a debug build in CI.
    Test,
    /// The sizes of the hostile-input report (issue 18).
    Full,
}

impl Scale {
    fn pick(self, test: u64, full: u64) -> u64 {
        match self {
            Scale::Test => test,
            Scale::Full => full,
        }
    }
}

/// What a case must end in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The hostile file is indexed; `needle` is a word it holds that a search finds.
    Indexed { needle: String },
    /// The hostile file is skipped; its report line contains `reason`.
    Skipped { reason: &'static str },
    /// Either, as long as the run is bounded and the rest of the corpus is indexed (file-system
    /// tricks: nothing to index, nothing to report but the rest).
    Bounded,
}

/// One hostile case: a folder holding the hostile file(s) beside one ordinary note.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: &'static str,
    /// The folder to index.
    pub dir: PathBuf,
    /// Extra arguments for `quarry index`.
    pub args: Vec<String>,
    pub expect: Expect,
}

/// A word of the ordinary note beside each hostile file: the rest of the corpus.
pub const NOTE_WORD: &str = "lighthousekeeper";

/// The names of every case, in order.
pub const NAMES: &[&str] = &[
    "csv-huge-field",
    "csv-unclosed-quote",
    "csv-ragged-blank-lines",
    "text-long-paragraph",
    "text-giant-word",
    "markdown-huge-title",
    "markdown-deep-nesting",
    "html-deep-nesting",
    "html-huge-line",
    "sparse-file",
    "binary-as-text",
    "broken-encodings",
    "pdf-many-pages",
    "pdf-flate-bomb",
    "pdf-malformed",
    "docx-zip-bomb",
    "docx-billion-laughs",
    "json-deep-nesting",
    "fifo",
    "symlink-loop",
];

/// Writes case `name` under `root` and describes it.
pub fn make(root: &Path, name: &str, scale: Scale) -> io::Result<Case> {
    case(root, name, scale, true)
}

/// Describes case `name` under `root` without writing it.
pub fn describe(root: &Path, name: &str, scale: Scale) -> io::Result<Case> {
    case(root, name, scale, false)
}

fn case(root: &Path, name: &str, scale: Scale, write: bool) -> io::Result<Case> {
    let dir = root.join(name);
    if write {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("note.md"),
            format!("---\ntitle: Ordinary note\n---\n\nThe {NOTE_WORD} kept the lamp lit.\n"),
        )?;
    }
    let mut args = Vec::new();
    let expect = match name {
        "csv-huge-field" => {
            let n = scale.pick(20_000_000, 100_000_000);
            if write {
                let mut f = io::BufWriter::new(std::fs::File::create(dir.join("rows.csv"))?);
                f.write_all(b"title,text\nhuge,\"hugefieldstart ")?;
                repeat(&mut f, b"field words ", n)?;
                f.write_all(b"\"\nsmall,the second row says quayside\n")?;
                f.flush()?;
            }
            Expect::Indexed {
                needle: "quayside".to_string(),
            }
        }
        "csv-unclosed-quote" => {
            if write {
                let mut s = String::from("title,text\n");
                s.push_str("one,\"the first row never closes its quote\n");
                for i in 0..2000 {
                    s.push_str(&format!("row{i},text of row {i}\n"));
                }
                std::fs::write(dir.join("open.csv"), s)?;
            }
            Expect::Indexed {
                needle: "quote".to_string(),
            }
        }
        "csv-ragged-blank-lines" => {
            if write {
                std::fs::write(
                    dir.join("ragged.csv"),
                    "title,text,text\nA,alpha text,dup\n\n\nB,bravo text,x,extra,fields\nC\n",
                )?;
            }
            Expect::Indexed {
                needle: "bravo".to_string(),
            }
        }
        "text-long-paragraph" => {
            let n = scale.pick(10_000_000, 20_000_000);
            if write {
                let mut f = io::BufWriter::new(std::fs::File::create(dir.join("para.txt"))?);
                f.write_all(b"longparagraphstart ")?;
                repeat(&mut f, b"every word in one paragraph ", n)?;
                f.write_all(b"longparagraphend\n")?;
                f.flush()?;
            }
            Expect::Indexed {
                needle: "longparagraphend".to_string(),
            }
        }
        "text-giant-word" => {
            let n = scale.pick(10_000_000, 50_000_000);
            if write {
                let mut f = io::BufWriter::new(std::fs::File::create(dir.join("word.txt"))?);
                f.write_all(b"giantwordbefore ")?;
                repeat(&mut f, b"a", n)?;
                f.write_all(b" giantwordafter\n")?;
                f.flush()?;
            }
            Expect::Indexed {
                needle: "giantwordafter".to_string(),
            }
        }
        "markdown-huge-title" => {
            let n = scale.pick(10_000_000, 10_000_000);
            if write {
                let mut f = io::BufWriter::new(std::fs::File::create(dir.join("title.md"))?);
                f.write_all(b"---\ntitle: ")?;
                repeat(&mut f, b"Title ", n)?;
                f.write_all(b"\n---\n\nThe body names the harbourmaster.\n")?;
                f.flush()?;
            }
            Expect::Indexed {
                needle: "harbourmaster".to_string(),
            }
        }
        "markdown-deep-nesting" => {
            let n = scale.pick(50_000, 200_000) as usize;
            if write {
                let mut s = String::with_capacity(n * 4);
                s.push_str("The nested quote names the ferryman.\n\n");
                s.push_str(&"> ".repeat(n));
                s.push_str("deep\n\n");
                s.push_str(&"[".repeat(n));
                s.push_str("\n\n");
                s.push_str(&"- ".repeat(n));
                s.push_str("item\n");
                std::fs::write(dir.join("deep.md"), s)?;
            }
            Expect::Indexed {
                needle: "ferryman".to_string(),
            }
        }
        "html-deep-nesting" => {
            let n = scale.pick(200_000, 1_000_000);
            if write {
                let mut f = io::BufWriter::new(std::fs::File::create(dir.join("deep.html"))?);
                f.write_all(b"<html><body><p>The page names the lockkeeper.</p>")?;
                repeat(&mut f, b"<div>", n * 5)?;
                f.write_all(b"innermost")?;
                repeat(&mut f, b"</div>", n * 6)?;
                f.write_all(b"</body></html>\n")?;
                f.flush()?;
            }
            Expect::Indexed {
                needle: "lockkeeper".to_string(),
            }
        }
        "html-huge-line" => {
            let n = scale.pick(30_000_000, 190_000_000);
            if write {
                let mut f = io::BufWriter::new(std::fs::File::create(dir.join("line.html"))?);
                f.write_all(b"<html><body><p>hugelinestart ")?;
                let mut written = 0;
                while written < n {
                    f.write_all(b"<span>one line of markup</span> ")?;
                    written += 32;
                }
                f.write_all(b"hugelineend</p></body></html>")?;
                f.flush()?;
            }
            Expect::Skipped {
                reason: "too large to parse",
            }
        }
        "sparse-file" => {
            args.extend(["--max-file-size".to_string(), "3000".to_string()]);
            if write {
                let f = std::fs::File::create(dir.join("sparse.txt"))?;
                f.set_len(scale.pick(2_000_000_000, 2_000_000_000))?;
            }
            Expect::Skipped { reason: "binary" }
        }
        "binary-as-text" => {
            if write {
                let mut bytes = Vec::with_capacity(1 << 20);
                let mut x: u32 = 0x9e37_79b9;
                for _ in 0..(1 << 20) {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    bytes.push(x as u8);
                }
                std::fs::write(dir.join("noise.txt"), bytes)?;
            }
            Expect::Skipped { reason: "binary" }
        }
        "broken-encodings" => {
            if write {
                let mut bad =
                    b"The invalid bytes surround the boatwright \xff\xfe\xc3\x28 here.\n".to_vec();
                bad.extend_from_slice(b"\xe2\x82 cut sequence and \xf0\x9f\x98 another.\n");
                std::fs::write(dir.join("invalid.txt"), bad)?;
                let utf16: Vec<u8> = "UTF-16 without a byte order mark names the cooper.\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect();
                std::fs::write(dir.join("utf16.txt"), utf16)?;
                std::fs::write(
                    dir.join("latin1.csv"),
                    b"title,text\nR\xe9sum\xe9,caf\xe9 cr\xe8me and the wheelwright\n",
                )?;
            }
            Expect::Indexed {
                needle: "boatwright".to_string(),
            }
        }
        "pdf-many-pages" => {
            let pages = scale.pick(2_000, 10_000) as usize;
            if write {
                std::fs::write(dir.join("pages.pdf"), pdf_pages(pages))?;
            }
            Expect::Indexed {
                needle: folio(pages - 1),
            }
        }
        "pdf-flate-bomb" => {
            let n = scale.pick(256 << 20, 3 << 30);
            if write {
                std::fs::write(dir.join("bomb.pdf"), pdf_bomb(n))?;
            }
            Expect::Bounded
        }
        "pdf-malformed" => {
            if write {
                let mut good = pdf_pages(3);
                good.truncate(good.len() / 2);
                std::fs::write(dir.join("truncated.pdf"), good)?;
                std::fs::write(
                    dir.join("garbage.pdf"),
                    b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 1 0 R >> endobj\ntrailer << /Root 1 0 R /Size 99999999999 >>\n%%EOF\n",
                )?;
            }
            Expect::Bounded
        }
        "docx-zip-bomb" => {
            let n = scale.pick(1 << 30, 3 << 30);
            if write {
                std::fs::write(dir.join("bomb.docx"), docx_bomb(n))?;
            }
            Expect::Skipped { reason: "" }
        }
        "docx-billion-laughs" => {
            if write {
                let mut xml = String::from(
                    "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n",
                );
                for i in 1..10 {
                    let prev = if i == 1 {
                        "lol".to_string()
                    } else {
                        format!("lol{}", i - 1)
                    };
                    xml.push_str(&format!(
                        "<!ENTITY lol{i} \"{}\">\n",
                        format!("&{prev};").repeat(10)
                    ));
                }
                xml.push_str("]>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>laughing &lol9; stonemason</w:t></w:r></w:p></w:body></w:document>");
                let zip = zip_file(&[
                    (
                        "[Content_Types].xml",
                        CONTENT_TYPES.as_bytes().to_vec(),
                        None,
                    ),
                    ("word/document.xml", xml.into_bytes(), None),
                ]);
                std::fs::write(dir.join("laughs.docx"), zip)?;
            }
            Expect::Bounded
        }
        "json-deep-nesting" => {
            let n = scale.pick(1_000_000, 1_000_000) as usize;
            if write {
                let mut s = "[".repeat(n);
                s.push_str(&"]".repeat(n));
                std::fs::write(dir.join("deep.json"), &s)?;
                std::fs::write(
                    dir.join("deep.jsonl"),
                    format!(
                        "{{\"text\": {s}}}\n{{\"text\": \"the jsonl row names the tanner\"}}\n"
                    ),
                )?;
            }
            Expect::Indexed {
                needle: "tanner".to_string(),
            }
        }
        "fifo" => {
            if write {
                let path = dir.join("pipe.txt");
                let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
                    .map_err(io::Error::other)?;
                // SAFETY: a valid NUL-terminated path.
                if unsafe { libc::mkfifo(c.as_ptr(), 0o644) } != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Expect::Bounded
        }
        "symlink-loop" => {
            if write {
                std::os::unix::fs::symlink("b", dir.join("a"))?;
                std::os::unix::fs::symlink("a", dir.join("b"))?;
                std::fs::create_dir_all(dir.join("sub"))?;
                std::os::unix::fs::symlink("..", dir.join("sub/up"))?;
            }
            Expect::Bounded
        }
        other => return Err(io::Error::other(format!("no hostile case named {other}"))),
    };
    Ok(Case {
        name: NAMES.iter().copied().find(|n| *n == name).unwrap_or("?"),
        dir,
        args,
        expect,
    })
}

/// Writes `unit` repeatedly until `total` bytes are written.
fn repeat(w: &mut impl Write, unit: &[u8], total: u64) -> io::Result<()> {
    let block: Vec<u8> = unit
        .iter()
        .copied()
        .cycle()
        .take(unit.len() * 4096)
        .collect();
    // Whole units only, so that the word written next stands on its own.
    let mut left = total.div_ceil(unit.len() as u64) * unit.len() as u64;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        w.write_all(&block[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// The word only page `i` of [`pdf_pages`] holds: `folio` and `i` in letters (digits alone
/// would make every page's line the same running header).
pub fn folio(i: usize) -> String {
    let mut s = String::from("folio");
    let mut n = i;
    for _ in 0..4 {
        s.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
    }
    s
}

/// A text PDF of `pages` pages; page `i` (from 0) holds the word [`folio`]`(i)`.
pub fn pdf_pages(pages: usize) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = Vec::new();
    // 1: catalog, 2: pages, 3: font, then a page and its content per page.
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        )
        .into_bytes(),
    );
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
    for i in 0..pages {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                5 + 2 * i
            )
            .into_bytes(),
        );
        let text = format!(
            "BT /F1 12 Tf 72 720 Td (The harbour ledger, page {}, records the cargo of the day.) Tj ET",
            folio(i)
        );
        objects.push(stream_object(
            &format!("<< /Length {} >>", text.len()),
            text.as_bytes(),
        ));
    }
    pdf_file(&objects)
}

/// A one-page PDF whose content stream inflates to `n` bytes (mostly spaces) after a line of
/// text.
pub fn pdf_bomb(n: u64) -> Vec<u8> {
    let prefix = b"BT /F1 12 Tf 72 720 Td (The bomb page names the cartwright.) Tj ET\n";
    let data = zlib_run(prefix, b' ', n.saturating_sub(prefix.len() as u64), b"\n");
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>".to_vec(),
        stream_object(
            &format!("<< /Length {} /Filter /FlateDecode >>", data.len()),
            &data,
        ),
    ];
    pdf_file(&objects)
}

fn stream_object(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut o = dict.as_bytes().to_vec();
    o.extend_from_slice(b"\nstream\n");
    o.extend_from_slice(data);
    o.extend_from_slice(b"\nendstream");
    o
}

fn pdf_file(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Deflate bits, least significant first.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, bits: u32) {
        self.acc |= value << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, bits: u32) {
        let mut rev = 0u64;
        for i in 0..bits {
            rev |= u64::from((code >> i) & 1) << (bits - 1 - i);
        }
        self.put(rev, bits);
    }
    fn literal(&mut self, b: u8) {
        if b < 144 {
            self.code(0x30 + u32::from(b), 8);
        } else {
            self.code(0x190 + u32::from(b) - 144, 9);
        }
    }
}

/// Raw deflate (one fixed-Huffman block) of `prefix`, `fill` repeated `n` times, `suffix`:
/// about 160:1, made without compressing anything.
fn deflate_run(prefix: &[u8], fill: u8, n: u64, suffix: &[u8]) -> Vec<u8> {
    let mut bits = Bits {
        out: Vec::with_capacity((n / 150) as usize + 64),
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // last block
    bits.put(1, 2); // fixed Huffman
    for &b in prefix {
        bits.literal(b);
    }
    let mut left = n;
    if left > 0 {
        bits.literal(fill);
        left -= 1;
    }
    while left >= 258 {
        bits.code(0xC5, 8); // length 258 (symbol 285)
        bits.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.literal(fill);
    }
    for &b in suffix {
        bits.literal(b);
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7);
    bits.out
}

/// zlib wrapper around [`deflate_run`], with the right Adler-32.
fn zlib_run(prefix: &[u8], fill: u8, n: u64, suffix: &[u8]) -> Vec<u8> {
    const MOD: u128 = 65521;
    let (mut a, mut b) = (1u128, 0u128);
    for &x in prefix {
        a = (a + u128::from(x)) % MOD;
        b = (b + a) % MOD;
    }
    let (f, m) = (u128::from(fill), u128::from(n));
    b = (b + m * a + f * (m * (m + 1) / 2)) % MOD;
    a = (a + m * f) % MOD;
    for &x in suffix {
        a = (a + u128::from(x)) % MOD;
        b = (b + a) % MOD;
    }
    let mut out = vec![0x78, 0x01];
    out.extend(deflate_run(prefix, fill, n, suffix));
    out.extend_from_slice(&((b << 16 | a) as u32).to_be_bytes());
    out
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";

/// A DOCX whose `word/document.xml` inflates to `n` bytes (mostly spaces inside a `<w:t>`).
pub fn docx_bomb(n: u64) -> Vec<u8> {
    let prefix = b"<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>bomb ";
    let suffix = b"</w:t></w:r></w:p></w:body></w:document>";
    let total = n.saturating_sub((prefix.len() + suffix.len()) as u64);
    let data = deflate_run(prefix, b' ', total, suffix);
    zip_file(&[
        (
            "[Content_Types].xml",
            CONTENT_TYPES.as_bytes().to_vec(),
            None,
        ),
        ("word/document.xml", data, Some(n)),
    ])
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A ZIP file; entries with `Some(size)` are raw deflate of that uncompressed size (CRC left
/// 0: a reader that stops at its limit never checks it), the others are stored.
fn zip_file(entries: &[(&str, Vec<u8>, Option<u64>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, deflated) in entries {
        let offset = out.len() as u32;
        let (method, crc, size) = match deflated {
            Some(n) => (8u16, 0u32, (*n).min(u64::from(u32::MAX)) as u32),
            None => (0u16, crc32(data), data.len() as u32),
        };
        let mut common = Vec::new();
        common.extend_from_slice(&20u16.to_le_bytes()); // version needed
        common.extend_from_slice(&0u16.to_le_bytes()); // flags
        common.extend_from_slice(&method.to_le_bytes());
        common.extend_from_slice(&0u32.to_le_bytes()); // time, date
        common.extend_from_slice(&crc.to_le_bytes());
        common.extend_from_slice(&(data.len() as u32).to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&(name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0; 6]); // comment len, disk, internal attrs
        central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// One measured run of a command.
#[derive(Debug)]
pub struct Measured {
    /// Exit code, or -1 if killed or ended by a signal.
    pub code: i32,
    pub seconds: f64,
    /// Peak resident set of the process and of the largest child it waited for, in MB.
    pub peak_mb: f64,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

/// Runs `cmd` to its end or `limit` (then kills it), and reads its peak RSS from the kernel
/// (`wait4`: the process and its reaped children, such as extraction workers).
pub fn measure(mut cmd: Command, limit: Duration) -> io::Result<Measured> {
    let dir = std::env::temp_dir();
    let tag = format!(
        "quarry-hostile-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    );
    let out_path = dir.join(format!("{tag}.out"));
    let err_path = dir.join(format!("{tag}.err"));
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path)?)
        .stderr(std::fs::File::create(&err_path)?);
    let start = Instant::now();
    let child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut timed_out = false;
    loop {
        // SAFETY: pid is our child; status and usage are valid for writes.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        if start.elapsed() > limit && !timed_out {
            timed_out = true;
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let seconds = start.elapsed().as_secs_f64();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    let m = Measured {
        code,
        seconds,
        peak_mb: usage.ru_maxrss as f64 / 1024.0,
        stdout: read(&out_path),
        stderr: read(&err_path),
        timed_out,
    };
    let _ = std::fs::remove_file(out_path);
    let _ = std::fs::remove_file(err_path);
    Ok(m)
}
